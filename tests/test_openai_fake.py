"""The OpenAI-compatible provider against a fake that checks the documented request schemas, and through a worker."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.models import Participation
from posterbooth.providers.base import GeneratedImage, GenerationRequest, ProviderError
from posterbooth.providers.openai_images import OpenAIImagesProvider
from tests.attendee import SPRING, complete
from tests.fakes.openai_server import DEFAULT_KEY, FakeOpenAIImages


@pytest.fixture
def fake() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages() as server:
        yield server


@pytest.fixture
def provider(fake: FakeOpenAIImages) -> Iterator[OpenAIImagesProvider]:
    made = OpenAIImagesProvider(fake.url, DEFAULT_KEY, "gpt-image-1", timeout=30)
    yield made
    made.close()


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


# --- the fake itself: the documented schema, whoever the client is --------------------------------------


def _raw(fake: FakeOpenAIImages, path: str, **kw: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}", **kw.pop("headers", {})}  # type: ignore[dict-item]
    return httpx.post(fake.url + path, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "request_kw", "status", "param"),
    [
        ("/images/generations", {"json": {"model": "gpt-image-1"}}, 400, "prompt"),
        ("/images/generations", {"json": {"prompt": "  "}}, 400, "prompt"),
        ("/images/generations", {"json": {"prompt": "x", "seed": 3}}, 400, "seed"),
        ("/images/generations", {"json": {"prompt": "x", "n": "1"}}, 400, "n"),
        ("/images/generations", {"json": {"prompt": "x", "size": "big"}}, 400, "size"),
        ("/images/generations", {"json": {"prompt": "x", "response_format": "png"}}, 400, "response_format"),
        ("/images/generations", {"data": {"prompt": "x"}}, 400, None),  # a form, not JSON
        ("/images/edits", {"json": {"prompt": "x"}}, 400, None),  # JSON, not multipart
        ("/images/edits", {"files": {"prompt": (None, "x")}, "data": {"model": "m"}}, 400, "image"),
        ("/images/edits", {"files": {"image": ("a.jpg", b"not a picture", "image/jpeg")},
                           "data": {"prompt": "x"}}, 400, "image"),
        ("/images/edits", {"files": {"image": ("a.jpg", _jpeg(), "image/jpeg")}, "data": {"prompt": "x",
                           "style": "vivid"}}, 400, "style"),  # generations only
        ("/images/variations", {"json": {"prompt": "x"}}, 404, None),
    ],
)
def test_the_fake_refuses_requests_outside_the_documented_schema(fake, path, request_kw, status, param) -> None:
    response = _raw(fake, path, **request_kw)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["param"] == param
    assert fake.received == []


def test_the_fake_wants_the_bearer_key_and_accepts_a_documented_request(fake) -> None:
    body = {"prompt": "a lake", "model": "gpt-image-1", "n": 1, "size": "1024x1536", "quality": "high"}
    bad = _raw(fake, "/images/generations", json=body, headers={"Authorization": "Bearer sk-wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    good = _raw(fake, "/images/generations", json=body)
    assert good.status_code == 200 and "b64_json" in good.json()["data"][0]
    assert [r.fields for r in fake.received] == [body]


# --- the provider's requests pass it, and its answers are read -------------------------------------------


def test_text_to_image_sends_a_documented_generation_request(fake, provider) -> None:
    request = GenerationRequest(prompt=" 西湖春游 ", settings={"size": "1024x1536", "quality": "high",
                                                               "output_format": "png"})
    image = provider.start(request)
    assert isinstance(image, GeneratedImage) and image.provider == "openai" and image.model == "gpt-image-1"
    assert image.revised_prompt == "revised: 西湖春游"
    assert Image.open(io.BytesIO(image.data)).size == (256, 256)
    [received] = fake.received
    assert received.endpoint == "generations"
    assert received.fields == {"prompt": "西湖春游", "model": "gpt-image-1", "n": 1, "size": "1024x1536",
                               "quality": "high", "output_format": "png"}


def test_image_to_image_sends_the_photo_as_a_multipart_edit(fake, provider) -> None:
    request = GenerationRequest(prompt="watercolour", kind="image_to_image", inputs={"photo": _jpeg((80, 60))},
                                settings={"model": "gpt-image-1.5", "size": "1024x1024", "style": "vivid"})
    image = provider.start(request)
    assert isinstance(image, GeneratedImage) and image.model == "gpt-image-1.5"
    [received] = fake.received
    assert received.endpoint == "edits" and received.images == [("image", (80, 60))]
    assert received.fields == {"prompt": "watercolour", "model": "gpt-image-1.5", "n": "1", "size": "1024x1024"}


def test_a_url_answer_is_downloaded(fake, provider) -> None:
    image = provider.start(GenerationRequest(prompt="x", settings={"response_format": "url"}))
    assert isinstance(image, GeneratedImage) and image.content_type == "image/png"
    assert image.data == next(iter(fake.results.values()))


def test_gateway_options_outside_the_schema_are_refused_by_the_api(fake, provider) -> None:
    with pytest.raises(ProviderError) as raised:
        provider.start(GenerationRequest(prompt="x", settings={"extra": {"seed": 7}}))
    assert raised.value.kind == "bad_request" and raised.value.code == "unknown_parameter"


@pytest.mark.parametrize(
    ("status", "code", "headers", "kind", "retry_after"),
    [
        (429, "rate_limit_exceeded", {"retry-after": "7"}, "retryable", 7.0),
        (400, "moderation_blocked", {}, "moderation", None),
        (401, "invalid_api_key", {}, "account", None),
        (429, "insufficient_quota", {}, "account", None),
        (503, None, {}, "retryable", None),
    ],
)
def test_errors_are_classified(fake, provider, status, code, headers, kind, retry_after) -> None:
    fake.fail_next(status, code, headers=headers)
    with pytest.raises(ProviderError) as raised:
        provider.start(GenerationRequest(prompt="x"))
    assert raised.value.kind == kind and raised.value.retry_after == retry_after
    assert raised.value.code == (code or f"HTTP{status}") or (code is None and raised.value.code)
    assert isinstance(provider.start(GenerationRequest(prompt="x")), GeneratedImage)  # one failure only


# --- through the queue and a real worker -----------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_participation_reaches_a_poster_through_the_openai_provider(
    fake, app_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rq import SimpleWorker

    from posterbooth import create_app
    from workers.context import close_context

    for key, value in {"IMAGE_PROVIDER": "openai", "OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": DEFAULT_KEY,
                       "OPENAI_IMAGE_MODEL": "gpt-image-1-mini"}.items():
        monkeypatch.setenv(key, value)
    close_context()
    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
        queue = app.extensions["posterbooth.queue"]
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
        with app.extensions["posterbooth.db"].session() as session:
            row = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
        assert row.status == "done", row.error_detail
        assert row.provider == "openai" and row.provider_model == "gpt-image-1-mini"
        [received] = fake.received
        assert received.fields["model"] == "gpt-image-1-mini" and "杭州西湖" in received.fields["prompt"]
        assert json.dumps(received.fields, ensure_ascii=False).count("prompt") == 1
        with Image.open(Path(app_env["MEDIA_DIR"]) / row.poster_path) as poster:
            assert poster.format == "JPEG" and poster.size == (1080, 1920)
    finally:
        app.extensions["posterbooth.db"].dispose()
        close_context()
