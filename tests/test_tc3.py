"""TC3-HMAC-SHA256 signer: Tencent's published example, and equality with the official SDK."""

from __future__ import annotations

import json
import random
import string

import pytest
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.sign import Sign
from tencentcloud.hunyuan.v20230901.hunyuan_client import HunyuanClient

from posterbooth.providers import tc3

# Tencent's signing-doc example (values in the shared reference).
KA_BODY = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
KA_HOST = "cvm.tencentcloudapi.com"
KA_CT = "application/json; charset=utf-8"
KA_TS = 1551113065
KA_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
KA_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


def test_known_answer_body_hash() -> None:
    assert tc3.sha256_hex(KA_BODY) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"


def test_known_answer_canonical_request_hash() -> None:
    canonical = tc3.canonical_request(KA_CT, KA_HOST, KA_BODY)
    assert canonical.splitlines()[:5] == ["POST", "/", "", f"content-type:{KA_CT}", f"host:{KA_HOST}"]
    assert tc3.sha256_hex(canonical.encode()) == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )


def test_known_answer_signature_and_authorization() -> None:
    assert tc3.utc_date(KA_TS) == "2019-02-25"
    canonical = tc3.canonical_request(KA_CT, KA_HOST, KA_BODY)
    assert tc3.signature(KA_KEY, KA_TS, "cvm", canonical) == (
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )
    assert tc3.authorization(KA_ID, KA_KEY, "cvm", KA_HOST, KA_BODY, KA_TS, KA_CT) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_utc_date_uses_utc_not_local_time() -> None:
    # 2019-02-25 23:59:59 UTC is already the 26th in Beijing.
    assert tc3.utc_date(1551139199) == "2019-02-25"
    assert tc3.utc_date(1551139200) == "2019-02-26"


def test_sign_request_headers() -> None:
    headers = tc3.sign_request(
        KA_ID,
        KA_KEY,
        "hunyuan",
        "hunyuan.tencentcloudapi.com",
        "SubmitHunyuanImageJob",
        "2023-09-01",
        "ap-guangzhou",
        b'{"Prompt":"x"}',
        KA_TS,
        token="tok",
        language="zh-CN",
    )
    assert headers["Host"] == "hunyuan.tencentcloudapi.com"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-TC-Action"] == "SubmitHunyuanImageJob"
    assert headers["X-TC-Version"] == "2023-09-01"
    assert headers["X-TC-Timestamp"] == str(KA_TS)
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["X-TC-Token"] == "tok"
    assert headers["X-TC-Language"] == "zh-CN"
    assert headers["Authorization"].startswith(
        f"TC3-HMAC-SHA256 Credential={KA_ID}/2019-02-25/hunyuan/tc3_request, "
        "SignedHeaders=content-type;host, "
    )
    bare = tc3.sign_request(KA_ID, KA_KEY, "hunyuan", "h", "A", "v", None, b"{}", KA_TS)
    assert not {"X-TC-Region", "X-TC-Token", "X-TC-Language"} & bare.keys()


def test_signature_depends_on_every_signed_input() -> None:
    base = dict(secret_key=KA_KEY, timestamp=KA_TS, service="cvm")
    canonical = tc3.canonical_request(KA_CT, KA_HOST, KA_BODY)
    reference = tc3.signature(canonical=canonical, **base)
    variants = [
        tc3.signature(canonical=tc3.canonical_request(KA_CT, KA_HOST, KA_BODY + b" "), **base),
        tc3.signature(canonical=tc3.canonical_request(KA_CT, "cvm.example.com", KA_BODY), **base),
        tc3.signature(canonical=tc3.canonical_request("application/json", KA_HOST, KA_BODY), **base),
        tc3.signature(KA_KEY + "x", KA_TS, "cvm", canonical),
        tc3.signature(KA_KEY, KA_TS + 1, "cvm", canonical),
        tc3.signature(KA_KEY, KA_TS, "hunyuan", canonical),
    ]
    assert reference not in variants
    assert len(set(variants)) == len(variants)


# --- equality with the official SDK on random inputs -------------------------------------------------

