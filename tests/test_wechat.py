"""Test WeChat JS-SDK signing and the Redis-cached, single-flight token manager against a fake WeChat API."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

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
from tests.fakes.wechat_server import GETTICKET, STABLE_TOKEN, TOKEN, FakeWeChatServer

PAGE = "https://posters.example.com/c/spring-gala/result/42?from=singlemessage&isappinstalled=0"
T0 = 1_700_000_000.0


class FakeClock:
    """Stand in for time.time with a clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer(clock=clock) as server:
        yield server


@pytest.fixture
def creds(fake: FakeWeChatServer, redis_conn: redis.Redis, clock: FakeClock) -> Iterator[WeChatCredentials]:
    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, clock=clock) as c:
        yield c


def _force_flags(fake: FakeWeChatServer) -> list[bool]:
    return [body["force_refresh"] for body in fake.requests(STABLE_TOKEN)]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    assert _force_flags(fake) == [False, False]  # the token was due too; stable_token, never forced

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
    assert _force_flags(fake) == [False, True]
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
    assert _force_flags(fake) == [False, True]
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
    assert _force_flags(fake) == [False]


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


# ---------------------------------------------------------------------------------------------- degrade


def test_share_config_degrades_to_none_and_warns_once_per_outage(
    fake: FakeWeChatServer, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    assert share_config_for(None, PAGE) is None
    dead = f"http://127.0.0.1:{_dead_port()}"

    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "posterbooth.wechat" and r.levelno == logging.WARNING]

    caplog.set_level(logging.INFO, logger="posterbooth")
    with WeChatCredentials(
        fake.app_id, fake.app_secret, redis_conn, api_base=dead, failure_cooldown=0.01
    ) as c:
        assert share_config_for(c, PAGE) is None
        time.sleep(0.02)  # cool-down over: the second call really tries upstream again, and fails again
        assert share_config_for(c, PAGE) is None
        assert len(warnings()) == 1 and "without share config" in warnings()[0].getMessage()

        c.api_base = fake.url  # upstream is back
        time.sleep(0.02)
        config = share_config_for(c, PAGE)
        assert config is not None and config["appId"] == fake.app_id
        assert "works again" in caplog.text

        c.api_base = dead  # the next outage warns again
        redis_conn.flushdb()
        assert share_config_for(c, PAGE) is None
        assert len(warnings()) == 2


def test_share_config_degrades_when_redis_is_down(fake: FakeWeChatServer) -> None:
    down = redis.Redis(host="127.0.0.1", port=_dead_port(), retry=Retry(NoBackoff(), 0))
    with WeChatCredentials(fake.app_id, fake.app_secret, down, api_base=fake.url) as c:
        assert share_config_for(c, PAGE) is None
    down.close()
    assert fake.calls(STABLE_TOKEN) == 0


def test_secrets_never_reach_logs_or_errors(
    fake: FakeWeChatServer, redis_conn: redis.Redis, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_secret = "wrong-secret-abcdef0123456789abcd"
    errors: list[str] = []

    def attempt(c: WeChatCredentials) -> None:
        try:
            c.jsapi_ticket()
        except WeChatError as exc:
            errors.append(str(exc))
            errors.append(repr(exc))

    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, clock=clock) as c:
        assert fake.app_secret not in repr(c)
        attempt(c)  # success
        fake.fail_next_getticket(40001)
        clock.advance(7200)
        attempt(c)  # 40001 -> forced refresh -> retry
        fake.fail_next_getticket(40001, times=2)
        clock.advance(7200)
        attempt(c)  # 40001 twice -> error
        redis_conn.flushdb()
        fake.quota_exhausted = True
        attempt(c)  # 45009 without old ticket
        fake.quota_exhausted = False
        redis_conn.flushdb()
        fake.fail_next_getticket(40164)
        attempt(c)  # other errcode
        redis_conn.flushdb()
        share_config_for(c, PAGE)
    with WeChatCredentials(fake.app_id, wrong_secret, redis_conn, api_base=fake.url) as c:
        attempt(c)  # 40125
    redis_conn.flushdb()
    dead = f"http://127.0.0.1:{_dead_port()}"
    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=dead) as c:
        attempt(c)  # connection refused
        share_config_for(c, PAGE)

    assert len(errors) >= 10
    logged = caplog.text
    assert "HTTP Request: GET" in logged and "access_token=***" in logged  # httpx's URL lines were captured
    assert "errcode 40001" in logged
    for code in ("40001", "45009", "40164", "40125", "ConnectError"):
        assert any(code in text for text in errors), code
    tokens = fake.issued_tokens
    assert len(tokens) >= 3
    for secret in (fake.app_secret, wrong_secret, *tokens):
        assert secret not in logged
        assert all(secret not in text for text in errors)


# ---------------------------------------------------------------------------------------------- locking


