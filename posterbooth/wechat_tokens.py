"""Fetch and cache WeChat access_token and jsapi_ticket centrally in Redis, with single-flight refresh.

WeChat allows exactly one place to refresh an app's credentials (a new access_token invalidates the old
one, and jsapi_ticket calls are rate-limited per day), so every web process, worker and machine shares one
Redis cache and one Redis lock per credential. Values are refreshed before they expire; while one caller
refreshes, the others keep using the still-valid old value or wait briefly for the new one.

Secrets never reach logs or exception messages: the app secret only travels in a POST body, WeChat's
error messages are scrubbed, and a filter on the ``httpx`` logger masks ``access_token=`` in request URLs.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
ACCESS_TOKEN = "access_token"  # noqa: S105 - a cache key kind, not a secret
JSAPI_TICKET = "jsapi_ticket"

#: errcodes meaning "this access_token is not (or no longer) valid".
TOKEN_INVALID_ERRCODES = frozenset({40001, 40014, 42001})
QUOTA_ERRCODE = 45009
#: errcode used for failures that did not come from WeChat itself (network, HTTP status, bad JSON).
UNAVAILABLE_ERRCODE = -1

_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

_SECRET_QUERY = re.compile(r"((?:access_token|secret|appsecret)=)[^&\s\"']+", re.IGNORECASE)


class WeChatError(Exception):
    """Report an error answer (or failure) of the WeChat API, without any secret in the message."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat API error {errcode}: {errmsg}")


class WeChatQuotaExceeded(WeChatError):
    """Report that the daily API quota is exhausted (errcode 45009) and no valid cached value remains."""


class WeChatUnavailable(WeChatError):
    """Report that WeChat could not be reached or answered garbage (errcode -1)."""


def error_for(errcode: int, errmsg: str) -> WeChatError:
    """Return the most specific WeChatError subclass instance for an errcode."""
    if errcode == QUOTA_ERRCODE:
        return WeChatQuotaExceeded(errcode, errmsg)
    if errcode == UNAVAILABLE_ERRCODE:
        return WeChatUnavailable(errcode, errmsg)
    return WeChatError(errcode, errmsg)


def redact(text: str, *values: str | None) -> str:
    """Return text with the given secret values and any ``access_token=``/``secret=`` query values masked."""
    for value in values:
        if value:
            text = text.replace(value, "***")
    return _SECRET_QUERY.sub(r"\1***", text)


