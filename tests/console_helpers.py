"""Helpers of the console's tests: an app with operator accounts, sign-in, an attendee's poster, the audit log."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from posterbooth.models import AuditEntry, Participation
from tests.attendee import SPRING, complete

ADMIN_PASSWORD = "bootstrap-pass-123"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ClosingClient(FlaskClient):
    """A test client that closes its responses, so that events reach Redis as in production."""

    def open(self, *args, **kwargs):  # noqa: D102 - same as FlaskClient.open
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def console_app_with_operators():
    """Yield the app with a bootstrap admin password and two operator accounts (for a fixture)."""
    from posterbooth import create_app
    from posterbooth.console.accounts import add_operator

    application = create_app({"TESTING": True, "ADMIN_PASSWORD": ADMIN_PASSWORD})
    application.test_client_class = ClosingClient
    db = application.extensions["posterbooth.db"]
    add_operator(db, "mia", "admin", "mia-password-1")
    add_operator(db, "vic", "viewer", "vic-password-1")
    yield application
    application.extensions["posterbooth.db"].dispose()


def csrf(client: FlaskClient, path: str = "/admin/login") -> str:
    """Return the CSRF token of the page's forms."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, (path, page.status_code)
    return match[1]


def login(client: FlaskClient, name: str, password: str) -> object:
    """Sign in through the login form."""
    return client.post("/admin/login", data={"csrf_token": csrf(client), "username": name, "password": password})


def make_poster(app, client: FlaskClient) -> Participation:
    """Take part as an attendee on this client and let a real worker make the poster."""
    from rq import SimpleWorker

    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    with app.extensions["posterbooth.db"].session() as session:
        participation = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
    assert participation.status == "done", participation.error_detail
    return participation


def audit_actions(app) -> list[tuple[str, str]]:
    """Return (operator, action) of the audit log, oldest first."""
    with app.extensions["posterbooth.db"].session() as session:
        return [(e.operator, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