_ALPHABET = string.ascii_letters + string.digits + "-_.~+/=!@#$%^&*()[]{}<>?"
_TEXT = _ALPHABET + " 中文提示词，猫在月下弹琴。🎨é\u0301"


def _rand(rng: random.Random, alphabet: str, lo: int, hi: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def _random_case(rng: random.Random) -> dict:
    params = {
        _rand(rng, string.ascii_letters, 1, 12): rng.choice(
            [_rand(rng, _TEXT, 0, 60), rng.randint(-(2**40), 2**40), [_rand(rng, _TEXT, 0, 8)], {"X": 1}]
        )
        for _ in range(rng.randint(0, 6))
    }
    return {
        "secret_id": "AKID" + _rand(rng, string.ascii_letters + string.digits, 8, 40),
        "secret_key": _rand(rng, _ALPHABET, 1, 64),
        "service": rng.choice(["hunyuan", "aiart", "cvm", "tmt"]),
        "endpoint": rng.choice(
            ["hunyuan.tencentcloudapi.com", "aiart.ap-guangzhou.tencentcloudapi.com", "127.0.0.1:8765"]
        ),
        "action": rng.choice(
            ["SubmitHunyuanImageJob", "QueryHunyuanImageJob", "TextToImageLite", "ImageToImage"]
        ),
        "version": rng.choice(["2023-09-01", "2022-12-29"]),
        "region": rng.choice(["ap-guangzhou", "ap-shanghai", ""]),
        "token": rng.choice([None, _rand(rng, _ALPHABET, 10, 80)]),
        "language": rng.choice([None, "zh-CN", "en-US"]),
        # Any second from 2000 to 2099, including ones near UTC midnight.
        "timestamp": rng.choice([rng.randint(946684800, 4102444799), rng.randint(1, 40000) * 86400 - 1]),
        "params": params,
    }


CASES = [_random_case(random.Random(f"tc3-{i}")) for i in range(200)]


class _FixedTime:
    def __init__(self, now: int) -> None:
        self.now = now

    def time(self) -> float:
        return float(self.now)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_headers_equal_official_sdk(case: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the same request with the SDK's signer and ours: every signed header must agree."""
    monkeypatch.setattr(abstract_client, "time", _FixedTime(case["timestamp"]))
    profile = ClientProfile(language=case["language"]) if case["language"] else ClientProfile()
    profile.httpProfile.endpoint = case["endpoint"]
    cred = credential.Credential(case["secret_id"], case["secret_key"], case["token"])
    client = HunyuanClient(cred, case["region"], profile)
    client._service = case["service"]
    client._apiVersion = case["version"]
    try:
        req = RequestInternal(case["endpoint"], "POST", "/")
        client._build_req_with_tc3_signature(case["action"], case["params"], req)
    finally:
        client.request.conn._session.close()
    body = req.data.encode("utf-8")
    assert json.loads(body) == case["params"]
    ours = tc3.sign_request(
        case["secret_id"],
        case["secret_key"],
        case["service"],
        case["endpoint"],
        case["action"],
        case["version"],
        case["region"] or None,
        body,
        case["timestamp"],
        token=case["token"],
        language=profile.language,  # the SDK defaults to zh-CN
    )
    for name, value in ours.items():
        assert req.header[name] == value, name
    sdk_tc = {
        k for k in req.header if k.startswith("X-TC-") and k not in ("X-TC-RequestClient", "X-TC-TraceId")
    }
    assert sdk_tc == {k for k in ours if k.startswith("X-TC-")}


@pytest.mark.parametrize("seed", range(50))
def test_signature_equals_sdk_sign_tc3(seed: int) -> None:
    """The HMAC chain alone, on arbitrary strings to sign."""
    rng = random.Random(f"sign-{seed}")
    key = _rand(rng, _TEXT, 1, 80)
    ts = rng.randint(0, 4102444799)
    service = _rand(rng, string.ascii_lowercase, 2, 10)
    canonical = _rand(rng, _TEXT, 0, 300)
    expected = Sign.sign_tc3(key, tc3.utc_date(ts), service, tc3.string_to_sign(ts, service, canonical))
    assert tc3.signature(key, ts, service, canonical) == expected
