"""The Hunyuan photo actions against the fake Tencent Cloud (signatures verified), and their field mapping."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError
from tencentcloud.aiart.v20221229 import aiart_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError
from posterbooth.providers.hunyuan import (
    ACTIONS,
    AIART_VERSION,
    HUNYUAN_VERSION,
    KIND_ACTIONS,
    HunyuanProvider,
    HunyuanSettings,
)
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud


def jpeg(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (200, 120, 90)) -> bytes:
    """Return a JPEG photo of a warm blob on a cool background."""
    image = Image.new("RGB", size, (40, 70, 120))
    w, h = size
    image.paste(colour, (w // 4, h // 5, 3 * w // 4, 4 * h // 5))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


class PhotoServer:
    """A loopback HTTP server that serves photos by path, like the app's signed links."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                server.hits.append(self.path)
                data = server.files.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str, data: bytes) -> str:
        """Serve ``data`` at ``path``; return its URL."""
        self.files[path] = data
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def photos() -> Iterator[PhotoServer]:
    server = PhotoServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    server.thread.join(5)


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    with FakeTencentCloud(latency=10.0, queue_time=2.0) as server:
        yield server


def clients(fake: FakeTencentCloud, secret_key: str = DEFAULT_SECRET_KEY) -> tuple[TencentCloudClient, ...]:
    return (
        TencentCloudClient("hunyuan", HUNYUAN_VERSION, fake.url, DEFAULT_SECRET_ID, secret_key),
        TencentCloudClient("aiart", AIART_VERSION, fake.url, DEFAULT_SECRET_ID, secret_key),
    )


@pytest.fixture
def provider(fake: FakeTencentCloud) -> Iterator[HunyuanProvider]:
    hunyuan, aiart = clients(fake)
    p = HunyuanProvider(hunyuan, fetch=ResultFetcher(override_origin=fake.url), aiart_client=aiart)
    yield p
    p.close()


def run(provider: HunyuanProvider, fake: FakeTencentCloud, request: GenerationRequest) -> GeneratedImage:
    """Start the request; for jobs, let the fake's clock run out and collect the image."""
    result = provider.start(request)
    if isinstance(result, Pending):
        fake.advance(60)
        result = provider.resume(result.job_id, request)
    assert isinstance(result, GeneratedImage)
    return result


def sent(fake: FakeTencentCloud, action: str) -> dict[str, Any]:
    calls = fake.calls_of(action)
    assert len(calls) == 1, [c.action for c in fake.received]
    return calls[0].params


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


PHOTO = jpeg()


def test_every_photo_kind_has_an_action_that_makes_it() -> None:
    from posterbooth.providers.photo.kinds import KIND_INPUTS
    from posterbooth.schema import GENERATION_KINDS, KIND_ROLES

    assert set(KIND_ACTIONS) == set(GENERATION_KINDS)
    # Written out: the offline renderer and the web both read these names, so a change must be deliberate.
    assert KIND_INPUTS == {
        "image_to_image": ("photo",), "avatar": ("photo",), "meme": ("photo",), "sketch_to_image": ("sketch",),
        "product_background": ("product",), "try_on": ("model", "garment"), "glam": ("photo",),
        "portrait": ("photo",),
    }
    for kind, action in KIND_ACTIONS.items():
        spec = ACTIONS[action]
        assert kind in spec.kinds
        assert {i.role for i in spec.inputs} >= set(KIND_ROLES[kind]), kind


# --- field mapping, action by action ---------------------------------------------------------------

def test_image_to_image_with_hunyuan_3_sends_the_photo_as_content_image(provider, fake) -> None:
    request = GenerationRequest(prompt="演唱会现场，彩色插画", kind="image_to_image", inputs={"photo": PHOTO},
                                negative_prompt="模糊", seed=42, settings={"revise": 1})
    image = run(provider, fake, request)
    params = sent(fake, "SubmitHunyuanImageJob")
    assert params["ContentImage"] == {"ImageBase64": b64(PHOTO)}
    assert params["Prompt"] == "演唱会现场，彩色插画" and params["NegativePrompt"] == "模糊"
    assert "Resolution" not in params and "Seed" not in params  # the service fits the photo itself
    assert fake.inputs["SubmitHunyuanImageJob"] == [("ContentImage", 640, 480, "JPEG")]
    assert image.model == "SubmitHunyuanImageJob" and image.content_type == "image/png"


