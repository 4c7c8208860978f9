"""Console sign-in and sign-out, throttled per account and per address; the language switch; the audit log."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse

from posterbooth.console.accounts import OperatorInfo, audit, audit_entries, verify
from posterbooth.extensions import get_db
from posterbooth.i18n import LOCALES
from posterbooth.security import limiter
from posterbooth.views.admin.access import ConsoleUser, bootstrap_key, console_blueprint, operator_required, safe_next

log = logging.getLogger(__name__)

bp = console_blueprint("admin_auth")

#: Failed sign-ins allowed per account, and per address, before the next ones are refused for a while.
ACCOUNT_LIMIT = parse("5 per 15 minutes")
ADDRESS_LIMIT = parse("20 per 15 minutes")


def _check(username: str, password: str) -> OperatorInfo | None:
    config = current_app.config
    admin_password = config.get("ADMIN_PASSWORD") or ""
    name_ok = hmac.compare_digest(username.encode(), config["ADMIN_USERNAME"].encode())
    if admin_password and name_ok and hmac.compare_digest(password.encode(), admin_password.encode()):
        return OperatorInfo(username, "admin", bootstrap_key())
    return verify(get_db(), username, password)


def _allowed(item: Any, *keys: str) -> bool:
    try:
        return bool(limiter.limiter.test(item, *keys))
    except Exception:  # noqa: BLE001 - the limiter's storage (Redis) is down: do not lock everyone out
        log.warning("login throttle unavailable; allowing the attempt")
        return True


def _hit(item: Any, *keys: str) -> None:
    try:
        limiter.limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001 - see _allowed
        log.warning("login throttle unavailable; the failed attempt is not counted")


def _minutes_left(item: Any, *keys: str) -> int:
    try:
        reset, _remaining = limiter.limiter.get_window_stats(item, *keys)
    except Exception:  # noqa: BLE001 - see _allowed
        return 15
    return max(1, round((reset - time.time()) / 60))


def _login_page(error: str = "", status: int = 200, username: str = "") -> tuple[str, int]:
    return render_template("admin/login.html", error=error, username=username,
                           next=safe_next("")), status


def basic_operator(username: str, password: str) -> bool:
    """Check HTTP Basic credentials of an operator account, throttled like the sign-in form."""
    username, address = username.strip()[:64], request.remote_addr or "-"
    if not _allowed(ACCOUNT_LIMIT, "console-login-account", username.lower()) or not _allowed(
            ADDRESS_LIMIT, "console-login-address", address):
        return False
    if verify(get_db(), username, password[:256]) is not None:
        return True
    _hit(ACCOUNT_LIMIT, "console-login-account", username.lower())
    _hit(ADDRESS_LIMIT, "console-login-address", address)
    return False


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form; sign the operator in, or say why not."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(url_for("admin_dashboard.index")))
        return _login_page()
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    address = request.remote_addr or "-"
    if not username or not password:
        return _login_page(_("Enter your name and password."), 422, username)
    if not _allowed(ACCOUNT_LIMIT, "console-login-account", username.lower()):
        minutes = _minutes_left(ACCOUNT_LIMIT, "console-login-account", username.lower())
        return _login_page(_("This account is locked after too many failed sign-ins. "
                             "Try again in %(minutes)d minutes.", minutes=minutes), 429, username)
    if not _allowed(ADDRESS_LIMIT, "console-login-address", address):
        return _login_page(_("Too many failed sign-ins from your network. Try again in %(minutes)d minutes.",
                             minutes=_minutes_left(ADDRESS_LIMIT, "console-login-address", address)), 429, username)
    info = _check(username, password)
    if info is None:
        _hit(ACCOUNT_LIMIT, "console-login-account", username.lower())
        _hit(ADDRESS_LIMIT, "console-login-address", address)
        return _login_page(_("Wrong name or password."), 401, username)
    try:
        limiter.limiter.clear(ACCOUNT_LIMIT, "console-login-account", username.lower())
    except Exception:  # noqa: BLE001 - see _allowed
        log.warning("login throttle unavailable; the account's failures are not cleared")
    login_user(ConsoleUser(info))
    audit(get_db(), info.username, "login")
    return redirect(safe_next(url_for("admin_dashboard.index")), code=303)


@bp.post("/logout")
def logout() -> Any:
    """Sign the operator out."""
    if current_user.is_authenticated:
        audit(get_db(), current_user.username, "logout")
    logout_user()
    return redirect(url_for("admin_auth.login"), code=303)


@bp.get("/lang/<code>")
def language(code: str) -> Any:
    """Switch the console's language (zh or en)."""
    if code in LOCALES:
        session["console_lang"] = code
    return redirect(safe_next(url_for("admin_dashboard.index")))


@bp.get("/audit")
@operator_required
def audit_log() -> Any:
    """Show the newest operator actions."""
    return render_template("admin/audit.html", entries=audit_entries(get_db(), limit=300))
