"""Result download and decoding: URL checks, caps, content checks, image verification."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest
from PIL import Image

from posterbooth.providers.base import ProviderError
from posterbooth.providers.results import (
    ResultFetcher,
    check_result_url,
    decode_base64_image,
    fetch_result,
    verify_image,
)
from tests.fakes.tencent_server import FakeTencentCloud


def encoded(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    """Return a small encoded image."""
    out = io.BytesIO()
    Image.new(mode, size, (200, 120, 40) if mode == "RGB" else 0).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims a huge size (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


class Recorder:
    """An httpx MockTransport that records requests and answers with a handler."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)


def serve(body: bytes, content_type: str = "image/png", status: int = 200, **headers: str) -> Recorder:
    """Return a recorder answering every request with the same response."""
    return Recorder(
        lambda request: httpx.Response(
            status, content=body, headers={"content-type": content_type, **headers}
        )
    )


def refused(code: str, kind: str = "bad_request") -> Callable[[ProviderError], None]:
    """Return a checker for a refused fetch."""

    def check(exc: ProviderError) -> None:
        assert (exc.kind, exc.code) == (kind, code), str(exc)

    return check


# --- URL rules ----------------------------------------------------------------------------------------


def test_https_result_is_fetched_and_verified() -> None:
    rec = serve(encoded())
    image = fetch_result("https://cdn.example.com/r/1.png?sign=abc", transport=rec.transport)
    assert (image.content_type, image.width, image.height) == ("image/png", 64, 48)
    assert image.data == encoded()
    assert [str(r.url) for r in rec.requests] == ["https://cdn.example.com/r/1.png?sign=abc"]


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/1.png",  # plain http
        "ftp://cdn.example.com/1.png",
        "file:///etc/passwd",
        "https://user:pass@cdn.example.com/1.png",  # credentials in the URL
        "https://10.1.2.3/1.png",  # private address
        "https://127.0.0.1/1.png",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://[::1]/1.png",
        "https://localhost/1.png",
        "https:///1.png",
        "https://2130706433/1.png",  # 127.0.0.1 in the notations inet_aton (and so curl, httpx) accepts
        "https://127.1/1.png",
        "https://0x7f.1/1.png",
        "https://017700000001/1.png",
        "https://[::ffff:127.0.0.1]/1.png",
    ],
)
def test_refused_urls_are_never_requested(url: str) -> None:
    rec = serve(encoded())
    with pytest.raises(ProviderError) as info:
        fetch_result(url, transport=rec.transport)
    refused("ResultURLRefused")(info.value)
    assert rec.requests == []


