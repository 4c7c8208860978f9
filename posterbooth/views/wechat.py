"""The WeChat JS-SDK signature endpoint: the page reports its URL, the server signs it (own host only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from posterbooth.security import limiter
from posterbooth.sharing import is_own_page_url, wechat_credentials
from posterbooth.wechat import share_config_for

bp = Blueprint("wechat", __name__, url_prefix="/wechat")


def _answer(data: dict[str, Any], status: int = 200) -> Any:
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/signature")
@limiter.limit("60 per minute")
def signature() -> Any:
    """Return the ``wx.config`` payload for ``?url=`` (``location.href`` without the fragment)."""
    credentials = wechat_credentials()
    if credentials is None:
        return _answer({"error": "wechat_not_configured"}, 404)
    url = request.args.get("url", "").split("#", 1)[0]
    if not is_own_page_url(url):
        return _answer({"error": "foreign_url"}, 400)
    config = share_config_for(credentials, url)
    if config is None:
        return _answer({"error": "wechat_unavailable"}, 503)
    return _answer(config)
