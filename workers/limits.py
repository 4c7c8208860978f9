"""Limits shared by every worker on every machine, kept in Redis.

* :class:`Semaphore`: the provider account's concurrency. A participation
  holds a *lease* (a member of a sorted set scored by its expiry time) from
  the moment it may submit until its result is in. Leases are renewed while
  the remote job runs and simply expire when nobody renews them (the worker
  died and its participation was never resumed). Participations that find no
  free slot wait in the provider's *line*, ordered by participation id, so a
  participation that backs off and comes back keeps its place. Releasing a
  lease hands the free slots straight to the head of the line.
* :class:`RateLimiter`: a request-rate limit (generic cell rate algorithm), e.g.
  Hunyuan's 20 queries per second.

Everything that changes the sets runs as one Lua script, so any number of
workers can use them at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

import redis

from posterbooth.queue import POINTER_PREFIX, PROMOTED, pointer_key

log = logging.getLogger(__name__)

PREFIX = "posterbooth"
#: How long a lease lasts without renewal.
LEASE_TTL = 30.0
#: How long a slot handed to a waiting participation is kept for it before its job runs.
PROMOTION_TTL = 60.0
#: Requests per second each provider's calls may make, by provider and call ("query": job status polls).
REQUEST_RATES: dict[str, dict[str, float]] = {"hunyuan": {"query": 20.0}}


def lease_key(provider: str) -> str:
    """Return the key of a provider's leases (member: participation id, score: expiry time)."""
    return f"{PREFIX}:leases:{provider}"


def line_key(provider: str) -> str:
    """Return the key of a provider's waiting line (member and score: participation id)."""
    return f"{PREFIX}:line:{provider}"


_ACQUIRE = """
local holder, now, expiry, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], holder) then
  redis.call('ZADD', KEYS[1], expiry, holder)
  redis.call('ZREM', KEYS[2], holder)
  return 1
end
local free = limit - redis.call('ZCARD', KEYS[1])
if free > 0 and redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. holder) < free then
  redis.call('ZADD', KEYS[1], expiry, holder)
  redis.call('ZREM', KEYS[2], holder)
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', holder, holder)
redis.call('DEL', KEYS[3])
return 0
"""

_RELEASE_AND_PROMOTE = """
local holder, now, expiry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, most = tonumber(ARGV[4]), tonumber(ARGV[5])
if holder ~= '' then redis.call('ZREM', KEYS[1], holder) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local free = limit - redis.call('ZCARD', KEYS[1])
if free > most then free = most end
local promoted = {}
while free > 0 do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 then break end
  redis.call('ZREM', KEYS[2], head[1])
  redis.call('ZADD', KEYS[1], expiry, head[1])
  redis.call('SET', ARGV[6] .. head[1], ARGV[7], 'EX', ARGV[8])
  promoted[#promoted + 1] = head[1]
  free = free - 1
end
return promoted
"""

_RENEW = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
"""


_JOIN_IF_FULL = """
local now, limit, holder = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
if redis.call('ZCARD', KEYS[2]) == 0 and redis.call('ZCOUNT', KEYS[1], now, '+inf') < limit then return 0 end
redis.call('ZADD', KEYS[2], 'NX', holder, holder)
return 1
"""


def join_line_if_full(connection: redis.Redis, provider: str, limit: int, holder: int) -> bool:
    """Put ``holder`` in the provider's line if others wait or every slot is taken; return True if it did."""
    script = connection.register_script(_JOIN_IF_FULL)
    return bool(script(keys=[lease_key(provider), line_key(provider)], args=[time.time(), limit, holder]))


