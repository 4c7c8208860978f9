"""Call any Tencent Cloud API 3.0 action over HTTPS and classify its errors.

One :class:`TencentCloudClient` per service endpoint (``hunyuan``, ``aiart``).
The JSON body is serialised once, signed with :mod:`posterbooth.providers.tc3` and
sent byte for byte. Every failure comes out as a
:class:`~posterbooth.providers.base.ProviderError` whose ``kind`` tells the caller
what to do (see :func:`classify_code`).

Secrets: the secret key is only ever fed to the HMAC; it is not stored in any
public attribute, not shown by ``repr`` and never put in an error or log line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from posterbooth.providers import tc3
from posterbooth.providers.base import ErrorKind, ProviderError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_REGION = "ap-guangzhou"

# --- error classification -------------------------------------------------------------------------
# From the Tencent image API reference ("Error codes, by what the caller should do"),
# plus Tencent Cloud's documented *common* error codes, which every API can return.

_RETRYABLE_EXACT = frozenset(
    {
        "LimitExceeded",
        "InternalError",
        "FailedOperation.EngineServerLimitExceeded",
        "FailedOperation.EngineRequestTimeout",
        "FailedOperation.EngineServerError",
        "FailedOperation.RequestTimeout",
        "FailedOperation.InnerError",
        "FailedOperation.RpcFail",
        "FailedOperation.ServerError",
        "FailedOperation.ConsoleServerError",
        # common codes
        "ServiceUnavailable",
        "ResourceInUse",
    }
)
_RETRYABLE_PREFIXES = ("RequestLimitExceeded", "LimitExceeded.", "InternalError.")

_MODERATION_EXACT = frozenset(
    {
        "OperationDenied.TextIllegalDetected",
        "OperationDenied.ImageIllegalDetected",
        "FailedOperation.GenerateImageFailed",
        "FailedOperation.ModerationFailed",
    }
)

_ACCOUNT_EXACT = frozenset(
    {
        "FailedOperation.FreeResourcePackExhausted",
        "FailedOperation.ResourcePackExhausted",
        "FailedOperation.ServiceNotActivated",
        "FailedOperation.ServiceStop",
        "FailedOperation.ServiceStopArrears",
        "FailedOperation.UserUnAuthError",
        # common codes: the account or its CAM policy is not allowed to call
        "UnauthorizedOperation",
        "IpInBlacklist",
        "IpNotInWhitelist",
        "ResourceUnavailable",
        "ResourcesSoldOut",
        "ResourceInsufficient",
    }
)
_ACCOUNT_PREFIXES = (
    "ResourceUnavailable.",
    "ResourcesSoldOut.",
    "ResourceInsufficient.",
    "AuthFailure",
    "UnauthorizedOperation.",
)

_BAD_REQUEST_EXACT = frozenset(
    {
        "FailedOperation.ImageDecodeFailed",
        "FailedOperation.ImageDownloadError",
        "FailedOperation.DownloadError",
        "FailedOperation.ImageResolutionExceed",
        "FailedOperation.ImageSizeExceed",
        "FailedOperation.RequestEntityTooLarge",
        "FailedOperation.JobNotExist",
        # common codes: the request itself is wrong; retrying it as is cannot help
        "MissingParameter",
        "UnknownParameter",
        "UnsupportedOperation",
        "UnsupportedRegion",
        "UnsupportedProtocol",
        "InvalidAction",
        "InvalidRequest",
        "NoSuchProduct",
        "NoSuchVersion",
        "ActionOffline",
        "RequestSizeLimitExceeded",
        "ResourceNotFound",
    }
)
_BAD_REQUEST_PREFIXES = (
    "InvalidParameter",  # also InvalidParameterValue.*
    "MissingParameter.",
    "UnknownParameter.",
    "UnsupportedOperation.",
    "ResourceNotFound.",
)

#: Kind used for codes in none of the tables. "retryable" keeps the attendee's place and lets the
#: caller's bounded attempts (and circuit breaker) decide; it neither pauses the whole campaign
#: ("account") nor blames the attendee's content ("moderation") on a guess.
UNKNOWN_CODE_KIND: ErrorKind = "retryable"


def classify_code(code: str) -> ErrorKind:
    """Return what the caller should do about a Tencent Cloud error code."""
    if code in _MODERATION_EXACT:
        return "moderation"
    if code in _RETRYABLE_EXACT or code.startswith(_RETRYABLE_PREFIXES):
        return "retryable"
    if code in _ACCOUNT_EXACT or code.startswith(_ACCOUNT_PREFIXES):
        return "account"
    if code in _BAD_REQUEST_EXACT or code.startswith(_BAD_REQUEST_PREFIXES):
        return "bad_request"
    return UNKNOWN_CODE_KIND


def known_retryable(code: str) -> bool:
    """Tell whether a code is one of the documented transient ones (not retryable only because it is unknown)."""
    return code in _RETRYABLE_EXACT or code.startswith(_RETRYABLE_PREFIXES)


def error_from_code(code: str, message: str, request_id: str = "") -> ProviderError:
    """Build the ProviderError for an error code returned by the service."""
    text = message or "(no message)"
    if request_id:
        text = f"{text} [RequestId {request_id}]"
    return ProviderError(classify_code(code), code, text)


# --- the client -----------------------------------------------------------------------------------


def host_of(endpoint: str) -> str:
    """Return the Host header value for an endpoint URL (port only when not the scheme's default)."""
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if parts.port and parts.port != default_port:
        return f"{host}:{parts.port}"
    return host


def _normalise_endpoint(endpoint: str) -> str:
    endpoint = endpoint if "://" in endpoint else f"https://{endpoint}"
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/"


class TencentCloudClient:
    """Sign and send API 3.0 calls to one Tencent Cloud service endpoint."""

    def __init__(
        self,
        service: str,
        version: str,
        endpoint: str,
        secret_id: str,
        secret_key: str,
        token: str | None = None,
        region: str | None = DEFAULT_REGION,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        language: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret_id or not secret_key:
            raise ValueError("Tencent Cloud secret id and secret key are both required")
        self.service = service
        self.version = version
        self.endpoint = _normalise_endpoint(endpoint)
        self.host = host_of(self.endpoint)
        self.region = region
        self.language = language
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._token = token
        self._clock = clock
        if not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout, connect=min(10.0, float(timeout)))
        self._http = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )

    def __repr__(self) -> str:
        return (
            f"TencentCloudClient(service={self.service!r}, version={self.version!r}, "
            f"endpoint={self.endpoint!r}, region={self.region!r})"
        )

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._http.close()

    def __enter__(self) -> TencentCloudClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Call ``action`` with ``params`` and return the ``Response`` object, or raise ProviderError."""
        body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = tc3.sign_request(
            self._secret_id,
            self._secret_key,
            self.service,
            self.host,
            action,
            self.version,
            self.region,
            body,
            int(self._clock()),
            token=self._token,
            language=self.language,
        )
        started = time.monotonic()
        try:
            resp = self._http.post(self.endpoint, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            log.warning("tencent %s %s: timeout (%s)", self.service, action, type(exc).__name__)
            raise ProviderError(
                "retryable", "NetworkTimeout", f"{action}: no answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            log.warning("tencent %s %s: network error (%s)", self.service, action, type(exc).__name__)
            raise ProviderError(
                "retryable", "NetworkError", f"{action}: {type(exc).__name__}: {exc}"
            ) from None
        elapsed = time.monotonic() - started
        return self._parse(action, resp, elapsed)

    def _parse(self, action: str, resp: httpx.Response, elapsed: float) -> dict[str, Any]:
        if resp.status_code != 200:
            log.warning("tencent %s %s: HTTP %s", self.service, action, resp.status_code)
            raise ProviderError(
                "retryable", f"HTTP{resp.status_code}", f"{action}: unexpected HTTP status {resp.status_code}"
            )
        try:
            payload = resp.json()
        except ValueError:
            log.warning("tencent %s %s: body is not JSON", self.service, action)
            raise ProviderError("retryable", "InvalidResponse", f"{action}: response is not JSON") from None
        response = payload.get("Response") if isinstance(payload, dict) else None
        if not isinstance(response, dict):
            raise ProviderError("retryable", "InvalidResponse", f"{action}: response has no Response object")
        error = response.get("Error")
        request_id = str(response.get("RequestId", ""))
        if error is not None:
            code = str(error.get("Code", "")) if isinstance(error, dict) else ""
            message = str(error.get("Message", "")) if isinstance(error, dict) else ""
            exc = error_from_code(code or "UnknownError", message, request_id)
            log.warning(
                "tencent %s %s: %s %s (%.2fs, RequestId %s)",
                self.service,
                action,
                exc.kind,
                exc.code,
                elapsed,
                request_id,
            )
            raise exc
        log.debug("tencent %s %s: ok (%.2fs, RequestId %s)", self.service, action, elapsed, request_id)
        return response
