"""Where a participation stands: people ahead and the estimated wait, from measured durations."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from rq import Queue
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from posterbooth.generation.circuit import read_state
from posterbooth.generation.keys import durations_key, lease_key, line_key
from posterbooth.generation.queue import job_id_for

DURATIONS_KEPT = 50
DEFAULT_DURATION = 6.0


def record_duration(connection: redis.Redis, seconds: float, provider: str | None = None) -> None:
    """Remember how long one generation (or, given a provider, one remote job) took, for estimates."""
    key = durations_key(provider)
    pipe = connection.pipeline()
    pipe.lpush(key, f"{seconds:.3f}")
    pipe.ltrim(key, 0, DURATIONS_KEPT - 1)
    pipe.execute()


def typical_duration(connection: redis.Redis, provider: str | None = None, default: float = DEFAULT_DURATION) -> float:
    """Return the median of recently measured durations (of one provider's jobs, when named)."""
    values = sorted(float(v) for v in connection.lrange(durations_key(provider), 0, DURATIONS_KEPT - 1))
    if not values:
        return default
    return values[len(values) // 2]


@dataclass(frozen=True)
class Progress:
    """Where a participation stands: people ahead, estimated seconds left, started, provider paused."""

    ahead: int | None
    estimate_seconds: int
    started: bool
    paused: bool = False


def progress(
    queue: Queue,
    participation_id: int,
    started_at: float | None = None,
    *,
    provider: str = "",
    concurrency: int | None = None,
) -> Progress:
    """Return the position and the estimated wait of a participation.

    With a provider ``concurrency`` (a limited provider account) the position is the
    number of participations ahead of this one in the provider's waiting line, and
    the estimate is the rounds of ``concurrency`` jobs before its turn times the
    recently measured job time. ``started_at`` is when its remote job was submitted.
    Without one (the offline provider), it is the position in the rq queue.
    """
    connection = queue.connection
    if concurrency is None:
        return _queue_progress(queue, participation_id, started_at)
    now = time.time()
    pipe = connection.pipeline()
    pipe.zcount(line_key(provider), "-inf", f"({participation_id}")
    pipe.zscore(lease_key(provider), str(participation_id))
    ahead, lease = pipe.execute()
    duration = typical_duration(connection, provider) + 1.0  # the job, then the poster
    if started_at and lease is not None and lease > now:
        left = max(1.0, duration - (now - started_at))
        return Progress(ahead=0, estimate_seconds=round(left), started=True)
    paused = not read_state(connection, provider).closed
    rounds = int(ahead) // max(1, concurrency) + 1
    return Progress(ahead=int(ahead), estimate_seconds=round(rounds * duration), started=False, paused=paused)


def _queue_progress(queue: Queue, participation_id: int, started_at: float | None) -> Progress:
    # One round trip: recent durations, the queue's workers, and the job's place in the queue (None once started).
    pipe = queue.connection.pipeline(transaction=False)
    pipe.lrange(durations_key(None), 0, DURATIONS_KEPT - 1)
    pipe.scard(WORKERS_BY_QUEUE_KEY % queue.name)
    pipe.lpos(queue.key, job_id_for(participation_id))
    durations, worker_count, position = pipe.execute()
    values = sorted(float(v) for v in durations)
    duration = values[len(values) // 2] if values else DEFAULT_DURATION
    workers = max(1, int(worker_count))
    if position is None:
        elapsed = time.time() - started_at if started_at else 0.0
        left = max(1.0, duration - elapsed)
        return Progress(ahead=0 if started_at else None, estimate_seconds=round(left), started=bool(started_at))
    rounds = int(position) // workers + 1
    return Progress(ahead=int(position), estimate_seconds=round(rounds * duration), started=False)
