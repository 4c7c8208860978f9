"""OpenAI-compatible image provider, with httpx.MockTransport standing in for the API."""

from __future__ import annotations

import base64
import email.utils
import io
import json
import logging
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from PIL import Image

from posterbooth.config import Settings
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Provider, ProviderError
from posterbooth.providers.openai_images import (
    OpenAIImagesProvider,
    OpenAISettings,
    images_url,
    parse_retry_after,
    provider_from_settings,
)

API_KEY = "sk-test-" + "k" * 40


def provider_from_env(env: dict[str, str]):  # noqa: ANN201 - the provider class under test
    """Build the provider from settings named as in the environment."""
    return provider_from_settings(Settings(**env))


def png(size: tuple[int, int] = (32, 32)) -> bytes:
    """Return a small PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


class Api:
    """A scripted image API: records requests and answers through a handler."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[OpenAIImagesProvider, Api]]]:
    """Build providers over scripted APIs and close them afterwards."""
    made: list[OpenAIImagesProvider] = []

    def build(
        handler: Callable[[httpx.Request], httpx.Response],
        base_url: str = "https://api.openai.com",
        **kw: object,
    ) -> tuple[OpenAIImagesProvider, Api]:
        api = Api(handler)
        provider = OpenAIImagesProvider(base_url, API_KEY, "gpt-image-1", transport=api.transport, **kw)  # type: ignore[arg-type]
        made.append(provider)
        return provider, api

    yield build
    for provider in made:
        provider.close()


