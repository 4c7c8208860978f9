"""CSRF protection, rate limits and security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name
from flask_wtf.csrf import CSRFProtect
from limits import parse as parse_limit

from posterbooth.devices import device_id

csrf = CSRFProtect()


def _device_key() -> str:
    # The device comes from the signed session (or the device cookie): dropping the cookie does not reset it.
    return f"device:{device_id()}"


def _ip_key() -> str:
    return f"ip:{request.remote_addr}"


limiter = Limiter(key_func=_device_key, default_limits=[], headers_enabled=True)

F = TypeVar("F", bound=Callable[..., Any])


def answer_limits(view: F) -> F:
    """Limit posts per device (SUBMIT_RATE_LIMIT) and, generously, per IP address (SUBMIT_IP_RATE_LIMIT).

    Event Wi-Fi puts a whole crowd behind one address, so the per-IP limit only stops a script that drops
    its cookies to get a fresh device on every request.
    """
    per_device = limiter.limit(lambda: current_app.config["SUBMIT_RATE_LIMIT"], key_func=_device_key,
                               methods=["POST"], scope="answers-device")
    per_ip = limiter.limit(lambda: current_app.config["SUBMIT_IP_RATE_LIMIT"], key_func=_ip_key, methods=["POST"],
                           scope="answers-ip")
    return cast(F, per_ip(per_device(view)))


@limiter.request_filter
def _no_limit_applies() -> bool:
    """Skip the limiter's per-request work on endpoints that carry no limit (most pages)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's documented accessor
    cache: dict[str, bool] = app.extensions.setdefault("posterbooth.unlimited", {})
    endpoint = request.endpoint or ""
    if endpoint not in cache:
        manager = limiter.limit_manager
        view = app.view_functions.get(endpoint)
        cache[endpoint] = not (
            manager.default_limits or manager.application_limits
            or (view is not None and manager.decorated_limits(get_qualified_name(view)))
            or (request.blueprint and manager.blueprint_limits(app, request.blueprint))
        )
    return cache[endpoint]


def allow_image_draw(rate: str) -> bool:
    """Count one image drawn for this address against ``rate``; return False when it is over the limit.

    Keyed by address alone: images are public and cached, so a draw needs no device (and sets no cookie).
    """
    return limiter.limiter.hit(parse_limit(rate), "posterbooth-image-draws", request.remote_addr or "")


CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'self'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def _storage_uri(redis_url: str) -> str:
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def init_app(app: Flask) -> None:
    """Attach CSRF protection, the rate limiter and security headers."""
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", _storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "posterbooth-limits")
    # Fail open when Redis is away: count in this process's memory meanwhile (Flask-Limiter logs the switch),
    # and let any other storage error through with a log line, so an outage never turns a submit into a 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
    limiter.init_app(app)
    app.after_request(_headers)
