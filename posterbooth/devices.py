"""The device identity that recognises a returning attendee, carried in the signed session and a cookie.

The signed session (``pb_session``) holds the device id, so a script that drops the ``pb_device``
cookie but replays a session keeps its identity; the long-lived ``pb_device`` cookie brings the same id
back into a new session. A request that had neither gets a new id (:func:`is_new_device`): it cannot
submit in that same request. With ``identity: wechat`` the session also holds the attendee's WeChat
openid (:func:`wechat_openid`), set by the silent OAuth in :mod:`posterbooth.views.wechat_oauth`.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, request, session

COOKIE = "pb_device"
SESSION_KEY = "device"
OPENID_KEY = "wx_openid"
_VALID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")
MAX_AGE = 400 * 24 * 3600


def device_id() -> str:
    """Return this request's device id: the session's, else the device cookie's, else a new one."""
    if "device_id" not in g:
        held = session.get(SESSION_KEY, "")
        raw = request.cookies.get(COOKIE, "")
        if isinstance(held, str) and _VALID.match(held):
            g.device_id, g.new_device = held, False
        elif _VALID.match(raw):
            g.device_id, g.new_device = raw, False
            session[SESSION_KEY] = raw
        else:
            g.device_id, g.new_device = secrets.token_urlsafe(16), True
            session[SESSION_KEY] = g.device_id
        g.set_cookie = g.new_device or raw != g.device_id
    return str(g.device_id)


def is_new_device() -> bool:
    """Return True when this request arrived without any device identity (it was just given one)."""
    device_id()
    return bool(g.get("new_device"))


def wechat_openid() -> str:
    """Return the WeChat openid kept in the session by the silent OAuth, or ''."""
    value = session.get(OPENID_KEY, "")
    return value if isinstance(value, str) else ""


def remember_openid(openid: str) -> None:
    """Keep the attendee's WeChat openid in the signed session."""
    session[OPENID_KEY] = openid[:64]
    session.permanent = True


def returning_device() -> bool:
    """Return True when the browser brought a device id (it may have participated before)."""
    device_id()
    return not g.new_device


def _remember(response: Response) -> Response:
    if g.get("set_cookie"):
        response.set_cookie(
            COOKIE, g.device_id, max_age=MAX_AGE, httponly=True, samesite="Lax",
            secure=current_app.config["SECURE_COOKIES"],
        )
    return response


def init_app(app: Flask) -> None:
    """Set the device cookie on responses to new devices (or ones whose cookie disagrees with the session)."""
    app.after_request(_remember)
