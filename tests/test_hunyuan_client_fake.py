"""The fake Tencent Cloud itself: the official SDK against it, standalone mode, strictness and fault modes."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.hunyuan.v20230901 import hunyuan_client, models

from posterbooth.providers import tc3
from posterbooth.providers.base import GeneratedImage, Pending, ProviderError
from posterbooth.providers.hunyuan import (
    HUNYUAN_VERSION,
)
from tests import hunyuan_support
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud, fake_tencent  # noqa: F401
from tests.hunyuan_support import LITE, QUERY, SUBMIT, client_for, provider_from_env, req

fake = hunyuan_support.fake


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
        deadline = time.monotonic() + 60
        while (done := client.call(QUERY, {"JobId": job}))["JobStatusCode"] != "5":
            assert done["JobStatusCode"] in {"1", "2"}, done  # queued or running, never failed
            assert time.monotonic() < deadline, "the fixture's job never finished on its own"
            time.sleep(0.05)
        lite = client.call(LITE, {"Prompt": "x"})
    [url] = done["ResultImage"]
    assert url.startswith(fake_tencent.url)
    with Image.open(io.BytesIO(httpx.get(url, timeout=30).content)) as result:
        assert result.width > 0 and result.height > 0
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
