"""Download or decode a provider's result image, safely.

A result URL is only ever one the provider returned for our own job. Even so
it is checked before it is fetched: HTTPS only, no credentials in the URL, no
private/loopback/link-local hosts (IP literals in any notation the C library
accepts, such as ``127.1`` or ``2130706433``, and every address a name resolves
to), an optional host allow-list, no redirects. The single exception is an *override origin* (a configured endpoint
such as a local fake service): plain-HTTP URLs on exactly that host and port
are accepted, so a fake can serve its own results.

Downloads are streamed with a byte cap and an overall deadline; the bytes must
be declared ``image/*`` and must decode with Pillow (a restricted set of
formats, a pixel cap against decompression bombs, a full decode so truncated
files are caught). The returned content type comes from the decoded format,
not from the server's header.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import socket
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from PIL import Image

from posterbooth.providers.base import GeneratedImage, ProviderError
from posterbooth.tls import tls_context

MAX_RESULT_BYTES = 20 * 1024 * 1024
#: 4x super-resolution of 1024:1024 is 4096x4096 (16.8 Mpx); anything far beyond is refused.
MAX_RESULT_PIXELS = 20_000_000
DEFAULT_FETCH_TIMEOUT = 30.0
#: Pillow format -> MIME type of the formats a provider may return.
ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class ImageBytes:
    """A verified encoded image."""

    data: bytes
    content_type: str
    width: int
    height: int

    def generated(self, provider: str, model: str = "", revised_prompt: str | None = None) -> GeneratedImage:
        """Wrap these bytes as a provider's GeneratedImage."""
        return GeneratedImage(
            data=self.data,
            content_type=self.content_type,
            provider=provider,
            model=model,
            revised_prompt=revised_prompt,
        )


def _refuse(code: str, message: str) -> ProviderError:
    return ProviderError("bad_request", code, message)


def verify_image(data: bytes, *, max_pixels: int = MAX_RESULT_PIXELS) -> ImageBytes:
    """Check that ``data`` is a complete PNG/JPEG/WebP/GIF of sane size; return it with its MIME type."""
    formats = list(ALLOWED_FORMATS)
    try:
        with warnings.catch_warnings():
            # Pillow warns (not raises) between its own limit and twice that; make it an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as im:
                fmt = im.format or ""
                width, height = im.size
                if width * height > max_pixels:
                    raise _refuse(
                        "ResultTooLarge", f"result image is {width}x{height}, over {max_pixels} pixels"
                    )
                im.verify()
            with Image.open(io.BytesIO(data), formats=formats) as im:
                im.load()
    except ProviderError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse("ResultTooLarge", f"result image refused as a decompression bomb: {exc}") from None
    except Exception as exc:  # Pillow raises many types for broken data
        raise _refuse("ResultUndecodable", f"result is not a valid image ({type(exc).__name__})") from None
    content_type = ALLOWED_FORMATS.get(fmt)
    if content_type is None:
        raise _refuse("ResultUndecodable", f"result image format {fmt!r} is not accepted")
    return ImageBytes(data=data, content_type=content_type, width=width, height=height)


def decode_base64_image(
    data: str, *, max_bytes: int = MAX_RESULT_BYTES, max_pixels: int = MAX_RESULT_PIXELS
) -> ImageBytes:
    """Decode a base64 (or ``data:`` URL) image and verify it like a download."""
    text = data.strip()
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            raise _refuse("ResultUndecodable", "data URL is not base64-encoded")
    text = "".join(text.split())
    if len(text) // 4 * 3 > max_bytes:
        raise _refuse("ResultTooLarge", f"base64 result is over {max_bytes} bytes")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("ResultUndecodable", "result is not valid base64") from None
    if not raw:
        raise _refuse("ResultUndecodable", "result image is empty")
    return verify_image(raw, max_pixels=max_pixels)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default = 443 if scheme == "https" else 80
    return scheme, (parts.hostname or "").lower(), parts.port or default


