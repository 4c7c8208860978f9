"""WeChat token manager under trouble: degrading when WeChat or Redis is down, secrets kept out of logs, locking."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from posterbooth.wechat import (
    WeChatCredentials,
    WeChatError,
    WeChatUnavailable,
    share_config_for,
)
from tests import wechat_support
from tests.fakes.wechat_server import GETTICKET, STABLE_TOKEN, FakeWeChatServer
from tests.wechat_support import PAGE, FakeClock, dead_port

clock = wechat_support.clock
fake = wechat_support.fake
creds = wechat_support.creds


# ---------------------------------------------------------------------------------------------- degrade


def test_share_config_degrades_to_none_and_warns_once_per_outage(
    fake: FakeWeChatServer, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    assert share_config_for(None, PAGE) is None
    dead = f"http://127.0.0.1:{dead_port()}"

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
    down = redis.Redis(host="127.0.0.1", port=dead_port(), retry=Retry(NoBackoff(), 0))
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
    dead = f"http://127.0.0.1:{dead_port()}"
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
    assert time.monotonic() - started < 5  # the foreign lock lasts 10 s: it did not wait for it
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
