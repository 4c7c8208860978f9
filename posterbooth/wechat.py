"""Sign pages for the WeChat JS-SDK share cards and recognise the WeChat in-app browser.

The web layer calls :func:`share_config_for` with the URL the page was loaded with
(``location.href.split('#')[0]``) and gets the ``wx.config`` payload, or None when WeChat is not configured
or its API is failing, in which case the page simply renders without the JS-SDK (a plain link card).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import threading
import weakref
from typing import Any

import redis

from posterbooth.wechat_tokens import (
    DEFAULT_API_BASE,
    WeChatCredentials,
    WeChatError,
    WeChatQuotaExceeded,
    WeChatUnavailable,
    credentials_from_config,
)

__all__ = [
    "DEFAULT_API_BASE",
    "JS_API_LIST",
    "WeChatCredentials",
    "WeChatError",
    "WeChatQuotaExceeded",
    "WeChatUnavailable",
    "credentials_from_config",
    "is_wechat",
    "is_wecom",
    "js_signature",
    "new_nonce",
    "share_config_for",
    "sign_page",
]

log = logging.getLogger(__name__)

JS_API_LIST = ["updateAppMessageShareData", "updateTimelineShareData"]
_NONCE_ALPHABET = string.ascii_letters + string.digits

_degraded: weakref.WeakSet[WeChatCredentials] = weakref.WeakSet()  # objects in an outage
_degraded_lock = threading.Lock()


def is_wechat(user_agent: str | None) -> bool:
    """Return True for WeChat's in-app browser (including WeCom, whose UA also says MicroMessenger)."""
    return user_agent is not None and "micromessenger" in user_agent.lower()


def is_wecom(user_agent: str | None) -> bool:
    """Return True for WeCom (企业微信), whose UA carries ``wxwork`` next to ``MicroMessenger``."""
    return user_agent is not None and "wxwork" in user_agent.lower()


def js_signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """Return the JS-SDK signature: sha1 hex of the sorted ``k=v&...`` string, url without its fragment."""
    fields = {
        "jsapi_ticket": ticket,
        "noncestr": noncestr,
        "timestamp": str(timestamp),
        "url": url.split("#", 1)[0],
    }
    string1 = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha1(string1.encode("utf-8"), usedforsecurity=False).hexdigest()


def new_nonce(length: int = 16) -> str:
    """Return a random alphanumeric nonceStr (16 characters by default)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(max(length, 16)))


def sign_page(credentials: WeChatCredentials, url: str) -> dict[str, Any]:
    """Return the ``wx.config`` payload for a page URL; raise WeChatError if no ticket can be had."""
    ticket = credentials.jsapi_ticket()
    timestamp = int(credentials.clock())
    nonce = new_nonce()
    return {
        "appId": credentials.app_id,
        "timestamp": timestamp,
        "nonceStr": nonce,
        "signature": js_signature(ticket, nonce, timestamp, url),
        "jsApiList": list(JS_API_LIST),
    }


def share_config_for(credentials: WeChatCredentials | None, url: str) -> dict[str, Any] | None:
    """Return the ``wx.config`` payload, or None (warning once per outage) if WeChat is off or failing."""
    if credentials is None:
        return None
    try:
        config = sign_page(credentials, url)
    except (WeChatError, redis.RedisError) as exc:
        with _degraded_lock:
            first = credentials not in _degraded
            _degraded.add(credentials)
        if first:
            log.warning(
                "WeChat JS-SDK signing unavailable for app %s, serving pages without share config: %s",
                credentials.app_id, exc,
            )
        return None
    with _degraded_lock:
        recovered = credentials in _degraded
        _degraded.discard(credentials)
    if recovered:
        log.info("WeChat JS-SDK signing works again for app %s", credentials.app_id)
    return config