def test_foreign_lock_with_valid_old_ticket_serves_it_without_waiting(
    creds: WeChatCredentials, fake: FakeWeChatServer, redis_conn: redis.Redis, clock: FakeClock
) -> None:
    old = creds.jsapi_ticket()
    clock.advance(7200 - 60)
    redis_conn.set(creds.key("jsapi_ticket", "lock"), "someone-else", px=10_000)
    started = time.monotonic()
    assert creds.jsapi_ticket() == old
    assert time.monotonic() - started < 0.2
    assert fake.calls(GETTICKET) == 1


def test_waits_for_a_foreign_lock_then_refreshes_itself(
    creds: WeChatCredentials, fake: FakeWeChatServer, redis_conn: redis.Redis
) -> None:
    redis_conn.set(creds.key("jsapi_ticket", "lock"), "crashed-refresher", px=400)
    started = time.monotonic()
    assert creds.jsapi_ticket() == fake.issued_tickets[0]
    assert time.monotonic() - started >= 0.3
    assert redis_conn.get(creds.key("jsapi_ticket", "lock")) is None  # released by its owner


def test_gives_up_waiting_with_a_clear_error(fake: FakeWeChatServer, redis_conn: redis.Redis) -> None:
    with WeChatCredentials(
        fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, wait_timeout=0.3
    ) as c:
        redis_conn.set(c.key("jsapi_ticket", "lock"), "stuck", px=10_000)
        with pytest.raises(WeChatUnavailable, match="timed out waiting"):
            c.jsapi_ticket()
    assert fake.calls(GETTICKET) == 0


def test_value_stored_just_before_taking_the_lock_is_not_fetched_again(
    creds: WeChatCredentials, fake: FakeWeChatServer, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_acquire = creds._acquire
    other = WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, clock=creds.clock)

    def acquire_after_someone_else_refreshed(kind: str) -> str | None:
        if kind == "jsapi_ticket" and not fake.issued_tickets:
            other.jsapi_ticket()  # another process finishes its refresh and releases the lock right here
        return real_acquire(kind)

    monkeypatch.setattr(creds, "_acquire", acquire_after_someone_else_refreshed)
    try:
        assert creds.jsapi_ticket() == fake.issued_tickets[0]
    finally:
        other.close()
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET)) == (1, 1)


def test_lock_is_only_released_by_its_owner(fake: FakeWeChatServer, redis_conn: redis.Redis) -> None:
    fake.latency = 0.4
    lock_key = f"posterbooth:wechat:{fake.app_id}:jsapi_ticket:lock"
    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, lock_ttl=0.2) as c:
        worker = threading.Thread(target=c.jsapi_ticket)
        worker.start()
        time.sleep(0.3)  # our lock has expired mid-refresh; someone else takes it over
        assert redis_conn.get(lock_key) is None
        redis_conn.set(lock_key, "next-owner", px=10_000)
        worker.join(timeout=5)
    assert fake.issued_tickets  # the slow refresh did complete
    assert redis_conn.get(lock_key) == b"next-owner"


def test_sixteen_threads_make_one_upstream_call_each(
    fake: FakeWeChatServer, redis_conn: redis.Redis
) -> None:
    fake.latency = 0.3
    barrier = threading.Barrier(16)
    results: list[str] = []
    failures: list[BaseException] = []
    objects = [
        WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url) for _ in range(2)
    ]

    def ask(c: WeChatCredentials) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(c.jsapi_ticket())
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(objects[i % 2],)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    for c in objects:
        c.close()
    assert not failures
    assert len(results) == 16 and set(results) == set(fake.issued_tickets) and len(fake.issued_tickets) == 1
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET)) == (1, 1)


def _process_worker(
    api_base: str, redis_url: str, app_id: str, secret: str, barrier: Any, results: Any, threads: int
) -> None:
    """Ask for the ticket from `threads` threads of a fresh process with its own Redis and credentials."""
    conn = redis.Redis.from_url(redis_url)
    creds = WeChatCredentials(app_id, secret, conn, api_base=api_base)

    def ask() -> None:
        try:
            barrier.wait(timeout=30)
            results.put(("ok", creds.jsapi_ticket()))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            results.put(("error", repr(exc)))

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    creds.close()
    conn.close()


@pytest.mark.slow
def test_four_processes_make_one_upstream_call_each(
    fake: FakeWeChatServer, redis_conn: redis.Redis, redis_url: str
) -> None:
    fake.clock = time.time
    fake.latency = 0.3
    ctx = multiprocessing.get_context("spawn")
    per_process = 4
    barrier = ctx.Barrier(4 * per_process)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_process_worker,
            args=(fake.url, redis_url, fake.app_id, fake.app_secret, barrier, results, per_process),
        )
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    answers = [results.get(timeout=60) for _ in range(4 * per_process)]
    for p in procs:
        p.join(timeout=30)
    results.close()
    results.join_thread()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert all(kind == "ok" for kind, _ in answers), answers
    assert {value for _, value in answers} == set(fake.issued_tickets) and len(fake.issued_tickets) == 1
    assert (fake.calls(STABLE_TOKEN), fake.calls(GETTICKET)) == (1, 1)