class Semaphore:
    """A provider account's concurrency, as expiring leases plus a fair waiting line."""

    def __init__(self, connection: redis.Redis, provider: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency of {provider} must be at least 1 (got {limit})")
        self.connection = connection
        self.provider = provider
        self.limit = limit
        self.leases = lease_key(provider)
        self.line = line_key(provider)
        self._acquire = connection.register_script(_ACQUIRE)
        self._release = connection.register_script(_RELEASE_AND_PROMOTE)
        self._renew = connection.register_script(_RENEW)

    def acquire(self, holder: int, ttl: float = LEASE_TTL) -> bool:
        """Take (or renew) a lease; without a free slot ahead of earlier waiters, join the line instead.

        Joining the line drops the participation's current-job record: it has no job while it waits.
        """
        now = time.time()
        return bool(self._acquire(keys=[self.leases, self.line, pointer_key(holder)],
                                  args=[holder, now, now + ttl, self.limit]))

    def hold(self, holder: int, ttl: float = LEASE_TTL) -> None:
        """Hold a lease whatever the limit: the holder's remote job is running and uses a slot anyway."""
        pipe = self.connection.pipeline()
        pipe.zadd(self.leases, {str(holder): time.time() + ttl})
        pipe.zrem(self.line, str(holder))
        pipe.execute()

    def renew(self, holder: int, ttl: float = LEASE_TTL) -> bool:
        """Push a held lease's expiry to ``ttl`` from now; return False if it is not held."""
        return bool(self._renew(keys=[self.leases], args=[holder, time.time() + ttl]))

    def release(self, holder: int | None, most: int | None = None) -> list[int]:
        """Give up ``holder``'s lease and hand free slots (at most ``most``) to the head of the line.

        Returns the participations that now hold a slot and must be enqueued.
        """
        now = time.time()
        promoted = self._release(
            keys=[self.leases, self.line],
            args=["" if holder is None else holder, now, now + PROMOTION_TTL, self.limit,
                  self.limit if most is None else most, POINTER_PREFIX, PROMOTED, int(PROMOTION_TTL)],
        )
        return [int(p) for p in promoted]

    def promote(self, most: int | None = None) -> list[int]:
        """Reap expired leases and hand free slots to the head of the line."""
        return self.release(None, most)

    def park(self, holder: int) -> None:
        """Put ``holder`` in the waiting line (it keeps its place by participation id), with no job."""
        pipe = self.connection.pipeline()
        pipe.zadd(self.line, {str(holder): holder}, nx=True)
        pipe.delete(pointer_key(holder))
        pipe.execute()

    def leave(self, holder: int) -> None:
        """Take ``holder`` out of the line and give up its lease, if any (the participation ended)."""
        pipe = self.connection.pipeline()
        pipe.zrem(self.line, str(holder))
        pipe.zrem(self.leases, str(holder))
        pipe.execute()

    def holds(self, holder: int) -> bool:
        """Tell whether ``holder`` holds an unexpired lease."""
        score = self.connection.zscore(self.leases, str(holder))
        return score is not None and score > time.time()

    def in_use(self) -> int:
        """Count unexpired leases."""
        return int(self.connection.zcount(self.leases, time.time(), "+inf"))

    def waiting(self) -> int:
        """Count participations in the line."""
        return int(self.connection.zcard(self.line))


_GCRA = """
local now, interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return tostring(allowed_at - now) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return '0'
"""


class RateLimiter:
    """At most ``rate`` requests per second (with ``burst`` at once), shared through Redis."""

    def __init__(self, connection: redis.Redis, name: str, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = f"{PREFIX}:rate:{name}"
        self.interval = 1.0 / rate
        self.tolerance = self.interval * (max(1, burst) - 1)
        self._script = connection.register_script(_GCRA)

    def try_acquire(self) -> float:
        """Take one request's turn now and return 0, or return the seconds to wait (taking nothing)."""
        wait = self._script(keys=[self.key], args=[time.time(), self.interval, self.tolerance])
        return float(wait)

    def acquire(self, max_wait: float) -> float:
        """Take a turn, sleeping up to ``max_wait`` for it; return 0, or the wait still needed."""
        deadline = time.monotonic() + max_wait
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return 0.0
            if time.monotonic() + wait > deadline:
                return wait
            time.sleep(wait)


def request_limiter(connection: redis.Redis, provider: str, call: str) -> RateLimiter | None:
    """Return the rate limiter of one provider call, or None when it has no limit."""
    rate = REQUEST_RATES.get(provider, {}).get(call)
    return RateLimiter(connection, f"{provider}:{call}", rate) if rate else None


# --- executions -------------------------------------------------------------------------------------

#: How long a participation stays claimed by an execution that stopped renewing its claim.
CLAIM_TTL = 6.0
CLAIM_RENEW_EVERY = 1.5

_RENEW_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def claim_key(participation_id: int) -> str:
    """Return the key an execution holds while it works on a participation."""
    return f"{PREFIX}:claim:{participation_id}"


class Claim:
    """One execution's exclusive hold on a participation, renewed in the background, gone soon after a crash.

    Used as a context manager after :meth:`acquire`: a daemon thread renews the
    claim every :data:`CLAIM_RENEW_EVERY` seconds (and runs the ``also``
    callbacks, e.g. renewing a provider lease during a long synchronous call).
    A SIGKILLed worker stops renewing, so the sweeper knows within
    :data:`CLAIM_TTL` seconds that the participation needs a new job.
    """

    def __init__(self, connection: redis.Redis, participation_id: int, ttl: float = CLAIM_TTL) -> None:
        self.connection = connection
        self.key = claim_key(participation_id)
        self.ttl_ms = int(ttl * 1000)
        self.token = f"{uuid.uuid4().hex}"
        self.also: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renew = connection.register_script(_RENEW_CLAIM)
        self._release = connection.register_script(_RELEASE_CLAIM)

    def acquire(self) -> bool:
        """Claim the participation; return False if another live execution holds it."""
        return bool(self.connection.set(self.key, self.token, px=self.ttl_ms, nx=True))

    def owned(self) -> bool:
        """Tell whether this execution still holds the claim."""
        return self.connection.get(self.key) == self.token.encode()

    def release(self) -> None:
        """Give the claim up (only if it is still this execution's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._release(keys=[self.key], args=[self.token])

    def _beat(self) -> None:
        while not self._stop.wait(CLAIM_RENEW_EVERY):
            try:
                self._renew(keys=[self.key], args=[self.token, self.ttl_ms])
                for renew in self.also:
                    renew()
            except redis.exceptions.RedisError:
                log.warning("could not renew claim %s", self.key, exc_info=True)

    def __enter__(self) -> Claim:
        self._thread = threading.Thread(target=self._beat, name=f"claim-{self.key}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