class _RedactSecretsFilter(logging.Filter):
    """Mask access tokens and secrets in the request URLs that httpx logs at INFO level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the secret-masking filter to the ``httpx`` logger once per process."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecretsFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactSecretsFilter())


install_log_redaction()


@dataclass(frozen=True)
class _Cached:
    value: str
    expires_at: float
    refresh_at: float


@dataclass(frozen=True)
class _Fetched:
    value: str
    expires_in: float


class WeChatCredentials:
    """Hand out an app's access_token and jsapi_ticket, cached in Redis and refreshed single-flight."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        redis_conn: redis.Redis,
        api_base: str = DEFAULT_API_BASE,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        *,
        refresh_margin: float = 300.0,
        http_timeout: float = 5.0,
        wait_timeout: float = 8.0,
        poll_interval: float = 0.05,
        lock_ttl: float = 30.0,
        failure_cooldown: float = 5.0,
        quota_cooldown: float = 60.0,
        key_prefix: str = "posterbooth:wechat",
    ) -> None:
        if not app_id or not app_secret:
            raise ValueError("WeChat app_id and app_secret are both required")
        self.app_id = app_id
        self._secret = app_secret
        self._redis = redis_conn
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.clock = clock
        self.refresh_margin = refresh_margin
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.lock_ttl = lock_ttl
        self.failure_cooldown = failure_cooldown
        self.quota_cooldown = quota_cooldown
        self._prefix = f"{key_prefix}:{app_id}"
        self._http = httpx.Client(transport=transport, timeout=http_timeout, follow_redirects=False)
        self._release = self._redis.register_script(_RELEASE_LOCK)

    def __repr__(self) -> str:
        return f"WeChatCredentials(app_id={self.app_id!r}, api_base={self.api_base!r})"

    def __enter__(self) -> WeChatCredentials:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client (the Redis connection belongs to the caller)."""
        self._http.close()

    # ----------------------------------------------------------------- public API

    def access_token(self) -> str:
        """Return a valid access_token, refreshing it (once, cluster-wide) when it nears expiry."""
        return self._obtain(ACCESS_TOKEN, lambda: self._stable_token(force_refresh=False))

    def jsapi_ticket(self) -> str:
        """Return a valid jsapi_ticket, refreshing it (once, cluster-wide) when it nears expiry."""
        return self._obtain(JSAPI_TICKET, self._fetch_ticket)

    def key(self, kind: str, *suffix: str) -> str:
        """Return the Redis key this app uses for a credential kind (``access_token``/``jsapi_ticket``)."""
        return ":".join((self._prefix, kind, *suffix))

    # ----------------------------------------------------------------- upstream calls

    def _stable_token(self, *, force_refresh: bool) -> _Fetched:
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        data = self._call("POST", "/cgi-bin/stable_token", json=body)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatUnavailable(UNAVAILABLE_ERRCODE, "stable_token answer carries no access_token")
        log.info("fetched WeChat access_token for app %s (force_refresh=%s)", self.app_id, force_refresh)
        return _Fetched(token, _expires_in(data))

    def _getticket(self, access_token: str) -> _Fetched:
        data = self._call(
            "GET", "/cgi-bin/ticket/getticket", params={"access_token": access_token, "type": "jsapi"},
            known=(access_token,),
        )
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            raise WeChatUnavailable(UNAVAILABLE_ERRCODE, "getticket answer carries no ticket")
        log.info("fetched WeChat jsapi_ticket for app %s", self.app_id)
        return _Fetched(ticket, _expires_in(data))

    def _fetch_ticket(self) -> _Fetched:
        token = self.access_token()
        try:
            return self._getticket(token)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_INVALID_ERRCODES:
                raise
            log.warning(
                "WeChat rejected the cached access_token of app %s (errcode %s); refreshing it once",
                self.app_id, exc.errcode,
            )
        fresh = self._obtain(ACCESS_TOKEN, lambda: self._stable_token(force_refresh=True), reject=token)
        return self._getticket(fresh)

    def _call(self, method: str, path: str, *, known: tuple[str, ...] = (), **kwargs: Any) -> dict[str, Any]:
        hide = (self._secret, *known)
        try:
            response = self._http.request(method, self.api_base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeChatUnavailable(
                UNAVAILABLE_ERRCODE, redact(f"{path}: {type(exc).__name__}: {exc}", *hide)
            ) from None
        if response.status_code != 200:
            raise WeChatUnavailable(UNAVAILABLE_ERRCODE, f"{path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise WeChatUnavailable(UNAVAILABLE_ERRCODE, f"{path}: answer is not JSON") from None
        if not isinstance(data, dict):
            raise WeChatUnavailable(UNAVAILABLE_ERRCODE, f"{path}: answer is not a JSON object")
        errcode = data.get("errcode", 0)
        if errcode:
            try:
                code = int(errcode)
            except (TypeError, ValueError):
                code = UNAVAILABLE_ERRCODE
            raise error_for(code, redact(f"{path}: {data.get('errmsg', '')}", *hide))
        return data

    # ----------------------------------------------------------------- cache + single flight

    def _obtain(self, kind: str, fetch: Callable[[], _Fetched], reject: str | None = None) -> str:
        """Return a fresh cached value, or refresh it under the cluster-wide lock, or wait for who does.

        ``reject`` is a value known to be bad (WeChat refused it): it counts as neither fresh nor valid.
        """
        deadline = time.monotonic() + self.wait_timeout
        while True:
            ready, old = self._usable(kind, reject)
            if ready is not None:
                return ready
            token = self._acquire(kind)
            if token is None:
                if old is not None:
                    return old  # someone else is refreshing; the old value is still good
                if time.monotonic() >= deadline:
                    raise WeChatUnavailable(
                        UNAVAILABLE_ERRCODE, f"timed out waiting for another process to refresh the {kind}"
                    )
                time.sleep(self.poll_interval)
                continue
            try:
                ready, old = self._usable(kind, reject)  # re-check: the last holder may have stored it
                if ready is not None:
                    return ready
                return self._refresh(kind, fetch, old)
            finally:
                self._release(keys=[self.key(kind, "lock")], args=[token])

    def _refresh(self, kind: str, fetch: Callable[[], _Fetched], old: str | None) -> str:
        try:
            fetched = fetch()
        except WeChatQuotaExceeded as exc:
            self._set_cooldown(kind, exc, self.quota_cooldown)
            if old is not None:
                log.warning(
                    "WeChat API quota exhausted (errcode 45009) while refreshing the %s of app %s; "
                    "keeping the cached %s, which is still valid", kind, self.app_id, kind,
                )
                return old
            raise WeChatQuotaExceeded(
                exc.errcode,
                f"daily API quota exhausted while fetching the {kind} of app {self.app_id}, "
                f"and no valid cached {kind} to fall back on",
            ) from None
        except WeChatError as exc:
            self._set_cooldown(kind, exc, self.failure_cooldown)
            if old is not None:
                log.warning(
                    "refreshing the %s of app %s failed (%s); keeping the cached one, which is still valid",
                    kind, self.app_id, exc,
                )
                return old
            raise
        self._store(kind, fetched)
        return fetched.value

    def _usable(self, kind: str, reject: str | None) -> tuple[str | None, str | None]:
        """Return (value to use now, old value): fresh wins; during a failure cooldown the old one or the failure."""
        fresh, old = self._state(kind, reject)
        if fresh is not None:
            return fresh, old
        failure = self._cooldown(kind)
        if failure is not None:
            if old is not None:
                return old, old
            raise failure
        return None, old

    def _state(self, kind: str, reject: str | None) -> tuple[str | None, str | None]:
        """Return (fresh value, still-valid value) from the cache; either may be None."""
        cached = self._read(kind)
        if cached is None or cached.value == reject:
            return None, None
        now = self.clock()
        if now < cached.refresh_at:
            return cached.value, cached.value
        return None, (cached.value if now < cached.expires_at else None)

    def _read(self, kind: str) -> _Cached | None:
        raw = self._redis.get(self.key(kind))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return _Cached(str(data["value"]), float(data["expires_at"]), float(data["refresh_at"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed cached WeChat %s for app %s", kind, self.app_id)
            return None

    def _store(self, kind: str, fetched: _Fetched) -> None:
        now = self.clock()
        lifetime = max(fetched.expires_in, 1.0)
        # Refresh `refresh_margin` before expiry, but never later than halfway through a short lifetime,
        # so a value that comes back with little time left does not trigger a refresh on every call.
        refresh_in = max(lifetime - self.refresh_margin, lifetime / 2)
        record = {"value": fetched.value, "expires_at": now + lifetime, "refresh_at": now + refresh_in}
        pipe = self._redis.pipeline()
        pipe.set(self.key(kind), json.dumps(record), ex=max(1, int(lifetime)))
        pipe.delete(self.key(kind, "cooldown"))
        pipe.execute()

    def _acquire(self, kind: str) -> str | None:
        token = secrets.token_hex(16)
        ok = self._redis.set(self.key(kind, "lock"), token, nx=True, px=int(self.lock_ttl * 1000))
        return token if ok else None

    def _set_cooldown(self, kind: str, exc: WeChatError, seconds: float) -> None:
        payload = json.dumps({"errcode": exc.errcode, "errmsg": exc.errmsg})
        self._redis.set(self.key(kind, "cooldown"), payload, px=max(1, int(seconds * 1000)))

    def _cooldown(self, kind: str) -> WeChatError | None:
        """Return the recent failure that other callers should not retry yet, if any."""
        raw = self._redis.get(self.key(kind, "cooldown"))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            errcode, errmsg = int(data["errcode"]), str(data["errmsg"])
        except (ValueError, KeyError, TypeError):
            return None
        return error_for(errcode, f"{errmsg} (recent failure; not retrying yet)")


def credentials_from_config(
    app_id: str | None,
    app_secret: str | None,
    api_base: str | None,
    redis_conn: redis.Redis,
    transport: httpx.BaseTransport | None = None,
    **options: Any,
) -> WeChatCredentials | None:
    """Build credentials from config (``WECHAT_APP_ID``/``_APP_SECRET``/``_API_BASE``); None if unset."""
    if not app_id or not app_secret:
        return None
    return WeChatCredentials(
        app_id, app_secret, redis_conn, api_base=api_base or DEFAULT_API_BASE, transport=transport, **options
    )


def _expires_in(data: dict[str, Any]) -> float:
    try:
        return float(data.get("expires_in", 7200))
    except (TypeError, ValueError):
        return 7200.0