def test_the_same_action_sends_no_photo_for_text_to_image(provider, fake) -> None:
    run(provider, fake, GenerationRequest(prompt="一座山", inputs={"photo": PHOTO}))
    assert "ContentImage" not in sent(fake, "SubmitHunyuanImageJob")


def test_image_to_image_with_aiart_styles_strength_and_result_config(provider, fake) -> None:
    settings = {"action": "ImageToImage", "style": 107, "strength": 0.7, "resolution": "768:1024",
                "restore_face": 2, "logo_add": 0}
    request = GenerationRequest(prompt="插画风", negative_prompt="变形", kind="image_to_image",
                                inputs={"photo": PHOTO}, settings=settings)
    image = run(provider, fake, request)
    params = sent(fake, "ImageToImage")
    assert params == {
        "Prompt": "插画风", "NegativePrompt": "变形", "Styles": ["107"], "ResultConfig": {"Resolution": "768:1024"},
        "Strength": 0.7, "RestoreFace": 2, "LogoAdd": 0, "InputImage": b64(PHOTO), "RspImgType": "base64",
    }
    with Image.open(io.BytesIO(image.data)) as result:
        assert result.width * 4 == result.height * 3


def test_image_to_image_style_comes_from_the_campaign_style_hint(provider, fake) -> None:
    request = GenerationRequest(prompt="", kind="image_to_image", style="watercolor", inputs={"photo": PHOTO},
                                settings={"action": "ImageToImage"})
    run(provider, fake, request)
    params = sent(fake, "ImageToImage")
    assert params["Styles"] == ["104"] and "Prompt" not in params and "ResultConfig" not in params


def test_avatar(provider, fake) -> None:
    request = GenerationRequest(prompt="ignored", kind="avatar", style="anime", inputs={"photo": PHOTO},
                                settings={"filter": 0, "rsp_img_type": "url"})
    image = run(provider, fake, request)
    assert sent(fake, "GenerateAvatar") == {
        "Style": "cartoon", "Filter": 0, "InputImage": b64(PHOTO), "RspImgType": "url",
    }
    assert image.model == "GenerateAvatar" and image.content_type == "image/png"


def test_pet_avatar_sends_no_style(provider, fake) -> None:
    run(provider, fake, GenerationRequest(prompt="", kind="avatar", style="anime", inputs={"photo": PHOTO},
                                          settings={"avatar_type": "pet"}))
    assert sent(fake, "GenerateAvatar") == {"Type": "pet", "InputImage": b64(PHOTO), "RspImgType": "base64"}


def test_meme_job_returns_an_animated_gif(provider, fake) -> None:
    request = GenerationRequest(prompt="今天也要元气满满哦耶耶耶", kind="meme", inputs={"photo": PHOTO},
                                settings={"pose": "jump", "resolution": 512, "haircut": True})
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    assert provider.resume(pending.job_id, request) == pending  # queued
    fake.advance(60)
    image = provider.resume(pending.job_id, request)
    assert isinstance(image, GeneratedImage) and image.content_type == "image/gif"
    with Image.open(io.BytesIO(image.data)) as gif:
        assert gif.is_animated and gif.n_frames == 2
    params = sent(fake, "SubmitMemeJob")
    assert params == {"Text": "今天也要元气满满哦耶", "Resolution": 512, "Pose": "jump", "Haircut": True,
                      "InputImage": b64(PHOTO)}
    assert [c.params for c in fake.calls_of("QueryMemeJob")] == [{"JobId": pending.job_id}] * 2


def test_sketch_to_image(provider, fake) -> None:
    sketch = jpeg((512, 512), (250, 250, 250))
    run(provider, fake, GenerationRequest(prompt="一只猫，水彩" * 40, negative_prompt="x", kind="sketch_to_image",
                                          inputs={"sketch": sketch}))
    params = sent(fake, "SketchToImage")
    assert len(params["Prompt"]) == 200 and "NegativePrompt" not in params
    assert params["InputImage"] == b64(sketch)


