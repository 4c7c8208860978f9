"""The provider account's slots, the shared request rate and the participation claim, on real Redis.

Time is injected where the behaviour depends on it (the rate limiter); where real expiry is the point,
tests poll with generous deadlines.
"""

from __future__ import annotations

import time

import pytest
import redis

from posterbooth.generation.claims import Claim
from posterbooth.generation.keys import claim_key
from posterbooth.generation.rates import RateLimiter
from posterbooth.generation.slots import Semaphore


def test_leases_expire_when_nobody_renews_them(redis_conn: redis.Redis) -> None:
    first = Semaphore(redis_conn, "hunyuan", 1)
    second = Semaphore(redis_conn, "hunyuan", 1)  # another worker, another machine: same Redis
    assert first.acquire(1, ttl=1.0)
    assert not second.acquire(2) and second.waiting() == 1
    deadline = time.monotonic() + 30
    while not (promoted := second.promote()):  # the first worker died: its lease runs out
        assert first.holds(1) or time.monotonic() < deadline
        time.sleep(0.05)
    assert promoted == [2] and first.holds(2) and not first.holds(1)
    assert second.acquire(2)  # the promoted participation's job finds its slot


def test_the_line_is_kept_by_participation_id(redis_conn: redis.Redis) -> None:
    semaphore = Semaphore(redis_conn, "hunyuan", 1)
    assert semaphore.acquire(5)
    assert not semaphore.acquire(9) and not semaphore.acquire(7)
    assert semaphore.release(5) == [7]  # 7 came back from a retry: it keeps its place before 9
    assert not semaphore.acquire(3)  # 7 holds the only slot: 3 joins the line...
    assert not semaphore.holds(3) and semaphore.waiting() == 2  # ...beside 9
    assert semaphore.release(7) == [3]


class _FrozenTime:
    """An injected clock for the rate limiter: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def test_the_request_rate_is_shared(redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    from posterbooth.generation import rates

    clock = _FrozenTime()
    monkeypatch.setattr(rates, "time", clock)
    limiters = [RateLimiter(redis_conn, "hunyuan:query", 50.0) for _ in range(3)]
    granted = 0
    for _ in range(200):  # 0.2 s in 1 ms steps, every limiter asking at every step
        granted += sum(limiter.try_acquire() == 0 for limiter in limiters)
        clock.now += 0.001
    assert granted == 10  # 50 per second for 0.2 s, whoever asks
    wait = limiters[0].try_acquire()
    assert 0 < wait <= 0.02
    clock.now += wait
    assert limiters[1].try_acquire() == 0  # the wait it named was enough


def test_the_rate_limiter_runs_on_real_time(redis_conn: redis.Redis) -> None:
    fast = RateLimiter(redis_conn, "hunyuan:query", 5.0)
    assert fast.try_acquire() == 0
    deadline = time.monotonic() + 30
    while (wait := fast.try_acquire()) > 0:  # real time: the next turn comes, however loaded the machine
        assert wait <= 0.2 + 1e-6 and time.monotonic() < deadline
        time.sleep(wait)


def test_a_claim_is_exclusive_and_expires_after_a_crash(redis_conn: redis.Redis) -> None:
    first, second = Claim(redis_conn, 42, ttl=0.5), Claim(redis_conn, 42, ttl=0.5)
    assert first.acquire() and not second.acquire()
    # The holder crashes: nobody renews (no background thread was started) and nobody releases.
    deadline = time.monotonic() + 30
    while not second.acquire():
        assert time.monotonic() < deadline, "a dead execution's claim never expired"
        time.sleep(0.05)
    assert second.owned() and not first.owned()
    first.release()  # the late release of the crashed execution takes nothing from the new one
    assert second.owned()
    second.release()
    assert not redis_conn.exists(claim_key(42))


def test_claim_and_lease_are_renewed_for_a_step_longer_than_their_lifetimes(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posterbooth.generation import claims

    monkeypatch.setattr(claims, "CLAIM_RENEW_EVERY", 0.2)
    semaphore = Semaphore(redis_conn, "hunyuan", 1)
    claim = Claim(redis_conn, 7, ttl=2.0)
    assert claim.acquire() and semaphore.acquire(7, ttl=2.0)
    claim.also.append(lambda: semaphore.renew(7, ttl=2.0))  # as the engine does during a long provider call
    with claim:
        time.sleep(5)  # more than twice both lifetimes
        assert claim.owned() and semaphore.holds(7)
        assert not Claim(redis_conn, 7).acquire() and not semaphore.acquire(8)
    assert not redis_conn.exists(claim_key(7))  # released on the way out
    deadline = time.monotonic() + 30  # the lease is no longer renewed: it runs out
    while semaphore.holds(7):
        assert time.monotonic() < deadline
        time.sleep(0.1)