def _host_matches(host: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            pattern = pattern[1:]
        if pattern.startswith("."):
            if host.endswith(pattern) and len(host) > len(pattern):
                return True
        elif host == pattern:
            return True
    return False


#: Resolves a host and port to the IP addresses a connection could reach.
Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Return every address ``host`` resolves to (raises ProviderError when it resolves to none)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ProviderError("retryable", "ResultNetworkError", f"result host {host} does not resolve") from None
    return [str(info[4][0]) for info in infos]


def _is_internal_address(address: str) -> bool:
    try:
        addr = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: refuse it
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not addr.is_global


def _legacy_ipv4(host: str) -> str | None:
    """Return the address of a host written in a legacy IPv4 notation (127.1, 0x7f.1, 2130706433)."""
    if not host or not all(c in "0123456789abcdefx." for c in host) or not host[0].isdigit():
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def _is_internal_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    legacy = _legacy_ipv4(host)
    if legacy is not None:
        return True if legacy != host else _is_internal_address(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return _is_internal_address(host)


def check_result_url(
    url: str,
    *,
    allowed_hosts: Iterable[str] | None = None,
    override_origin: str | Iterable[str] | None = None,
    resolver: Resolver | None = None,
) -> str:
    """Return ``url`` if it may be fetched as a result, else raise ProviderError(bad_request).

    With a ``resolver``, every address the host resolves to must be a public one too.
    """
    try:
        parts = urlsplit(url)
        scheme, host, port = _origin(url)
    except ValueError:
        raise _refuse("ResultURLRefused", "result URL is malformed") from None
    if not host:
        raise _refuse("ResultURLRefused", "result URL has no host")
    if parts.username is not None or parts.password is not None:
        raise _refuse("ResultURLRefused", "result URL carries credentials")
    origins = [override_origin] if isinstance(override_origin, str) else list(override_origin or ())
    on_override = any(_origin(o)[1:] == (host, port) for o in origins if o)
    if scheme == "http" and not on_override:
        raise _refuse("ResultURLRefused", f"result URL must be https, got http://{host}")
    if scheme not in ("http", "https"):
        raise _refuse("ResultURLRefused", f"result URL scheme {scheme!r} is not https")
    if on_override:
        return url
    if _is_internal_host(host):
        raise _refuse("ResultURLRefused", f"result URL points at an internal host {host}")
    if allowed_hosts is not None and not _host_matches(host, allowed_hosts):
        raise _refuse("ResultURLRefused", f"result host {host} is not in the allowed list")
    if resolver is not None:
        addresses = resolver(host, port)
        if not addresses or any(_is_internal_address(a) for a in addresses):
            raise _refuse("ResultURLRefused", f"result host {host} resolves to an internal address")
    return url


def fetch_result(
    url: str,
    *,
    allowed_hosts: Iterable[str] | None = None,
    override_origin: str | Iterable[str] | None = None,
    transport: httpx.BaseTransport | None = None,
    max_bytes: int = MAX_RESULT_BYTES,
    max_pixels: int = MAX_RESULT_PIXELS,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    resolver: Resolver | None = None,
) -> ImageBytes:
    """Download a provider's result URL (checked, capped, not redirected) and verify the image.

    Over the real network (no ``transport``) the host's addresses are resolved and checked first.
    """
    if resolver is None and transport is None:
        resolver = resolve_host
    check_result_url(url, allowed_hosts=allowed_hosts, override_origin=override_origin, resolver=resolver)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    received = 0
    try:
        with (
            httpx.Client(
                transport=transport,
                timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                follow_redirects=False,
                trust_env=False,
                verify=tls_context(),  # one per process: a new client would load the CA bundle
            ) as client,
            client.stream("GET", url, headers={"Accept": "image/*"}) as resp,
        ):
            status = resp.status_code
            if 300 <= status < 400:
                raise _refuse("ResultRedirected", f"result URL answered {status} redirect; not followed")
            if status == 429 or status >= 500:
                raise ProviderError("retryable", f"HTTP{status}", f"result download answered {status}")
            if status != 200:
                raise _refuse("ResultUnavailable", f"result download answered {status} (expired?)")
            content_type = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if not content_type.startswith("image/"):
                raise _refuse("ResultNotImage", f"result is {content_type or 'untyped'}, not an image")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _refuse("ResultTooLarge", f"result is {declared} bytes, over {max_bytes}")
            for chunk in resp.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise _refuse("ResultTooLarge", f"result is over {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise ProviderError("retryable", "ResultTimeout", "result download too slow")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise ProviderError("retryable", "ResultTimeout", "result download timed out") from None
    except httpx.TransportError as exc:
        raise ProviderError(
            "retryable", "ResultNetworkError", f"result download failed ({type(exc).__name__})"
        ) from None
    return verify_image(b"".join(chunks), max_pixels=max_pixels)


@dataclass(frozen=True)
class ResultFetcher:
    """A configured :func:`fetch_result`: call it with a provider's result URL."""

    allowed_hosts: tuple[str, ...] | None = None
    #: One origin URL, or several, whose own host:port may serve results over plain http.
    override_origin: str | tuple[str, ...] | None = None
    transport: httpx.BaseTransport | None = None
    max_bytes: int = MAX_RESULT_BYTES
    max_pixels: int = MAX_RESULT_PIXELS
    timeout: float = DEFAULT_FETCH_TIMEOUT
    resolver: Resolver | None = None

    def __call__(self, url: str) -> ImageBytes:
        """Fetch and verify one result URL."""
        return fetch_result(
            url,
            allowed_hosts=self.allowed_hosts,
            override_origin=self.override_origin,
            transport=self.transport,
            max_bytes=self.max_bytes,
            max_pixels=self.max_pixels,
            timeout=self.timeout,
            resolver=self.resolver,
        )


#: What providers accept as their ``fetch`` argument.
Fetch = Callable[[str], ImageBytes]