def test_product_background_is_fetched_from_its_signed_url(provider, fake, photos) -> None:
    url = photos.url("/u/signed-token/photo.jpg", PHOTO)
    request = GenerationRequest(prompt="大理石台面，柔和晨光", kind="product_background", width=768, height=1024,
                                inputs={"product": PHOTO}, input_urls={"product": url},
                                settings={"product": "保温杯"})
    image = run(provider, fake, request)
    assert sent(fake, "ReplaceBackground") == {
        "Prompt": "大理石台面，柔和晨光", "Resolution": "768:1024", "Product": "保温杯", "ProductUrl": url,
        "RspImgType": "base64",
    }
    assert photos.hits == ["/u/signed-token/photo.jpg"]  # the fake really downloaded it
    assert fake.inputs["ReplaceBackground"] == [("ProductUrl", 640, 480, "JPEG")]
    assert image.content_type == "image/png"


def test_try_on_sends_both_urls(provider, fake, photos) -> None:
    model = jpeg((600, 800))
    urls = {"model": photos.url("/u/a/photo.jpg", model), "garment": photos.url("/u/b/photo.jpg", PHOTO)}
    image = run(provider, fake, GenerationRequest(
        prompt="", kind="try_on", inputs={"model": model, "garment": PHOTO}, input_urls=urls,
        settings={"clothes_type": "Dress"}))
    assert sent(fake, "ChangeClothes") == {
        "ClothesType": "Dress", "ModelUrl": urls["model"], "ClothesUrl": urls["garment"], "RspImgType": "base64",
    }
    with Image.open(io.BytesIO(image.data)) as result:
        assert result.width * 4 == result.height * 3  # the model photo's shape


def test_url_only_action_without_a_public_url_is_a_clear_setup_error(provider, fake) -> None:
    request = GenerationRequest(prompt="x", kind="product_background", inputs={"product": PHOTO})
    with pytest.raises(ProviderError) as info:
        provider.start(request)
    assert (info.value.kind, info.value.code) == ("bad_request", "InputNeedsURL")
    assert "PUBLIC_BASE_URL" in info.value.message
    assert fake.calls == {}


def test_expired_signed_url_is_refused_by_the_service(provider, fake, photos) -> None:
    request = GenerationRequest(prompt="x", kind="product_background", inputs={"product": PHOTO},
                                input_urls={"product": photos.url("/gone", PHOTO).replace("/gone", "/expired")})
    with pytest.raises(ProviderError) as info:
        provider.start(request)
    assert (info.value.kind, info.value.code) == ("bad_request", "FailedOperation.ImageDownloadError")


def test_missing_photo_is_a_bad_request(provider, fake) -> None:
    with pytest.raises(ProviderError) as info:
        provider.start(GenerationRequest(prompt="x", kind="avatar"))
    assert (info.value.kind, info.value.code) == ("bad_request", "MissingInput")
    assert fake.calls == {}


def test_a_photo_the_service_cannot_use_is_the_attendees_to_fix(provider, fake) -> None:
    fake.fail_next("GenerateAvatar", "FailedOperation.FaceDetectFailed")
    with pytest.raises(ProviderError) as info:
        provider.start(GenerationRequest(prompt="", kind="avatar", inputs={"photo": PHOTO}))
    assert (info.value.kind, info.value.code) == ("moderation", "FailedOperation.FaceDetectFailed")
    fake.fail_next("SubmitHunyuanImageJob", "FailedOperation.ImageDecodeFailed")
    with pytest.raises(ProviderError) as info:
        provider.start(GenerationRequest(prompt="x"))  # no photo: a setup problem, as before
    assert info.value.kind == "bad_request"


def test_a_broken_photo_is_refused_by_the_fake(provider, fake) -> None:
    with pytest.raises(ProviderError) as info:
        provider.start(GenerationRequest(prompt="", kind="avatar", inputs={"photo": b"not a picture"}))
    assert info.value.code == "FailedOperation.ImageDecodeFailed"
    assert info.value.kind == "moderation"  # the attendee can pick another photo


def test_photo_actions_are_signed_and_checked(fake) -> None:
    hunyuan, aiart = clients(fake, secret_key=DEFAULT_SECRET_KEY + "x")
    provider = HunyuanProvider(hunyuan, aiart_client=aiart)
    try:
        with pytest.raises(ProviderError) as info:
            provider.start(GenerationRequest(prompt="", kind="avatar", inputs={"photo": PHOTO}))
    finally:
        provider.close()
    assert (info.value.kind, info.value.code) == ("account", "AuthFailure.SignatureFailure")
    assert fake.auth_failures == {"AuthFailure.SignatureFailure": 1} and fake.calls == {}


