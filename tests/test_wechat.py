"""Test WeChat JS-SDK signing and the Redis-cached, single-flight token manager against a fake WeChat API."""

from __future__ import annotations

import hashlib
import json
import logging

import httpx
import pytest
import redis

from posterbooth.wechat import (
    JS_API_LIST,
    WeChatCredentials,
    WeChatError,
    WeChatQuotaExceeded,
    WeChatUnavailable,
    credentials_from_config,
    is_wechat,
    is_wecom,
    js_signature,
    share_config_for,
    sign_page,
)
from tests import wechat_support
from tests.fakes.wechat_server import GETTICKET, STABLE_TOKEN, TOKEN, FakeWeChatServer
from tests.wechat_support import PAGE, T0, FakeClock, force_flags

clock = wechat_support.clock
fake = wechat_support.fake
creds = wechat_support.creds


# ---------------------------------------------------------------------------------------------- signature


def test_signature_matches_the_documented_known_answer() -> None:
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    url = "http://mp.weixin.qq.com?params=value"
    expected = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    assert js_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, url) == expected
    assert js_signature(ticket, "Wm3WZYTPz0wzccnW", "1414587457", url) == expected


def test_signature_ignores_the_fragment_but_not_the_query() -> None:
    base = js_signature("T", "n" * 16, 1, PAGE)
    assert js_signature("T", "n" * 16, 1, PAGE + "#/share?x=1") == base
    assert js_signature("T", "n" * 16, 1, PAGE + "&extra=1") != base
    assert js_signature("T", "n" * 16, 2, PAGE) != base


def test_signature_signs_raw_unescaped_values() -> None:
    url = "https://posters.example.com/c/春日?name=李 雷&q=%E4%B8%AD"
    string1 = f"jsapi_ticket=TK&noncestr=abc&timestamp=7&url={url}"
    expected = hashlib.sha1(string1.encode(), usedforsecurity=False).hexdigest()
    assert js_signature("TK", "abc", 7, url + "#top") == expected


def test_sign_page_returns_a_verifiable_wx_config(creds: WeChatCredentials, fake: FakeWeChatServer) -> None:
    config = sign_page(creds, PAGE + "#section")
    assert set(config) == {"appId", "timestamp", "nonceStr", "signature", "jsApiList"}
    assert config["appId"] == fake.app_id
    assert config["timestamp"] == int(T0)
    assert config["jsApiList"] == JS_API_LIST == ["updateAppMessageShareData", "updateTimelineShareData"]
    nonce = config["nonceStr"]
    assert len(nonce) >= 16 and nonce.isalnum()
    [ticket] = fake.issued_tickets
    assert config["signature"] == js_signature(ticket, nonce, config["timestamp"], PAGE)
    assert sign_page(creds, PAGE)["nonceStr"] != nonce


# ---------------------------------------------------------------------------------------------- user agent

IOS_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.48(0x18003030) NetType/WIFI Language/zh_CN"
)
ANDROID_WECHAT = (
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220133 MMWEBSDK/20240301 "
    "MMWEBID/1234 MicroMessenger/8.0.48.2580(0x28003036) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)
WECOM = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("ua", "wechat", "wecom"),
    [
        (IOS_WECHAT, True, False),
        (ANDROID_WECHAT, True, False),
        (WECOM, True, True),
        ("something micromessenger/8.0", True, False),
        (SAFARI, False, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_user_agent_detection(ua: str | None, wechat: bool, wecom: bool) -> None:
    assert is_wechat(ua) is wechat
    assert is_wecom(ua) is wecom


# ---------------------------------------------------------------------------------------------- tokens


def test_token_and_ticket_end_to_end_then_cached(
    creds: WeChatCredentials, fake: FakeWeChatServer, redis_conn: redis.Redis, clock: FakeClock
) -> None:
    ticket = creds.jsapi_ticket()
    assert fake.issued_tickets == [ticket]
    assert creds.access_token() == fake.issued_tokens[0]
    [body] = fake.requests(STABLE_TOKEN)
    assert body == {
        "grant_type": "client_credential", "appid": fake.app_id, "secret": fake.app_secret,
        "force_refresh": False,
    }
    [query] = fake.requests(GETTICKET)
    assert query == {"access_token": fake.issued_tokens[0], "type": "jsapi"}
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET), fake.calls(TOKEN)) == (1, 1, 0)

    # Cached in Redis under the app's namespace, with value and expiry: no upstream call from this object,
    # nor from another process's credentials object sharing the Redis.
    record = json.loads(redis_conn.get(f"posterbooth:wechat:{fake.app_id}:jsapi_ticket"))
    assert record["value"] == ticket and record["expires_at"] == T0 + 7200
    assert 0 < redis_conn.ttl(f"posterbooth:wechat:{fake.app_id}:jsapi_ticket") <= 7200
    clock.advance(3600)
    assert creds.jsapi_ticket() == ticket
    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, clock=clock) as other:
        assert other.jsapi_ticket() == ticket
        assert other.access_token() == fake.issued_tokens[0]
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET)) == (1, 1)


