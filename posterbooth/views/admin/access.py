"""What every console page shares: the signed-in operator, roles, the audit log, error pages, blueprints."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from posterbooth.console.accounts import OperatorInfo, audit, load
from posterbooth.errors import http_error as error_response
from posterbooth.extensions import get_db
from posterbooth.i18n import LOCALES

login_manager = LoginManager()
login_manager.login_view = "admin_auth.login"
login_manager.session_protection = "basic"


class ConsoleUser(UserMixin):
    """The signed-in operator as Flask-Login sees it."""

    def __init__(self, info: OperatorInfo) -> None:
        self.info = info

    def get_id(self) -> str:
        """Return the session key of this operator."""
        return self.info.key

    @property
    def username(self) -> str:
        """Return the operator's name."""
        return self.info.username

    @property
    def is_admin(self) -> bool:
        """Tell whether the operator may act."""
        return self.info.is_admin


def bootstrap_key() -> str:
    """Return the session key of the ADMIN_USERNAME/ADMIN_PASSWORD admin (changes with the password)."""
    config = current_app.config
    digest = hashlib.sha256(f"{config['SECRET_KEY']}|{config['ADMIN_USERNAME']}|{config['ADMIN_PASSWORD']}"
                            .encode()).hexdigest()[:24]
    return f"env:{digest}"


@login_manager.user_loader
def _load_user(key: str) -> ConsoleUser | None:
    if key.startswith("env:"):
        if current_app.config.get("ADMIN_PASSWORD") and key == bootstrap_key():
            return ConsoleUser(OperatorInfo(current_app.config["ADMIN_USERNAME"], "admin", key))
        return None
    info = load(get_db(), key)
    return ConsoleUser(info) if info is not None else None


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.path.endswith(".json"):
        response = jsonify(error="login required")
        response.status_code = 401
        return response
    return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))


def console_locale() -> None:
    """Show console pages in the operator's chosen language, else the browser's."""
    chosen = session.get("console_lang")
    if chosen in LOCALES:
        g.locale = chosen


def no_store(response: Any) -> Any:
    """Keep console pages out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def console_error(status: int, title: str, message: str, back_url: str | None = None) -> tuple[str, int]:
    """Render an error in the console's own layout."""
    return render_template("admin/error.html", status=status, title=title, message=message,
                           back_url=back_url), status


def _http_error(exc: HTTPException) -> Any:
    if isinstance(exc, CSRFError):
        return console_error(400, _("This page has expired"),
                             _("Your session ran out or cookies are blocked. Please go back, reload the page and "
                               "try again."))
    if exc.code == 404:
        return console_error(404, _("Page not found"), _("This page does not exist. Check the link or scan the "
                                                          "QR code again."))
    return error_response(exc)


def console_blueprint(name: str) -> Blueprint:
    """Return a console blueprint under /admin: the operator's language, console error pages, never cached."""
    blueprint = Blueprint(name, __name__, url_prefix="/admin")
    blueprint.before_request(console_locale)
    blueprint.after_request(no_store)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.context_processor(lambda: {"current_user": current_user})
    return blueprint


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let any signed-in operator (admin or viewer) see the page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only admins act; a viewer gets a clear 403 page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            return console_error(403, _("Not allowed"), _("Your account can look but not act. Ask an admin."))
        return view(*args, **kwargs)

    return wrapped


def record(action: str, *, campaign: str = "", target: str = "", detail: str = "") -> None:
    """Write the signed-in operator's action to the audit log."""
    audit(get_db(), current_user.username, action, campaign=campaign, target=target, detail=detail)


def safe_next(default: str) -> str:
    """Return the form's or query's ``next`` if it is a path on this site, else the default."""
    target = request.values.get("next", "")
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def campaign_or_404(slug: str) -> Any:
    """Return the loaded campaign or answer 404."""
    loaded = current_app.extensions["posterbooth.campaigns"].get(slug)
    if loaded is None:
        abort(404)
    return loaded