def test_official_aiart_sdk_is_accepted_by_the_fake(fake) -> None:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=fake.host))
    good = aiart_client.AiartClient(credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "ap-guangzhou",
                                    profile)
    bad = aiart_client.AiartClient(credential.Credential(DEFAULT_SECRET_ID, "wrong"), "ap-guangzhou", profile)
    request = models.GenerateAvatarRequest()
    request.from_json_string(json.dumps({"Style": "comic", "InputImage": b64(PHOTO), "RspImgType": "base64"}))
    try:
        answer = good.GenerateAvatar(request)
        assert Image.open(io.BytesIO(base64.b64decode(answer.ResultImage))).format == "PNG"
        with pytest.raises(TencentCloudSDKException) as info:
            bad.GenerateAvatar(request)
        assert info.value.code == "AuthFailure.SignatureFailure"
    finally:
        good.request.conn._session.close()
        bad.request.conn._session.close()


# --- settings, validated against the action and the campaign's kind --------------------------------

@pytest.mark.parametrize(
    ("kind", "settings", "needle"),
    [
        ("image_to_image", {"action": "GenerateAvatar"}, "GenerateAvatar does not make image_to_image images"),
        ("image_to_image", {"resolution": "720:1280"}, "for image_to_image; choose one of: 768:768"),
        ("image_to_image", {"action": "ImageToImage", "style": "shuimo"}, "not a ImageToImage style"),
        ("image_to_image", {"action": "ImageToImage", "strength": 1.5}, "less than or equal to 1"),
        ("image_to_image", {"action": "ImageToImage", "pose": "jump"}, "ImageToImage does not take: pose"),
        ("image_to_image", {"seed": 3, "revise": 0}, "seed does not take effect with a photo"),
        ("avatar", {"style": "watercolor"}, "not a GenerateAvatar style; choose one of: amusement"),
        ("avatar", {"avatar_type": "pet", "style": "comic"}, "only apply to human avatars"),
        ("avatar", {"resolution": "768:768"}, "GenerateAvatar takes no resolution"),
        ("meme", {}, "SubmitMemeJob needs: pose"),
        ("meme", {"pose": "jump", "resolution": 1024}, "choose one of: 256, 512"),
        ("meme", {"pose": "jump", "style": "x"}, "SubmitMemeJob takes no style"),
        ("product_background", {"resolution": "300:300"}, "between 500 and 4000"),
        ("product_background", {"resolution": "3000:600"}, "between 2:5 and 5:2"),
        ("product_background", {"product": "x" * 51}, "at most 50 characters"),
        ("try_on", {}, "ChangeClothes needs: clothes_type"),
        ("try_on", {"clothes_type": "Hat"}, "clothes_type"),
        ("text_to_image", {"action": "SketchToImage"}, "for text_to_image use: SubmitHunyuanImageJob, TextToImageLite"),
    ],
)
def test_invalid_photo_settings_are_refused_clearly(kind: str, settings: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        HunyuanSettings.model_validate(settings, context={"kind": kind})
    assert needle in str(info.value)


def test_each_kind_defaults_to_its_action() -> None:
    # The documented defaults (hunyuan_actions' docstring and docs/campaigns.md), written out, not read back.
    expected = {
        "text_to_image": "SubmitHunyuanImageJob", "image_to_image": "SubmitHunyuanImageJob",
        "avatar": "GenerateAvatar", "meme": "SubmitMemeJob", "sketch_to_image": "SketchToImage",
        "product_background": "ReplaceBackground", "try_on": "ChangeClothes", "glam": "SubmitGlamPicJob",
        "portrait": "SubmitDrawPortraitJob",
    }
    assert expected == KIND_ACTIONS
    for kind, action in expected.items():
        extra = {"meme": {"pose": "jump"}, "try_on": {"clothes_type": "Dress"}}.get(kind, {})
        assert HunyuanSettings.model_validate(extra, context={"kind": kind}).action == action
    # A campaign that may never use Hunyuan need not fill in the required fields.
    assert HunyuanSettings.model_validate({}, context={"kind": "meme", "in_use": False}).action == "SubmitMemeJob"
