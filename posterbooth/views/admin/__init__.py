"""The marketer console under /admin/: sign-in, campaigns, overview, gallery and takedown, pause, export, channels,
the event wall's queue, proof sheets.

One blueprint per feature; the numbers come from :mod:`posterbooth.console`. Console pages have their own
stylesheet and script (``static/admin/``), so attendee pages carry nothing of the console.
"""

from __future__ import annotations

from flask import Flask

from posterbooth.views.admin import auth, channels, control, dashboard, gallery, proof, wall
from posterbooth.views.admin.access import login_manager
from posterbooth.views.admin.cli import operators_cli


def init_app(app: Flask) -> None:
    """Attach Flask-Login and register the console's blueprints and CLI."""
    # Not login_manager.init_app(): its after-request hook and context processor read the session on every
    # response, which adds "Vary: Cookie" to attendee pages and to the immutable media files. Sessions are
    # only looked at on console pages (and the JSON reports); there are no "remember me" cookies.
    app.login_manager = login_manager  # type: ignore[attr-defined]
    for module in (auth, dashboard, gallery, control, channels, wall, proof):
        app.register_blueprint(module.bp)
    app.cli.add_command(operators_cli)
