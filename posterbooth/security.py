"""CSRF protection, rate limits and security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

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
    limiter.init_app(app)
    app.after_request(_headers)
