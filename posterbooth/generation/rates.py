"""Request-rate limits shared through Redis (generic cell rate algorithm), e.g. Hunyuan's 20 queries a second."""

from __future__ import annotations

import time

import redis

from posterbooth.generation import keys
from posterbooth.providers import request_rate


class RateLimiter:
    """At most ``rate`` requests per second (with ``burst`` at once), shared through Redis."""

    def __init__(self, connection: redis.Redis, name: str, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = keys.rate_key(name)
        self.interval = 1.0 / rate
        self.tolerance = self.interval * (max(1, burst) - 1)
        self._script = connection.register_script(keys.GCRA)

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
    rate = request_rate(provider, call)
    return RateLimiter(connection, f"{provider}:{call}", rate) if rate else None
