"""Sign Tencent Cloud API 3.0 requests with TC3-HMAC-SHA256.

Pure functions, no I/O: the caller serialises the JSON body once, signs exactly
those bytes and sends exactly those bytes. Only the POST-with-JSON-body form the
image APIs use is covered (canonical URI ``/``, empty query string, signed
headers ``content-type;host``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
JSON_CONTENT_TYPE = "application/json"


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def utc_date(timestamp: int) -> str:
    """Return the UTC calendar date (YYYY-MM-DD) of a Unix timestamp."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def credential_scope(timestamp: int, service: str) -> str:
    """Return the credential scope ``<date>/<service>/tc3_request``."""
    return f"{utc_date(timestamp)}/{service}/tc3_request"


def canonical_request(content_type: str, host: str, body: bytes) -> str:
    """Return the canonical request string for a POST to ``/`` with a body."""
    return f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\n{SIGNED_HEADERS}\n{sha256_hex(body)}"


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    """Return the string to sign for a canonical request."""
    return (
        f"{ALGORITHM}\n{timestamp}\n{credential_scope(timestamp, service)}\n"
        f"{sha256_hex(canonical.encode('utf-8'))}"
    )


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    """Derive the per-day, per-service signing key from the secret key."""
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac(k_date, service)
    return _hmac(k_service, "tc3_request")


def signature(secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    """Return the hex signature of a canonical request."""
    key = signing_key(secret_key, utc_date(timestamp), service)
    to_sign = string_to_sign(timestamp, service, canonical)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    body: bytes,
    timestamp: int,
    content_type: str = JSON_CONTENT_TYPE,
) -> str:
    """Return the ``Authorization`` header value for one request."""
    sig = signature(secret_key, timestamp, service, canonical_request(content_type, host, body))
    return (
        f"{ALGORITHM} Credential={secret_id}/{credential_scope(timestamp, service)}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={sig}"
    )


def sign_request(
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    action: str,
    version: str,
    region: str | None,
    body: bytes,
    timestamp: int,
    token: str | None = None,
    language: str | None = None,
    content_type: str = JSON_CONTENT_TYPE,
) -> dict[str, str]:
    """Return every header a signed API 3.0 request needs (Host, Content-Type, X-TC-*, Authorization)."""
    headers = {
        "Host": host,
        "Content-Type": content_type,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(timestamp),
    }
    if region:
        headers["X-TC-Region"] = region
    if token:
        headers["X-TC-Token"] = token
    if language:
        headers["X-TC-Language"] = language
    headers["Authorization"] = authorization(
        secret_id, secret_key, service, host, body, timestamp, content_type
    )
    return headers