def error(status: int, code: str | None, message: str = "nope", **headers: str) -> httpx.Response:
    """Return an OpenAI-style error response."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    return httpx.Response(status, json=body, headers=headers)


def fails(provider: OpenAIImagesProvider, request: GenerationRequest | None = None) -> ProviderError:
    """Start a generation that must fail; return its error."""
    with pytest.raises(ProviderError) as info:
        provider.start(request or GenerationRequest(prompt="a lighthouse at dawn"))
    return info.value


def test_b64_json_success(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    data = png((48, 32))
    provider, api = make(
        lambda r: httpx.Response(
            200,
            json={
                "created": 1,
                "data": [{"b64_json": base64.b64encode(data).decode(), "revised_prompt": "rp"}],
            },
        )
    )
    assert isinstance(provider, Provider) and provider.name == "openai"
    image = provider.start(
        GenerationRequest(prompt="海边的灯塔", settings={"size": "1536x1024", "quality": "high"})
    )
    assert isinstance(image, GeneratedImage)
    assert (image.data, image.content_type, image.provider, image.model) == (
        data,
        "image/png",
        "openai",
        "gpt-image-1",
    )
    assert image.revised_prompt == "rp"
    (request,) = api.requests
    assert (request.method, str(request.url)) == ("POST", "https://api.openai.com/v1/images/generations")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "prompt": "海边的灯塔",
        "model": "gpt-image-1",
        "n": 1,
        "size": "1536x1024",
        "quality": "high",
    }


def test_url_success_downloads_the_result(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    data = png()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.openai.com":
            return httpx.Response(
                200, json={"data": [{"url": "https://files.example-cdn.com/img/1.png?sig=x"}]}
            )
        return httpx.Response(200, content=data, headers={"content-type": "image/png"})

    provider, api = make(handler)
    image = provider.start(
        GenerationRequest(prompt="p", settings={"model": "dall-e-3", "response_format": "url"})
    )
    assert isinstance(image, GeneratedImage) and image.data == data and image.model == "dall-e-3"
    assert [str(r.url) for r in api.requests] == [
        "https://api.openai.com/v1/images/generations",
        "https://files.example-cdn.com/img/1.png?sig=x",
    ]
    assert "authorization" not in api.requests[1].headers  # the key stays with the API


def test_http_result_url_is_refused_unless_on_the_api_origin(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/generations"):
            return httpx.Response(
                200, json={"data": [{"url": f"http://{request.url.netloc.decode()}/files/1.png"}]}
            )
        return httpx.Response(200, content=png(), headers={"content-type": "image/png"})

    local, _ = make(handler, base_url="http://127.0.0.1:9999/v1")
    assert isinstance(local.start(GenerationRequest(prompt="p")), GeneratedImage)

    def elsewhere(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"url": "http://files.example.com/1.png"}]})

    remote, api = make(elsewhere)
    assert (fails(remote).kind, fails(remote).code) == ("bad_request", "ResultURLRefused")
    assert all(r.url.host == "api.openai.com" for r in api.requests)


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("0.5", 0.5), (None, None), ("soon", None)])
def test_429_is_retryable_with_retry_after(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]], header: str | None, expected: float | None
) -> None:
    headers = {"retry-after": header} if header else {}
    provider, _ = make(lambda r: error(429, "rate_limit_exceeded", "slow down", **headers))
    exc = fails(provider)
    assert (exc.kind, exc.code, exc.retry_after) == ("retryable", "rate_limit_exceeded", expected)


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(when) or 0) <= 31
    assert parse_retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0


def test_quota_exhausted_429_is_an_account_error(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]],
) -> None:
    provider, _ = make(lambda r: error(429, "insufficient_quota", "You exceeded your current quota"))
    assert fails(provider).kind == "account"


def test_moderation_blocked(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    provider, _ = make(
        lambda r: error(400, "moderation_blocked", "Your request was rejected by the safety system")
    )
    exc = fails(provider)
    assert (exc.kind, exc.code) == ("moderation", "moderation_blocked")
    assert "safety system" in exc.message


@pytest.mark.parametrize("status", [401, 403])
def test_credentials_errors_are_account_errors_and_never_echo_the_key(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]], status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider, _ = make(lambda r: error(status, "invalid_api_key", f"Incorrect API key provided: {API_KEY}."))
    exc = fails(provider)
    assert exc.kind == "account"
    text = "\n".join([str(exc), repr(exc), exc.message, repr(provider), caplog.text])
    assert API_KEY not in text
    assert "***" in exc.message


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_value", "bad_request"),
        (404, None, "bad_request"),
        (413, None, "bad_request"),
        (408, None, "retryable"),
        (500, "server_error", "retryable"),
        (502, None, "retryable"),
        (503, None, "retryable"),
    ],
)
def test_other_statuses(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]], status: int, code: str | None, kind: str
) -> None:
    provider, _ = make(lambda r: error(status, code))
    exc = fails(provider)
    assert exc.kind == kind
    assert exc.code == (code or "invalid_request_error")  # error.code, else error.type


def test_non_json_error_page(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    provider, _ = make(lambda r: httpx.Response(502, text="<html>Bad Gateway</html>"))
    assert (fails(provider).kind, fails(provider).code) == ("retryable", "HTTP502")
    ok_but_garbage, _ = make(lambda r: httpx.Response(200, text="<html>hello</html>"))
    assert (fails(ok_but_garbage).kind, fails(ok_but_garbage).code) == ("retryable", "InvalidResponse")
    empty, _ = make(lambda r: httpx.Response(200, json={"data": [{}]}))
    assert fails(empty).code == "ResultMissing"


@pytest.mark.parametrize(
    ("exc", "code"),
    [(httpx.ConnectError("refused"), "NetworkError"), (httpx.ReadTimeout("slow"), "NetworkTimeout")],
)
def test_network_errors_are_retryable(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]], exc: Exception, code: str
) -> None:
    def raise_(request: httpx.Request) -> httpx.Response:
        raise exc

    provider, _ = make(raise_)
    assert (fails(provider).kind, fails(provider).code) == ("retryable", code)


def test_bad_base64_result(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    provider, _ = make(lambda r: httpx.Response(200, json={"data": [{"b64_json": "bm90IGFuIGltYWdl"}]}))
    assert (fails(provider).kind, fails(provider).code) == ("bad_request", "ResultUndecodable")


def test_settings_are_validated_before_any_request(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]],
) -> None:
    provider, api = make(lambda r: httpx.Response(500))
    for settings in (
        {"size": "big"},
        {"qualtiy": "high"},
        {"response_format": "jpeg"},
        {"background": "red"},
    ):
        exc = fails(provider, GenerationRequest(prompt="p", settings=settings))
        assert (exc.kind, exc.code) == ("bad_request", "InvalidSettings")
    assert fails(provider, GenerationRequest(prompt=" ")).code == "EmptyPrompt"
    assert api.requests == []
    assert all(f.description for f in OpenAISettings.model_fields.values())


def test_extra_fields_pass_through_for_gateways(
    make: Callable[..., tuple[OpenAIImagesProvider, Api]],
) -> None:
    provider, api = make(
        lambda r: httpx.Response(200, json={"data": [{"b64_json": base64.b64encode(png()).decode()}]}),
        base_url="https://ark.cn-beijing.volces.com/api/v3",
    )
    provider.start(
        GenerationRequest(
            prompt="p", settings={"model": "seedream-3-0", "extra": {"seed": 7, "watermark": False}}
        )
    )
    (request,) = api.requests
    assert str(request.url) == "https://ark.cn-beijing.volces.com/api/v3/images/generations"
    assert json.loads(request.content) == {
        "prompt": "p",
        "model": "seedream-3-0",
        "n": 1,
        "seed": 7,
        "watermark": False,
    }


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.openai.com", "https://api.openai.com/v1/images/generations"),
        ("https://api.openai.com/", "https://api.openai.com/v1/images/generations"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1/images/generations"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1/images/generations"),
        ("https://gw.example.cn/openai", "https://gw.example.cn/openai/v1/images/generations"),
        (
            "https://ark.cn-beijing.volces.com/api/v3",
            "https://ark.cn-beijing.volces.com/api/v3/images/generations",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/images/generations"),
    ],
)
def test_images_url(base: str, url: str) -> None:
    assert images_url(base) == url


def test_resume_is_refused(make: Callable[..., tuple[OpenAIImagesProvider, Api]]) -> None:
    provider, _ = make(lambda r: httpx.Response(500))
    with pytest.raises(ProviderError) as info:
        provider.resume("x", GenerationRequest(prompt="p"))
    assert info.value.code == "NotAJob"


def test_provider_from_settings() -> None:
    p = provider_from_env(
        {
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": "https://gw.example.cn/v1",
            "OPENAI_IMAGE_MODEL": "flux-dev",
        }
    )
    try:
        assert (p.url, p.model) == ("https://gw.example.cn/v1/images/generations", "flux-dev")
        assert API_KEY not in repr(p)
    finally:
        p.close()
    d = provider_from_env({"OPENAI_API_KEY": API_KEY})
    try:
        assert (d.url, d.model) == ("https://api.openai.com/v1/images/generations", "gpt-image-1")
    finally:
        d.close()
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        provider_from_env({})
