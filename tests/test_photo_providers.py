"""Photo kinds in the OpenAI-compatible provider (images/edits) and in the offline provider."""

from __future__ import annotations

import base64
import io
from email import policy
from email.parser import BytesParser

import httpx
import pytest
from PIL import Image, ImageSequence

from posterbooth.providers.base import GenerationRequest, ProviderError
from posterbooth.providers.offline import OfflineProvider
from posterbooth.providers.openai_images import OpenAIImagesProvider, OpenAISettings, edits_url
from tests.photo_samples import synthetic_portrait, synthetic_product

API_KEY = "sk-test-" + "e" * 40


def encode(image: Image.Image, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, fmt)
    return out.getvalue()


def png_b64(size: tuple[int, int] = (48, 32)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def form_parts(request: httpx.Request) -> dict[str, tuple[str | None, bytes, str]]:
    """Parse a multipart request body: field name -> (file name, bytes, content type)."""
    message = BytesParser(policy=policy.default).parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_filename(), part.get_payload(decode=True), part.get_content_type())
    return parts


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.openai.com", "https://api.openai.com/v1/images/edits"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1/images/edits"),
        ("https://ark.cn-beijing.volces.com/api/v3", "https://ark.cn-beijing.volces.com/api/v3/images/edits"),
    ],
)
def test_edits_url(base: str, url: str) -> None:
    assert edits_url(base) == url


def test_image_to_image_posts_the_photo_to_images_edits() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": png_b64(), "revised_prompt": "r"}]})

    photo = encode(synthetic_portrait(seed=1))
    provider = OpenAIImagesProvider("https://api.openai.com", API_KEY, "gpt-image-1",
                                    transport=httpx.MockTransport(handler))
    try:
        image = provider.start(GenerationRequest(
            prompt="turn this into a watercolour portrait", kind="image_to_image", inputs={"photo": photo},
            settings={"size": "1024x1536", "quality": "medium", "style": "vivid", "extra": {"seed": 7}},
        ))
    finally:
        provider.close()
    [request] = seen
    assert request.method == "POST" and request.url == "https://api.openai.com/v1/images/edits"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = form_parts(request)
    assert parts["image"] == ("photo.jpg", photo, "image/jpeg")
    fields = {k: v[1].decode() for k, v in parts.items() if k != "image"}
    assert fields == {"prompt": "turn this into a watercolour portrait", "model": "gpt-image-1", "n": "1",
                      "size": "1024x1536", "quality": "medium", "seed": "7"}  # style is generations-only
    assert image.content_type == "image/png" and image.revised_prompt == "r"


def test_edits_errors_are_classified_like_generations() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": "no", "code": "moderation_blocked"}})

    provider = OpenAIImagesProvider("https://api.openai.com", API_KEY, transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(ProviderError) as info:
            provider.start(GenerationRequest(prompt="x", kind="image_to_image",
                                             inputs={"photo": encode(synthetic_product(seed=1), "PNG")}))
    finally:
        provider.close()
    assert (info.value.kind, info.value.code) == ("moderation", "moderation_blocked")


@pytest.mark.parametrize("kind", ["avatar", "meme", "sketch_to_image", "product_background", "try_on"])
def test_other_photo_kinds_are_refused_before_any_request(kind: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    provider = OpenAIImagesProvider("https://api.openai.com", API_KEY, transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(ProviderError) as info:
            provider.start(GenerationRequest(prompt="x", kind=kind, inputs={"photo": b"x"}))
    finally:
        provider.close()
    assert (info.value.kind, info.value.code) == ("bad_request", "unsupported_kind")
    with pytest.raises(ValueError, match="not " + kind):
        OpenAISettings.model_validate({}, context={"kind": kind})
    assert OpenAISettings.model_validate({}, context={"kind": kind, "in_use": False})


def test_missing_photo_is_a_bad_request() -> None:
    provider = OpenAIImagesProvider("https://api.openai.com", API_KEY,
                                    transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    try:
        with pytest.raises(ProviderError) as info:
            provider.start(GenerationRequest(prompt="x", kind="image_to_image"))
    finally:
        provider.close()
    assert info.value.code == "MissingInput"


# --- the offline provider -------------------------------------------------------------------------

OFFLINE_CASES = {
    "image_to_image": ("photo", synthetic_portrait, "JPEG"),
    "avatar": ("photo", synthetic_portrait, "JPEG"),
    "meme": ("photo", synthetic_portrait, "GIF"),
    "product_background": ("product", synthetic_product, "JPEG"),
}


@pytest.mark.parametrize("kind", list(OFFLINE_CASES))
def test_offline_photo_kinds_make_valid_pictures_that_follow_the_input(kind: str) -> None:
    name, draw, fmt = OFFLINE_CASES[kind]
    provider = OfflineProvider()

    def make(seed: int) -> bytes:
        request = GenerationRequest(prompt="Yay", kind=kind, style="watercolor", seed=3, width=512, height=512,
                                    inputs={name: encode(draw(seed=seed))})
        result = provider.start(request)
        assert result.provider == "offline" and result.model == f"posterbooth-offline-1/{kind}"
        assert result.content_type == f"image/{fmt.lower()}"
        return result.data

    first, again, other = make(1), make(1), make(2)
    assert first == again and first != other
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == fmt
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    assert frames[0].width <= 512 and frames[0].height <= 512
    if kind == "meme":
        assert len(frames) > 4


def test_offline_try_on_says_it_needs_a_real_provider() -> None:
    with pytest.raises(ProviderError) as info:
        OfflineProvider().start(GenerationRequest(prompt="", kind="try_on", inputs={"model": b"", "garment": b""}))
    assert (info.value.kind, info.value.code) == ("bad_request", "needs_real_provider")
    assert "ChangeClothes" in info.value.message


def test_offline_broken_input_is_a_bad_request() -> None:
    with pytest.raises(ProviderError) as info:
        OfflineProvider().start(GenerationRequest(prompt="", kind="avatar", inputs={"photo": b"\xff\xd8\xffno"}))
    assert (info.value.kind, info.value.code) == ("bad_request", "bad_input")
