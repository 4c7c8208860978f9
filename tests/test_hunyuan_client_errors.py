"""Hunyuan client errors: the reference code table, service, job, transport and auth failures."""

from __future__ import annotations

import time

import pytest

from posterbooth.providers.base import GeneratedImage, Pending
from posterbooth.providers.hunyuan import (
    HUNYUAN_VERSION,
    HunyuanProvider,
    RemoteJobFailed,
)
from posterbooth.providers.tencent import TencentCloudClient, classify_code
from tests import hunyuan_support
from tests.fakes import FakeTencentCloud
from tests.hunyuan_support import QUERY, SUBMIT, client_for, error_of, req

fake = hunyuan_support.fake
provider = hunyuan_support.provider


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
    fake.fail_next(SUBMIT, "InternalError", delay=6.0)
    with client_for(fake, timeout=0.3) as client:
        started = time.monotonic()
        exc = error_of(client.call, SUBMIT, {"Prompt": "x"})
        assert time.monotonic() - started < 5  # gave up long before the answer came (room for a loaded machine)
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