def test_allowed_hosts_limit_the_result_host() -> None:
    allowed = ("*.myqcloud.com", "results.example.com")
    rec = serve(encoded())
    fetch_result(
        "https://a-1.cos.ap-guangzhou.myqcloud.com/x.png", allowed_hosts=allowed, transport=rec.transport
    )
    fetch_result("https://results.example.com/x.png", allowed_hosts=allowed, transport=rec.transport)
    for url in (
        "https://evil.example.com/x.png",
        "https://myqcloud.com.evil.net/x.png",
        "https://myqcloud.com/x",
    ):
        with pytest.raises(ProviderError) as info:
            fetch_result(url, allowed_hosts=allowed, transport=rec.transport)
        refused("ResultURLRefused")(info.value)
    assert len(rec.requests) == 2


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Run a fake Tencent Cloud that serves result images over plain http."""
    with FakeTencentCloud() as server:
        yield server


def test_override_origin_allows_http_on_its_own_host_and_port(fake: FakeTencentCloud) -> None:
    result_id = fake.make_result({"Resolution": "768:1024"}, "seed")
    url = fake.result_url(result_id)
    assert url.startswith(f"http://127.0.0.1:{fake.port}/results/")
    image = fetch_result(url, override_origin=fake.url)
    assert image.content_type == "image/png"
    assert image.data == fake.results[result_id]
    assert image.width * 4 == image.height * 3  # 768:1024 kept


def test_override_origin_does_not_open_other_hosts_or_ports(fake: FakeTencentCloud) -> None:
    url = fake.result_url(fake.make_result({}, "s"))
    for override in (None, f"http://127.0.0.1:{fake.port + 1}", f"http://localhost:{fake.port}"):
        with pytest.raises(ProviderError) as info:
            fetch_result(url, override_origin=override)
        refused("ResultURLRefused")(info.value)
    # Several override origins: any one matching is enough.
    fetch_result(url, override_origin=("http://127.0.0.1:1", fake.url))
    assert check_result_url(url, override_origin=fake.url + "/some/path") == url


def test_redirects_are_not_followed() -> None:
    rec = Recorder(
        lambda request: (
            httpx.Response(302, headers={"location": "https://evil.example.com/x.png"})
            if request.url.host == "cdn.example.com"
            else httpx.Response(200, content=encoded(), headers={"content-type": "image/png"})
        )
    )
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport)
    refused("ResultRedirected")(info.value)
    assert [r.url.host for r in rec.requests] == ["cdn.example.com"]


# --- response checks ----------------------------------------------------------------------------------


def test_declared_oversize_is_refused_before_reading() -> None:
    rec = serve(b"\0" * 100, **{"content-length": str(30 * 1024 * 1024)})
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport)
    refused("ResultTooLarge")(info.value)


def test_streamed_oversize_is_cut_off() -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b"\0" * 1024

    rec = Recorder(lambda r: httpx.Response(200, content=chunks(), headers={"content-type": "image/png"}))
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport, max_bytes=10 * 1024)
    refused("ResultTooLarge")(info.value)
    assert len(sent) <= 12  # stopped reading soon after the cap


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "application/octet-stream", ""])
def test_non_image_content_type_is_refused(content_type: str) -> None:
    rec = serve(encoded(), content_type=content_type)
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport)
    refused("ResultNotImage")(info.value)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (404, "bad_request", "ResultUnavailable"),
        (403, "bad_request", "ResultUnavailable"),
        (429, "retryable", "HTTP429"),
        (500, "retryable", "HTTP500"),
        (503, "retryable", "HTTP503"),
    ],
)
def test_http_errors_are_classified(status: int, kind: str, code: str) -> None:
    rec = serve(b"<Error/>", content_type="application/xml", status=status)
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport)
    refused(code, kind)(info.value)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (httpx.ReadTimeout("slow"), "ResultTimeout"),
        (httpx.ConnectTimeout("slow"), "ResultTimeout"),
        (httpx.ConnectError("refused"), "ResultNetworkError"),
        (httpx.RemoteProtocolError("dropped"), "ResultNetworkError"),
    ],
)
def test_network_failures_are_retryable(error: Exception, code: str) -> None:
    def raise_(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=httpx.MockTransport(raise_))
    refused(code, "retryable")(info.value)


def test_broken_and_truncated_images_are_refused() -> None:
    good = encoded("PNG", (300, 200))
    for body in (b"not an image at all", good[: len(good) // 2], encoded("JPEG")[:200]):
        rec = serve(body)
        with pytest.raises(ProviderError) as info:
            fetch_result("https://cdn.example.com/1.png", transport=rec.transport)
        refused("ResultUndecodable")(info.value)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_content_type_comes_from_the_decoded_format(fmt: str, mime: str) -> None:
    rec = serve(encoded(fmt), content_type="image/png")  # the header may lie
    assert fetch_result("https://cdn.example.com/1", transport=rec.transport).content_type == mime


def test_other_formats_are_refused() -> None:
    with pytest.raises(ProviderError) as info:
        verify_image(encoded("BMP"))
    refused("ResultUndecodable")(info.value)


@pytest.mark.parametrize("side", [5000, 10000, 20000, 100000])
def test_decompression_bombs_are_refused_without_decoding(side: int) -> None:
    # 10000x10000 lies between Pillow's warning and error limits: it must still be refused, quietly.
    with pytest.raises(ProviderError) as info:
        verify_image(png_claiming(side, side))
    refused("ResultTooLarge")(info.value)


def test_pixel_cap_is_configurable() -> None:
    assert verify_image(encoded(size=(100, 100)), max_pixels=10_000).width == 100
    with pytest.raises(ProviderError):
        verify_image(encoded(size=(101, 100)), max_pixels=10_000)


# --- base64 -------------------------------------------------------------------------------------------


def test_base64_and_data_url_decode() -> None:
    raw = encoded("JPEG")
    text = base64.b64encode(raw).decode()
    assert decode_base64_image(text).data == raw
    assert decode_base64_image(f"data:image/jpeg;base64,{text}").content_type == "image/jpeg"
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert decode_base64_image(wrapped).data == raw


@pytest.mark.parametrize(
    "text", ["", "!!!not base64!!!", base64.b64encode(b"plain text").decode(), "data:image/png,abc"]
)
def test_bad_base64_is_refused(text: str) -> None:
    with pytest.raises(ProviderError) as info:
        decode_base64_image(text)
    refused("ResultUndecodable")(info.value)


def test_oversize_base64_is_refused_before_decoding() -> None:
    with pytest.raises(ProviderError) as info:
        decode_base64_image("A" * 4000, max_bytes=1000)
    refused("ResultTooLarge")(info.value)


def test_result_fetcher_binds_its_configuration(fake: FakeTencentCloud) -> None:
    url = fake.result_url(fake.make_result({}, "s"))
    assert ResultFetcher(override_origin=fake.url)(url).content_type == "image/png"
    with pytest.raises(ProviderError):
        ResultFetcher()(url)


@pytest.mark.parametrize("addresses", [["93.184.216.34", "127.0.0.1"], ["10.0.0.7"], ["::1"], []])
def test_every_resolved_address_is_checked(addresses: list[str]) -> None:
    def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("cdn.example.com", 443)
        return addresses

    rec = serve(encoded())
    with pytest.raises(ProviderError) as info:
        fetch_result("https://cdn.example.com/1.png", transport=rec.transport, resolver=resolver)
    refused("ResultURLRefused")(info.value)
    assert rec.requests == []
    fetch_result("https://cdn.example.com/1.png", transport=rec.transport, resolver=lambda h, p: ["93.184.216.34"])
    assert len(rec.requests) == 1


def test_real_fetches_resolve_the_host() -> None:
    with pytest.raises(ProviderError) as info:
        fetch_result("https://localtest.me.invalid/1.png")  # no transport: resolved first, and it does not resolve
    assert info.value.kind == "retryable" and info.value.code == "ResultNetworkError"