def test_refreshes_before_expiry(creds: WeChatCredentials, fake: FakeWeChatServer, clock: FakeClock) -> None:
    first = creds.jsapi_ticket()
    clock.advance(7200 - 300 - 10)  # 5 min 10 s of validity left: still fresh
    assert creds.jsapi_ticket() == first
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET)) == (1, 1)

    clock.advance(20)  # 4 min 50 s left: refresh now, while the old ticket still works
    second = creds.jsapi_ticket()
    assert second != first and fake.issued_tickets == [first, second]
    assert fake.calls(GETTICKET) == 2
    assert force_flags(fake) == [False, False]  # the token was due too; stable_token, never forced

    clock.advance(600)
    assert creds.jsapi_ticket() == second  # the new ticket has its own full lifetime
    assert fake.calls(GETTICKET) == 2

    clock.advance(7200)  # long expired: fetched anew, never served stale
    third = creds.jsapi_ticket()
    assert third not in (first, second) and fake.calls(GETTICKET) == 3


def test_short_remaining_lifetime_does_not_refresh_on_every_call(
    creds: WeChatCredentials, fake: FakeWeChatServer, clock: FakeClock
) -> None:
    token = creds.access_token()
    clock.advance(7200 - 100)  # stable_token will hand back the same token with only 100 s left
    assert creds.access_token() == token
    assert fake.calls(STABLE_TOKEN) == 2
    for _ in range(5):
        clock.advance(5)
        assert creds.access_token() == token
    assert fake.calls(STABLE_TOKEN) == 2


