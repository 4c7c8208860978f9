"""Operator access to the JSON reports: a console session, or HTTP Basic (ADMIN_USERNAME/ADMIN_PASSWORD or an
operator account); they answer 404 while there is no password and no account."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, request

REALM = "Posterbooth operators"


def is_operator() -> bool:
    """Return True if the request carries the operator's username and password."""
    password = current_app.config.get("ADMIN_PASSWORD") or ""
    auth = request.authorization
    if not password or auth is None or auth.type != "basic":
        return False
    username_ok = hmac.compare_digest((auth.username or "").encode(), current_app.config["ADMIN_USERNAME"].encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), password.encode())
    return username_ok and password_ok


def _console_operator() -> bool:
    """Return True for a signed-in console operator, or Basic credentials of an operator account."""
    from flask_login import current_user

    from posterbooth.views.admin.auth import basic_operator

    if current_user.is_authenticated:
        return True
    auth = request.authorization
    return bool(auth is not None and auth.type == "basic" and auth.username and auth.password
                and basic_operator(auth.username, auth.password))


def _any_operator_account() -> bool:
    from sqlalchemy import func, select

    from posterbooth.extensions import get_db
    from posterbooth.models import Operator

    with get_db().session() as session:
        return bool(session.scalar(select(func.count(Operator.id))))


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 while ADMIN_PASSWORD is unset, 401 without the right credentials, else run the view."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        allowed = is_operator() or _console_operator()
        if not allowed and not current_app.config.get("ADMIN_PASSWORD") and not _any_operator_account():
            abort(404)
        if not allowed:
            response = Response("Operator login required.\n", 401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
            response.headers["Cache-Control"] = "no-store"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped
