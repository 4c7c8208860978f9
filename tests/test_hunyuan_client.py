"""Hunyuan provider and the Tencent Cloud client against the fake service on a loopback port."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import ValidationError
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.hunyuan.v20230901 import hunyuan_client, models

from posterbooth.config import Settings
from posterbooth.providers import tc3
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, Provider, ProviderError
from posterbooth.providers.hunyuan import (
    ACTIONS,
    HUNYUAN_VERSION,
    HunyuanProvider,
    HunyuanSettings,
    RemoteJobFailed,
    nearest_resolution,
    provider_from_settings,
    truncate_text,
)
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient, classify_code, host_of
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud, fake_tencent  # noqa: F401

SUBMIT, QUERY, LITE = "SubmitHunyuanImageJob", "QueryHunyuanImageJob", "TextToImageLite"


def provider_from_env(env: dict[str, str]):  # noqa: ANN201 - the provider class under test
    """Build the provider from settings named as in the environment."""
    return provider_from_settings(Settings(**env))


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Run a fake whose jobs take 10 s of its own clock (tests advance it)."""
    with FakeTencentCloud(latency=10.0, queue_time=2.0) as server:
        yield server


def client_for(fake: FakeTencentCloud, **kwargs: object) -> TencentCloudClient:
    """Return a Tencent Cloud client pointed at the fake."""
    kwargs.setdefault("secret_key", DEFAULT_SECRET_KEY)
    return TencentCloudClient("hunyuan", HUNYUAN_VERSION, fake.url, DEFAULT_SECRET_ID, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def provider(fake: FakeTencentCloud) -> Iterator[HunyuanProvider]:
    """Yield a Hunyuan provider talking to the fake."""
    p = HunyuanProvider(client_for(fake), fetch=ResultFetcher(override_origin=fake.url))
    yield p
    p.close()


def req(prompt: str = "一只橘猫在月光下弹古琴", **kwargs: object) -> GenerationRequest:
    """Return a generation request."""
    return GenerationRequest(prompt=prompt, **kwargs)  # type: ignore[arg-type]


def finish(provider: HunyuanProvider, fake: FakeTencentCloud, request: GenerationRequest) -> GeneratedImage:
    """Start a job, let the fake's clock run out and collect the image."""
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    fake.advance(60)
    result = provider.resume(pending.job_id, request)
    assert isinstance(result, GeneratedImage)
    return result


def error_of(call: object, *args: object) -> ProviderError:
    """Run a call that must fail and return its ProviderError."""
    with pytest.raises(ProviderError) as info:
        call(*args)  # type: ignore[operator]
    return info.value


# --- job flow -----------------------------------------------------------------------------------------


def test_provider_satisfies_the_protocol(provider: HunyuanProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "hunyuan"


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
    settings = {
        "style": "shuimo",
        "resolution": "1280:720",
        "revise": 0,
        "seed": 1234,
        "logo_add": 0,
        "clarity": "x2",
        "num": 1,
        "logo_param": {
            "logo_url": "https://brand.example.com/logo.png",
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
            "LogoUrl": "https://brand.example.com/logo.png",
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


# --- errors -------------------------------------------------------------------------------------------

REFERENCE_TABLE = {
    "retryable": [
        "RequestLimitExceeded",
        "RequestLimitExceeded.JobNumExceed",
        "RequestLimitExceeded.UinLimitExceeded",
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
    ],
    "moderation": [
        "OperationDenied.TextIllegalDetected",
        "OperationDenied.ImageIllegalDetected",
        "FailedOperation.GenerateImageFailed",
        "FailedOperation.ModerationFailed",
    ],
    "account": [
        "ResourceUnavailable.InArrears",
        "ResourceUnavailable.NotExist",
        "ResourcesSoldOut.ChargeStatusException",
        "ResourceInsufficient.ChargeResourceExhaust",
        "FailedOperation.FreeResourcePackExhausted",
        "FailedOperation.ResourcePackExhausted",
        "FailedOperation.ServiceNotActivated",
        "FailedOperation.ServiceStop",
        "FailedOperation.ServiceStopArrears",
        "FailedOperation.UserUnAuthError",
        "AuthFailure.SignatureFailure",
        "AuthFailure.SecretIdNotFound",
        "AuthFailure.UnauthorizedOperation",
    ],
    "bad_request": [
        "InvalidParameter",
        "InvalidParameter.InvalidParameter",
        "InvalidParameterValue.TextLengthExceed",
        "InvalidParameterValue.StyleConflict",
        "FailedOperation.ImageDecodeFailed",
        "FailedOperation.ImageDownloadError",
        "FailedOperation.DownloadError",
        "FailedOperation.ImageResolutionExceed",
        "FailedOperation.ImageSizeExceed",
        "FailedOperation.RequestEntityTooLarge",
        "FailedOperation.JobNotExist",
    ],
}


@pytest.mark.parametrize(
    ("code", "kind"), [(code, kind) for kind, codes in REFERENCE_TABLE.items() for code in codes]
)
def test_classify_code_follows_the_reference_table(code: str, kind: str) -> None:
    assert classify_code(code) == kind


def test_unknown_codes_are_retryable() -> None:
    assert classify_code("FailedOperation.SomethingNew") == "retryable"
    assert classify_code("") == "retryable"
    # Not fooled by look-alike prefixes.
    assert classify_code("RequestSizeLimitExceeded") == "bad_request"
    assert classify_code("UnauthorizedOperation") == "account"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("RequestLimitExceeded.JobNumExceed", "retryable"),
        ("InternalError", "retryable"),
        ("OperationDenied.TextIllegalDetected", "moderation"),
        ("FailedOperation.ServiceNotActivated", "account"),
        ("ResourceInsufficient.ChargeResourceExhaust", "account"),
        ("InvalidParameterValue", "bad_request"),
        ("FailedOperation.BrandNewFailure", "retryable"),
    ],
)
def test_service_errors_are_mapped(
    provider: HunyuanProvider, fake: FakeTencentCloud, code: str, kind: str
) -> None:
    fake.fail_next(SUBMIT, code, "服务端说明")
    exc = error_of(provider.start, req())
    assert (exc.kind, exc.code) == (kind, code)
    assert "服务端说明" in exc.message and "RequestId" in exc.message
    assert fake.submissions[SUBMIT] == 0


def test_concurrency_limit_is_retryable(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    assert isinstance(provider.start(req()), Pending)
    exc = error_of(provider.start, req())
    assert (exc.kind, exc.code) == ("retryable", "RequestLimitExceeded.JobNumExceed")
    fake.advance(60)
    assert isinstance(provider.start(req()), Pending)
    assert fake.submissions[SUBMIT] == 2


def test_unknown_job_is_a_bad_request(provider: HunyuanProvider) -> None:
    exc = error_of(provider.resume, "no-such-job", req())
    assert (exc.kind, exc.code) == ("bad_request", "FailedOperation.JobNotExist")


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        ("OperationDenied.ImageIllegalDetected", "图片违规", "moderation"),
        ("FailedOperation.GenerateImageFailed", "生成失败", "moderation"),
        ("FailedOperation.EngineServerError", "engine", "retryable"),
        ("FailedOperation.Unheard", "内容审核未通过", "moderation"),
        ("FailedOperation.Unheard", "busy", "retryable"),
        ("FailedOperation.DownloadError", "参考图下载失败", "bad_request"),
    ],
)
def test_failed_jobs_are_mapped(
    provider: HunyuanProvider, fake: FakeTencentCloud, code: str, message: str, kind: str
) -> None:
    fake.fail_job_next(code, message)
    pending = provider.start(req())
    assert isinstance(pending, Pending)
    fake.advance(60)
    exc = error_of(provider.resume, pending.job_id, req())
    assert isinstance(exc, RemoteJobFailed)  # the job is gone: re-start, don't re-poll
    assert (exc.kind, exc.code) == (kind, code)
    assert message in exc.message


@pytest.mark.parametrize(
    ("fault", "code"), [("drop", "NetworkError"), ("non_json", "InvalidResponse"), ("http_502", "HTTP502")]
)
def test_transport_faults_are_retryable(
    provider: HunyuanProvider, fake: FakeTencentCloud, fault: str, code: str
) -> None:
    fake.fail_next(SUBMIT, fault)
    exc = error_of(provider.start, req())
    assert (exc.kind, exc.code) == ("retryable", code)
    assert fake.submissions[SUBMIT] == 0
    assert isinstance(provider.start(req()), Pending)  # the next attempt goes through


def test_answer_lost_after_submission(provider: HunyuanProvider, fake: FakeTencentCloud) -> None:
    """The job was created but the answer never came: retryable, and the fake counts the submission."""
    fake.fail_next(SUBMIT, "drop_after")
    exc = error_of(provider.start, req())
    assert exc.kind == "retryable"
    assert fake.submissions[SUBMIT] == 1


def test_query_faults_are_retryable_and_polling_continues(
    provider: HunyuanProvider, fake: FakeTencentCloud
) -> None:
    pending = provider.start(req())
    assert isinstance(pending, Pending)
    fake.advance(60)
    fake.fail_next(QUERY, "drop")
    fake.fail_next(QUERY, "InternalError")
    assert error_of(provider.resume, pending.job_id, req()).kind == "retryable"
    assert error_of(provider.resume, pending.job_id, req()).kind == "retryable"
    assert isinstance(provider.resume(pending.job_id, req()), GeneratedImage)
    assert fake.submissions[SUBMIT] == 1


def test_slow_answer_times_out_as_retryable(fake: FakeTencentCloud) -> None:
    fake.fail_next(SUBMIT, "InternalError", delay=2.0)
    with client_for(fake, timeout=0.3) as client:
        started = time.monotonic()
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
        assert time.monotonic() - started < 1.5
    assert (exc.kind, exc.code) == ("retryable", "NetworkTimeout")


def test_connection_refused_is_retryable() -> None:
    with FakeTencentCloud() as gone:
        url = gone.url
    with TencentCloudClient("hunyuan", HUNYUAN_VERSION, url, "id", "key", timeout=2) as client:
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
    assert (exc.kind, exc.code) == ("retryable", "NetworkError")


def test_wrong_secret_is_an_account_error(fake: FakeTencentCloud) -> None:
    with client_for(fake, secret_key="not-the-key") as client:
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
    assert (exc.kind, exc.code) == ("account", "AuthFailure.SignatureFailure")
    assert fake.auth_failures == {"AuthFailure.SignatureFailure": 1}
    assert fake.submissions[SUBMIT] == 0


def test_clock_skew_is_rejected(fake: FakeTencentCloud) -> None:
    with client_for(fake, clock=lambda: time.time() - 600) as client:
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
    assert (exc.kind, exc.code) == ("account", "AuthFailure.SignatureExpire")


def test_temporary_credentials_send_the_token() -> None:
    with FakeTencentCloud(token="session-token") as fake:
        with client_for(fake) as client:
            assert error_of(client.call, SUBMIT, {"Prompt": "x"}).code == "AuthFailure.TokenFailure"
        with client_for(fake, token="session-token") as client:
            assert client.call(SUBMIT, {"Prompt": "x"})["JobId"]
        assert fake.calls_of(SUBMIT)[0].headers["x-tc-token"] == "session-token"


def test_wrong_region_is_a_bad_request(fake: FakeTencentCloud) -> None:
    with client_for(fake, region="ap-shanghai") as client:
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
    assert (exc.kind, exc.code) == ("bad_request", "UnsupportedRegion")


def test_body_is_sent_exactly_as_signed(fake: FakeTencentCloud) -> None:
    # Non-ASCII text, nested objects: any re-serialisation after signing would break the signature.
    with client_for(fake) as client:
        response = client.call(
            SUBMIT,
            {
                "Prompt": "海边的灯塔，“晨雾”🌫",
                "LogoParam": {"LogoImage": "QUJD", "LogoRect": {"X": 0, "Y": 0, "Width": 1, "Height": 1}},
            },
        )
    assert response["JobId"]
    assert fake.calls_of(SUBMIT)[0].params["Prompt"] == "海边的灯塔，“晨雾”🌫"


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
        ({"action": "SubmitGlamPicJob"}, "action 'SubmitGlamPicJob' is not supported"),
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


# --- the official SDK against the fake --------------------------------------------------------------------


def _sdk_client(fake: FakeTencentCloud, secret_key: str) -> hunyuan_client.HunyuanClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=fake.host))
    return hunyuan_client.HunyuanClient(
        credential.Credential(DEFAULT_SECRET_ID, secret_key), "ap-guangzhou", profile
    )


def test_official_sdk_is_accepted_by_the_fake(fake: FakeTencentCloud) -> None:
    request = models.SubmitHunyuanImageJobRequest()
    request.from_json_string(json.dumps({"Prompt": "一只猫", "Resolution": "768:768", "Revise": 0}))
    good = _sdk_client(fake, DEFAULT_SECRET_KEY)
    bad = _sdk_client(fake, DEFAULT_SECRET_KEY + "x")
    try:
        job_id = good.SubmitHunyuanImageJob(request).JobId
        assert job_id in fake.jobs
        fake.advance(60)
        query = models.QueryHunyuanImageJobRequest()
        query.JobId = job_id
        done = good.QueryHunyuanImageJob(query)
        assert done.JobStatusCode == "5" and done.ResultImage[0].startswith(fake.url)
        with pytest.raises(TencentCloudSDKException) as info:
            bad.SubmitHunyuanImageJob(request)
        assert info.value.code == "AuthFailure.SignatureFailure"
    finally:
        good.request.conn._session.close()
        bad.request.conn._session.close()
    assert fake.submissions[SUBMIT] == 1


def test_fixture_and_base64_lite_with_a_short_latency(fake_tencent: FakeTencentCloud) -> None:  # noqa: F811
    """The shared fixture: real-time jobs that finish on their own."""
    with client_for(fake_tencent) as client:
        job = client.call(SUBMIT, {"Prompt": "x"})["JobId"]
        deadline = time.monotonic() + 5
        while (status := client.call(QUERY, {"JobId": job})["JobStatusCode"]) != "5":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert status == "5"
        lite = client.call(LITE, {"Prompt": "x"})
    raw = base64.b64decode(lite["ResultImage"])
    assert raw.startswith(b"\x89PNG")


def test_fake_runs_standalone_for_benches() -> None:
    """``python -m tests.fakes.tencent_server`` serves until SIGTERM and reports what it billed."""
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.tencent_server",
            "--port",
            "0",
            "--latency",
            "0.2",
            "--concurrency",
            "4",
            "--sync-latency",
            "0",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["listening"]
        env = {
            "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
            "HUNYUAN_ENDPOINT": url,
        }
        p = provider_from_env(env)
        try:
            request = req()
            result = p.start(request)
            deadline = time.monotonic() + 10
            while isinstance(result, Pending):
                assert time.monotonic() < deadline
                time.sleep(0.05)
                result = p.resume(result.job_id, request)
            assert isinstance(result, GeneratedImage)
        finally:
            p.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert json.loads(out.strip().splitlines()[-1])["submissions"] == {SUBMIT: 1}


# --- the fake's own strictness and fault modes -------------------------------------------------------------


def test_fake_rejects_malformed_requests(fake: FakeTencentCloud) -> None:
    body = b'{"Prompt":"x"}'
    signed = tc3.sign_request(
        DEFAULT_SECRET_ID,
        DEFAULT_SECRET_KEY,
        "hunyuan",
        fake.host,
        SUBMIT,
        HUNYUAN_VERSION,
        "ap-guangzhou",
        body,
        int(time.time()),
    )
    cases = {
        "AuthFailure.SignatureFailure": {**signed, "Authorization": "Bearer nope"},
        "MissingParameter": {k: v for k, v in signed.items() if k != "X-TC-Action"},
        "AuthFailure.SecretIdNotFound": {
            **signed,
            "Authorization": signed["Authorization"].replace(DEFAULT_SECRET_ID, "AKIDother"),
        },
        "InvalidAction": tc3.sign_request(
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            "hunyuan",
            fake.host,
            "Nope",
            HUNYUAN_VERSION,
            "ap-guangzhou",
            body,
            int(time.time()),
        ),
        "NoSuchVersion": tc3.sign_request(
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            "hunyuan",
            fake.host,
            SUBMIT,
            "2022-12-29",
            "ap-guangzhou",
            body,
            int(time.time()),
        ),
    }
    with httpx.Client() as http:
        for code, headers in cases.items():
            answer = http.post(fake.url, content=body, headers=headers).json()["Response"]
            assert answer["Error"]["Code"] == code, code
        # A body altered after signing fails the signature.
        altered = http.post(fake.url, content=b'{"Prompt":"y"}', headers=signed).json()["Response"]
        assert altered["Error"]["Code"] == "AuthFailure.SignatureFailure"
        # The service checks field names: a typo in our mapping would surface here.
        typo = b'{"Prompt":"x","Stlye":"riman"}'
        headers = tc3.sign_request(
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            "hunyuan",
            fake.host,
            SUBMIT,
            HUNYUAN_VERSION,
            "ap-guangzhou",
            typo,
            int(time.time()),
        )
        answer = http.post(fake.url, content=typo, headers=headers).json()["Response"]
        assert answer["Error"]["Code"] == "UnknownParameter"
    assert fake.submissions == {}


