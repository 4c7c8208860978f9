"""The poll clock: when to ask the provider about a running job, learnt from the jobs before.

The first poll goes out just after the provider's *usual* job time. A job that was
still running there moves the usual time to between its last "running" answer and
its "done" one; a job already done at its first poll moves it earlier, by a step
that grows while that keeps happening. So it settles just below the real job time
whatever the workers' own delays, within a few jobs. Later polls come every 2.5% of
the job's age, within bounds and the provider's query rate.
"""

from __future__ import annotations

import redis

from posterbooth.generation import keys
from posterbooth.generation.progress import record_duration

#: First poll this long after the provider's usual job time.
POLL_LAG = 0.01
#: Shortest time between two polls of one job.
MIN_POLL = 0.05
#: How much earlier a job found done at its first poll moves the usual time (at first).
USUAL_STEP = 0.02


class PollClock:
    """The poll timing of one participation's remote job at one provider."""

    def __init__(self, connection: redis.Redis, provider: str, participation_id: int, *,
                 query_rate: float | None = None, concurrency: int | None = None) -> None:
        self.connection = connection
        self.provider = provider
        self.participation_id = participation_id
        self.query_rate = query_rate
        self.concurrency = concurrency

    def usual(self) -> float:
        """Return the provider's usual job time in seconds (0 while unknown)."""
        raw = self.connection.hget(keys.usual_key(self.provider), "time")
        return float(raw) if raw else 0.0

    def next_delay(self, poll_after: float, elapsed: float) -> float:
        """Return the seconds until the next poll of a job ``elapsed`` seconds old."""
        usual = self.usual()
        if usual and elapsed < usual:
            return usual - elapsed + POLL_LAG
        if not usual and elapsed < poll_after:
            return poll_after - elapsed
        delay = min(poll_after, max(MIN_POLL, 0.025 * elapsed))
        if not usual and self.query_rate and self.concurrency:
            # Until the usual time is known, a full account's polls stay within the query rate.
            delay = max(delay, self.concurrency / self.query_rate)
        return delay

    def still_running(self, elapsed: float) -> None:
        """Note that the job was still running at ``elapsed`` seconds."""
        self.connection.set(keys.pending_key(self.participation_id), f"{elapsed:.3f}", ex=3600)

    def finished(self, elapsed: float) -> None:
        """Learn the usual time from a job found done at ``elapsed`` seconds, and record its duration."""
        before = self.connection.get(keys.pending_key(self.participation_id))
        value = (float(before) + elapsed) / 2 if before is not None else elapsed
        learn = self.connection.register_script(keys.LEARN)
        learn(keys=[keys.usual_key(self.provider)],
              args=["running" if before is not None else "done", value, USUAL_STEP])
        record_duration(self.connection, elapsed, self.provider)
        self.forget()

    def forget(self) -> None:
        """Drop what was noted about the current job (it failed, or the participation ended)."""
        self.connection.delete(keys.pending_key(self.participation_id))