@pytest.mark.parametrize("how", ["injected", "revoked"])
def test_invalid_token_is_refreshed_once_then_getticket_retried(
    creds: WeChatCredentials, fake: FakeWeChatServer, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    stale = creds.access_token()
    if how == "injected":
        fake.fail_next_getticket(40001)
    else:
        fake.invalidate_tokens()
    with caplog.at_level(logging.WARNING, logger="posterbooth"):
        ticket = creds.jsapi_ticket()
    assert fake.issued_tickets == [ticket]
    assert force_flags(fake) == [False, True]
    assert fake.calls(GETTICKET) == 2
    fresh = creds.access_token()
    assert fresh != stale and fresh == fake.issued_tokens[-1]
    assert [q["access_token"] for q in fake.requests(GETTICKET)] == [stale, fresh]
    assert "errcode 40001" in caplog.text


def test_invalid_token_twice_raises_after_a_single_forced_refresh(
    creds: WeChatCredentials, fake: FakeWeChatServer
) -> None:
    fake.fail_next_getticket(40001, times=2)
    with pytest.raises(WeChatError) as info:
        creds.jsapi_ticket()
    assert info.value.errcode == 40001
    assert force_flags(fake) == [False, True]
    assert fake.calls(GETTICKET) == 2


def test_quota_exhausted_keeps_the_valid_old_ticket(
    creds: WeChatCredentials, fake: FakeWeChatServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    old = creds.jsapi_ticket()
    fake.quota_exhausted = True
    clock.advance(7200 - 120)  # due for refresh, still valid for 2 minutes
    with caplog.at_level(logging.WARNING, logger="posterbooth"):
        assert creds.jsapi_ticket() == old
    [record] = [r for r in caplog.records if "45009" in r.getMessage()]
    assert record.levelno == logging.WARNING and "still valid" in record.getMessage()
    assert fake.calls(GETTICKET) == 2

    clock.advance(30)  # during the quota cool-down nobody hammers the API
    assert creds.jsapi_ticket() == old
    assert fake.calls(GETTICKET) == 2

    clock.advance(120)  # the old ticket has expired: there is nothing valid left to serve
    with pytest.raises(WeChatQuotaExceeded) as info:
        creds.jsapi_ticket()
    assert info.value.errcode == 45009


def test_quota_exhausted_without_old_ticket_is_a_clear_error(
    creds: WeChatCredentials, fake: FakeWeChatServer
) -> None:
    fake.quota_exhausted = True
    with pytest.raises(WeChatQuotaExceeded) as info:
        creds.jsapi_ticket()
    assert info.value.errcode == 45009
    assert "quota exhausted" in str(info.value) and "no valid cached jsapi_ticket" in str(info.value)
    assert share_config_for(creds, PAGE) is None


@pytest.mark.parametrize(
    ("app_id", "secret", "errcode", "errmsg"),
    [
        ("wx_wrong_app", None, 40013, "invalid appid"),
        (None, "not-the-right-secret-000000000000", 40125, "invalid appsecret"),
    ],
)
def test_rejected_app_credentials_raise_wechat_error(
    fake: FakeWeChatServer, redis_conn: redis.Redis, app_id: str | None, secret: str | None, errcode: int,
    errmsg: str,
) -> None:
    app_id, secret = app_id or fake.app_id, secret or fake.app_secret
    with (
        WeChatCredentials(app_id, secret, redis_conn, api_base=fake.url) as c,
        pytest.raises(WeChatError) as info,
    ):
        c.jsapi_ticket()
    assert type(info.value) is WeChatError
    assert info.value.errcode == errcode and errmsg in info.value.errmsg
    assert fake.calls(GETTICKET) == 0


def test_other_getticket_errcode_raises_wechat_error(
    creds: WeChatCredentials, fake: FakeWeChatServer
) -> None:
    fake.fail_next_getticket(40164)  # e.g. the server's IP is not whitelisted
    with pytest.raises(WeChatError) as info:
        creds.jsapi_ticket()
    assert info.value.errcode == 40164 and "injected error 40164" in info.value.errmsg
    assert force_flags(fake) == [False]


@pytest.mark.parametrize(
    ("status", "content", "fragment"),
    [
        (502, b"<html>bad gateway</html>", "HTTP 502"),
        (200, b"not json", "not JSON"),
        (200, b"[]", "JSON object"),
    ],
)
def test_broken_upstream_answers_raise_unavailable(
    redis_conn: redis.Redis, status: int, content: bytes, fragment: str
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(status, content=content)

    transport = httpx.MockTransport(handler)
    with (
        credentials_from_config("wxmock", "mock-secret", "https://wx.internal/", redis_conn, transport) as c,
        pytest.raises(WeChatUnavailable) as info,
    ):
        c.access_token()
    assert seen == ["https://wx.internal/cgi-bin/stable_token"]
    assert info.value.errcode == -1 and fragment in str(info.value)


def test_credentials_from_config_uses_the_configured_api_base(
    fake: FakeWeChatServer, redis_conn: redis.Redis
) -> None:
    assert credentials_from_config(None, "x", fake.url, redis_conn) is None
    assert credentials_from_config(fake.app_id, "", fake.url, redis_conn) is None
    with credentials_from_config(fake.app_id, fake.app_secret, None, redis_conn) as default:
        assert default.api_base == "https://api.weixin.qq.com"
    with credentials_from_config(fake.app_id, fake.app_secret, fake.url + "/", redis_conn) as c:
        assert c.jsapi_ticket() == fake.issued_tickets[0]