def test_fake_chaos_mode_is_seeded() -> None:
    def run(seed: int) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        with FakeTencentCloud(retryable_rate=0.3, moderation_rate=0.05, seed=seed, result_size=16) as fake:
            with client_for(fake, timeout=5) as client:
                for _ in range(200):
                    try:
                        client.call(LITE, {"Prompt": "x"})
                        outcomes["ok"] += 1
                    except ProviderError as exc:
                        outcomes[exc.kind] += 1
            assert fake.submissions[LITE] == outcomes["ok"]
        return outcomes

    first = run(7)
    assert first == run(7)  # same seed, same sequence
    assert sum(first.values()) == 200
    assert 40 <= first["retryable"] <= 80  # ~30 %
    assert 2 <= first["moderation"] <= 20  # ~5 %
    assert set(first) == {"ok", "retryable", "moderation"}


def test_fake_sync_concurrency_limit() -> None:
    with (
        FakeTencentCloud(sync_concurrency=2, sync_latency=0.5, result_size=16) as fake,
        client_for(fake, timeout=5) as client,
    ):

        def call(_: int) -> str:
            try:
                client.call(LITE, {"Prompt": "x"})
                return "ok"
            except ProviderError as exc:
                return exc.code

        with ThreadPoolExecutor(4) as pool:
            outcomes = Counter(pool.map(call, range(4)))
    assert outcomes == {"ok": 2, "RequestLimitExceeded.JobNumExceed": 2}
    assert fake.submissions[LITE] == 2
