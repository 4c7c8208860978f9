"""The device cookie that recognises a returning attendee."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, request

COOKIE = "pb_device"
_VALID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")
MAX_AGE = 400 * 24 * 3600


def device_id() -> str:
    """Return this request's device id, creating one if the browser has none."""
    if "device_id" not in g:
        raw = request.cookies.get(COOKIE, "")
        if _VALID.match(raw):
            g.device_id, g.new_device = raw, False
        else:
            g.device_id, g.new_device = secrets.token_urlsafe(16), True
    return g.device_id


def returning_device() -> bool:
    """Return True when the browser brought a device id (it may have participated before)."""
    device_id()
    return not g.new_device


def _remember(response: Response) -> Response:
    if g.get("new_device"):
        response.set_cookie(
            COOKIE, g.device_id, max_age=MAX_AGE, httponly=True, samesite="Lax",
            secure=current_app.config["SECURE_COOKIES"],
        )
    return response


def init_app(app: Flask) -> None:
    """Set the device cookie on responses to new devices."""
    app.after_request(_remember)
