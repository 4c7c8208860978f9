"""Operator access: HTTP Basic with ADMIN_USERNAME/ADMIN_PASSWORD; operator pages are off without a password."""

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


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 while ADMIN_PASSWORD is unset, 401 without the right credentials, else run the view."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config.get("ADMIN_PASSWORD"):
            abort(404)
        if not is_operator():
            response = Response("Operator login required.\n", 401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
            response.headers["Cache-Control"] = "no-store"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped
