"""WeChat silent OAuth (``snsapi_base``): who the attendee is inside WeChat, for per-attendee caps.

Inside WeChat, a campaign with ``identity: wechat`` sends the attendee to the Official Account's
authorize page (:func:`authorize_url`; ``WECHAT_OAUTH_BASE`` overrides ``https://open.weixin.qq.com``),
which comes straight back with a one-time ``code`` (snsapi_base asks the attendee nothing). The server
exchanges the code for the attendee's ``openid`` (:func:`exchange_code`, on ``WECHAT_API_BASE``). The
openid is kept in the signed session; the access token that comes with it is not used and not kept.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import httpx

from posterbooth.tls import tls_context
from posterbooth.wechat_tokens import DEFAULT_API_BASE, install_log_redaction

log = logging.getLogger(__name__)

DEFAULT_OAUTH_BASE = "https://open.weixin.qq.com"
AUTHORIZE_PATH = "/connect/oauth2/authorize"
EXCHANGE_PATH = "/sns/oauth2/access_token"
#: WeChat's answers for a code that is wrong, already used, or expired (codes live five minutes).
BAD_CODE = {40029: "invalid code", 40163: "code been used", 42003: "code expired"}


class OAuthError(Exception):
    """The code could not be exchanged for an openid (bad or expired code, WeChat away)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def authorize_url(app_id: str, redirect_uri: str, state: str, oauth_base: str = "") -> str:
    """Return the silent-authorisation URL that brings the attendee back to ``redirect_uri`` with a code."""
    query = urlencode({"appid": app_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state})
    return f"{oauth_base or DEFAULT_OAUTH_BASE}{AUTHORIZE_PATH}?{query}#wechat_redirect"


def exchange_code(app_id: str, app_secret: str, code: str, *, api_base: str = "",
                  transport: httpx.BaseTransport | None = None, timeout: float = 5.0) -> str:
    """Exchange a one-time OAuth code for the attendee's openid; raise :class:`OAuthError` when it cannot."""
    install_log_redaction()
    params = {"appid": app_id, "secret": app_secret, "code": code, "grant_type": "authorization_code"}
    try:
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, verify=tls_context()) as client:
            response = client.get(f"{api_base or DEFAULT_API_BASE}{EXCHANGE_PATH}", params=params)
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OAuthError("unavailable", type(exc).__name__) from None
    if not isinstance(data, dict):
        raise OAuthError("unavailable", "unexpected answer")
    errcode = int(data.get("errcode") or 0)
    if errcode:
        raise OAuthError(str(errcode), BAD_CODE.get(errcode, "WeChat refused the code"))
    openid = data.get("openid")
    if not isinstance(openid, str) or not openid or len(openid) > 64:
        raise OAuthError("no_openid", "WeChat's answer has no openid")
    return openid
