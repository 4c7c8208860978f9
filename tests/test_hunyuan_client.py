"""Hunyuan provider and the Tencent Cloud client against the fake service on a loopback port."""

from __future__ import annotations

import io
import logging
import time

import pytest
from PIL import Image
from pydantic import ValidationError

from posterbooth.providers.base import (
    GeneratedImage,
    Pending,
    Provider,
    ProviderError,
    on_result_ready,
)
from posterbooth.providers.hunyuan import (
    ACTIONS,
    HUNYUAN_VERSION,
    HunyuanProvider,
    HunyuanSettings,
    nearest_resolution,
    truncate_text,
)
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import host_of
from tests import hunyuan_support
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.hunyuan_support import LITE, QUERY, SUBMIT, client_for, error_of, finish, provider_from_env, req

fake = hunyuan_support.fake
provider = hunyuan_support.provider


# --- job flow -----------------------------------------------------------------------------------------


def test_provider_keeps_the_providers_contract(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    """What the worker relies on: Pending from start, the same job on resume, one "result ready", an image."""
    assert isinstance(provider, Provider) and provider.name == "hunyuan"
    request = req(width=768, height=1024)
    pending = provider.start(request)
    assert isinstance(pending, Pending) and pending.job_id in fake.jobs and pending.poll_after > 0
    assert fake.submissions[SUBMIT] == 1
    ready: list[int] = []
    with on_result_ready(lambda: ready.append(len(fake.calls_of(QUERY)))):
        assert isinstance(provider.resume(pending.job_id, request), Pending) and ready == []
        fake.advance(60)
        image = provider.resume(pending.job_id, request)
    assert isinstance(image, GeneratedImage) and image.provider == provider.name
    assert ready == [2]  # said once, after the query that reported it done (before the download)
    with Image.open(io.BytesIO(image.data)) as picture:
        assert picture.format in {"PNG", "JPEG"} and min(picture.size) > 0
    assert fake.submissions[SUBMIT] == 1  # resuming never submits again
    with pytest.raises(ProviderError) as unknown:
        provider.resume("1-2-no-such-job-0", request)
    assert unknown.value.kind == "bad_request" and unknown.value.code == "FailedOperation.JobNotExist"


def test_submit_then_query_queued_running_done(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    request = req(width=768, height=1024)
    pending = provider.start(request)
    assert isinstance(pending, Pending) and pending.job_id and pending.poll_after > 0
    assert provider.resume(pending.job_id, request) == Pending(
        pending.job_id, pending.poll_after
    )  # "1" queued
    fake.advance(5)
    assert isinstance(provider.resume(pending.job_id, request), Pending)  # "2" running
    fake.advance(10)
    image = provider.resume(pending.job_id, request)
    assert isinstance(image, GeneratedImage)
    assert (image.provider, image.model, image.content_type) == ("hunyuan", SUBMIT, "image/png")
    with Image.open(io.BytesIO(image.data)) as im:
        assert im.size[0] * 4 == im.size[1] * 3  # 768:1024
    assert image.revised_prompt and image.revised_prompt.startswith(request.prompt)
    assert fake.submissions == {SUBMIT: 1}
    assert fake.calls == {SUBMIT: 1, QUERY: 3}
    statuses = [c.params for c in fake.calls_of(QUERY)]
    assert statuses == [{"JobId": pending.job_id}] * 3


def test_requests_are_signed_json_with_the_documented_headers(
    provider: HunyuanProvider, fake: FakeTencentCloud
) -> None:
    provider.start(req())
    call = fake.calls_of(SUBMIT)[0]
    h = call.headers
    assert h["host"] == fake.host
    assert h["content-type"] == "application/json"
    assert (h["x-tc-action"], h["x-tc-version"], h["x-tc-region"]) == (
        SUBMIT,
        HUNYUAN_VERSION,
        "ap-guangzhou",
    )
    assert abs(int(h["x-tc-timestamp"]) - time.time()) < 5
    assert h["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={DEFAULT_SECRET_ID}/")
    assert "x-tc-token" not in h


def test_field_mapping_from_settings(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    from tests.fakes.tencent_images import gradient_png

    logo = fake.result_url(fake._store(gradient_png(64, 32, seed="logo", mark=False)))  # the service downloads it
    settings = {
        "style": "shuimo",
        "resolution": "1280:720",
        "revise": 0,
        "seed": 1234,
        "logo_add": 0,
        "clarity": "x2",
        "num": 1,
        "logo_param": {
            "logo_url": logo,
            "logo_rect": {"x": 10, "y": 20, "width": 200, "height": 80},
        },
    }
    provider.start(req(negative_prompt="模糊，文字", style="anime", settings=settings))
    assert fake.calls_of(SUBMIT)[0].params == {
        "Prompt": "一只橘猫在月光下弹古琴",
        "NegativePrompt": "模糊，文字",
        "Style": "shuimo",  # the setting wins over the campaign's renderer hint
        "Resolution": "1280:720",
        "Revise": 0,
        "Seed": 1234,
        "LogoAdd": 0,
        "Clarity": "x2",
        "Num": 1,
        "LogoParam": {
            "LogoUrl": logo,
            "LogoRect": {"X": 10, "Y": 20, "Width": 200, "Height": 80},
        },
    }


def test_defaults_follow_the_request(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    provider.start(req(style="ink", width=720, height=1280, seed=99))
    params = fake.calls_of(SUBMIT)[0].params
    # Hint mapped to the action's code; size nearest the slot; no seed while prompt rewriting is on.
    assert params == {"Prompt": "一只橘猫在月光下弹古琴", "Style": "shuimo", "Resolution": "720:1280"}
    fake.advance(60)
    provider.start(req(style="no-such-hint", seed=99, settings={"revise": 0}))
    assert fake.calls_of(SUBMIT)[1].params == {
        "Prompt": "一只橘猫在月光下弹古琴",
        "Resolution": "1024:1024",
        "Revise": 0,
        "Seed": 99,
    }


def test_long_prompts_are_cut_within_the_limit(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    prompt = "山" * 1000 + "🎨" * 20
    provider.start(req(prompt, negative_prompt="x" * 2000))
    params = fake.calls_of(SUBMIT)[0].params
    assert params["Prompt"] == "山" * 1000 + "🎨" * 12  # 1000 + 12 * 2 UTF-16 units = 1024
    assert params["NegativePrompt"] == "x" * 1024


def test_truncate_text_never_splits_a_character_sequence() -> None:
    assert truncate_text("abc", 3) == "abc"
    assert truncate_text("abcd", 3) == "abc"
    assert truncate_text("ab🎨", 3) == "ab"  # the emoji needs two units
    assert truncate_text("abe\u0301x", 3) == "ab"  # e + combining accent stay together
    family = "👨\u200d👩\u200d👧"
    assert truncate_text("a" + family, 4) == "a"  # no dangling joiner or half family
    assert truncate_text("ab 🏳\ufe0f", 5) == "ab"
    assert truncate_text("hello world", 6) == "hello"


def test_nearest_resolution() -> None:
    choices = ACTIONS[SUBMIT].resolutions
    assert nearest_resolution(1024, 1024, choices) == "1024:1024"
    assert nearest_resolution(600, 600, choices) == "768:768"
    assert nearest_resolution(1080, 1440, choices) == "768:1024"
    assert nearest_resolution(1080, 1920, choices) == "720:1280"
    assert nearest_resolution(1080, 1920, ACTIONS[LITE].resolutions) == "1080:1920"
    assert nearest_resolution(3000, 1000, choices) == "1280:720"


# --- TextToImageLite ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rsp", ["base64", "url"])
def test_text_to_image_lite(provider: HunyuanProvider, fake: FakeTencentCloud, rsp: str) -> None:
    settings = {"action": LITE, "style": 104, "resolution": "1080:1920", "rsp_img_type": rsp}
    image = provider.start(req("水彩风格的西湖断桥", settings=settings))
    assert isinstance(image, GeneratedImage)
    assert (image.model, image.content_type) == (LITE, "image/png")
    with Image.open(io.BytesIO(image.data)) as im:
        im.load()
        assert im.size[1] > im.size[0]
    assert fake.calls_of(LITE)[0].params == {
        "Prompt": "水彩风格的西湖断桥",
        "Style": "104",
        "Resolution": "1080:1920",
        "RspImgType": rsp,
    }
    assert fake.submissions == {LITE: 1}
    assert error_of(provider.resume, "job", req(settings={"action": LITE})).code == "NotAJob"


def test_lite_prompt_limit_is_256(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    provider.start(req("画" * 300, settings={"action": LITE}))
    assert len(fake.calls_of(LITE)[0].params["Prompt"]) == 256


def test_provider_default_action_is_configurable(fake: FakeTencentCloud) -> None:
    p = HunyuanProvider(client_for(fake), action=LITE)
    try:
        assert isinstance(p.start(req(style="watercolor")), GeneratedImage)
        assert fake.calls_of(LITE)[0].params["Style"] == "104"
    finally:
        p.close()
    with pytest.raises(ValueError, match="unsupported"):
        HunyuanProvider(client_for(fake), action="NoSuchAction")


# --- settings validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"style": "104"}, "style '104' is not a SubmitHunyuanImageJob style"),
        ({"action": LITE, "style": "shuimo"}, "style 'shuimo' is not a TextToImageLite style"),
        ({"style": "watercolor"}, "choose one of: 3dxuanran, bianping"),
        ({"resolution": "1080:1920"}, "resolution '1080:1920' is not offered by SubmitHunyuanImageJob"),
        ({"resolution": "1024x1024"}, "choose one of: 768:768"),
        ({"revise": 2}, "revise"),
        ({"logo_add": 5}, "logo_add"),
        ({"seed": 5}, "seed only takes effect with revise: 0"),
        ({"seed": 0, "revise": 0}, "greater than or equal to 1"),
        ({"seed": 2**32, "revise": 0}, "less than or equal to 4294967295"),
        ({"num": 5}, "num"),
        ({"clarity": "x3"}, "clarity"),
        ({"action": LITE, "clarity": "x2", "revise": 0}, "TextToImageLite does not take: clarity, revise"),
        ({"rsp_img_type": "url"}, "SubmitHunyuanImageJob does not take: rsp_img_type"),
        ({"action": "ImageInpaintingRemoval"}, "action 'ImageInpaintingRemoval' is not supported"),
        ({"action": "SubmitGlamPicJob"}, "SubmitGlamPicJob does not make text_to_image images"),
        ({"action": "ImageToImage"}, "ImageToImage does not make text_to_image images"),
        ({"stlye": "shuimo"}, "Extra inputs are not permitted"),
        ({"logo_param": {"logo_rect": {"x": 0, "y": 0, "width": 1, "height": 1}}}, "exactly one of logo_url"),
        (
            {"logo_param": {"logo_url": "ftp://x", "logo_rect": {"x": 0, "y": 0, "width": 1, "height": 1}}},
            "logo_url",
        ),
        (
            {
                "logo_param": {
                    "logo_url": "https://x.example/l.png",
                    "logo_rect": {"x": -1, "y": 0, "width": 1, "height": 1},
                }
            },
            "logo_rect.x",
        ),
    ],
)
def test_invalid_settings_are_refused_clearly(
    settings: dict, needle: str, provider: HunyuanProvider, fake: FakeTencentCloud
) -> None:
    with pytest.raises(ValidationError) as info:
        HunyuanSettings.model_validate(settings)
    assert needle in str(info.value)
    exc = error_of(provider.start, req(settings=settings))
    assert (exc.kind, exc.code) == ("bad_request", "InvalidSettings")
    assert fake.calls == {}  # nothing was sent


def test_valid_settings_accepted() -> None:
    assert HunyuanSettings.model_validate({"action": LITE, "style": 0}).style == "000"  # YAML reads 000 as 0
    assert HunyuanSettings.model_validate({"action": LITE, "style": 201}).style == "201"
    full = HunyuanSettings.model_validate(
        {
            "style": "xinnianjianzhi",
            "resolution": "768:1280",
            "revise": 0,
            "seed": 4294967295,
            "logo_add": 1,
            "clarity": "x4",
            "num": 4,
        }
    )
    assert full.seed == 4294967295
    assert all(f.description for f in HunyuanSettings.model_fields.values())


def test_empty_prompt_is_a_bad_request(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    assert error_of(provider.start, req("   ")).code == "EmptyPrompt"
    assert fake.calls == {}


# --- secrets --------------------------------------------------------------------------------------------


def test_secret_key_never_leaks(fake: FakeTencentCloud, caplog: pytest.LogCaptureFixture) -> None:
    secret = "sEcReT-kEy-" + "9" * 20
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    good = HunyuanProvider(client_for(fake), fetch=ResultFetcher(override_origin=fake.url))
    bad = HunyuanProvider(client_for(fake, secret_key=secret))
    try:
        finish(good, fake, req())
        seen += [repr(good), str(good)]
        fake.fail_next(SUBMIT, "drop")
        for p in (good, bad):
            try:
                p.start(req())
            except ProviderError as exc:
                seen += [str(exc), repr(exc), exc.message, repr(exc.__cause__), repr(exc.__context__)]
        seen += [repr(bad), str(bad), repr(bad._clients)]
    finally:
        good.close()
        bad.close()
    assert any("AuthFailure" in s for s in seen)
    assert any("NetworkError" in s for s in seen)
    text = "\n".join(seen + [r.getMessage() for r in caplog.records] + [caplog.text])
    assert "tencent hunyuan" in caplog.text  # the client does log
    assert secret not in text and DEFAULT_SECRET_KEY not in text
    assert DEFAULT_SECRET_ID not in "\n".join(seen)


# --- configuration --------------------------------------------------------------------------------------


def test_provider_from_settings(fake: FakeTencentCloud) -> None:
    env = {
        "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
        "HUNYUAN_ENDPOINT": fake.url,
    }
    p = provider_from_env(env)
    try:
        image = finish(p, fake, req())
        assert image.content_type == "image/png"  # the result came over http from the override host
    finally:
        p.close()
    defaults = provider_from_env({"TENCENTCLOUD_SECRET_ID": "id", "TENCENTCLOUD_SECRET_KEY": "key"})
    try:
        hunyuan, aiart = defaults._clients["hunyuan"], defaults._clients["aiart"]
        assert (hunyuan.host, hunyuan.region, hunyuan.version) == (
            "hunyuan.tencentcloudapi.com",
            "ap-guangzhou",
            "2023-09-01",
        )
        assert (aiart.host, aiart.version) == ("aiart.tencentcloudapi.com", "2022-12-29")
        assert isinstance(defaults._fetch, ResultFetcher) and defaults._fetch.override_origin is None
    finally:
        defaults.close()
    with pytest.raises(ValueError, match="TENCENTCLOUD_SECRET_KEY"):
        provider_from_env({"TENCENTCLOUD_SECRET_ID": "id"})


def test_host_of() -> None:
    assert host_of("https://hunyuan.tencentcloudapi.com") == "hunyuan.tencentcloudapi.com"
    assert host_of("https://hunyuan.tencentcloudapi.com:443/") == "hunyuan.tencentcloudapi.com"
    assert host_of("http://127.0.0.1:8765") == "127.0.0.1:8765"
    assert host_of("aiart.ap-guangzhou.tencentcloudapi.com") == "aiart.ap-guangzhou.tencentcloudapi.com"
    with pytest.raises(ValueError):
        host_of("ftp://x")
