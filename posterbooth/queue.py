"""The generation queue: enqueueing jobs by participation id, follow-up steps, positions and wait estimates.

A participation's generation runs as a chain of short rq jobs (submit, poll,
poll…, poster); none of them waits for the provider. The web enqueues the
first one as ``participation-<id>``; each later step is a new job
``participation-<id>-<n>``, and ``posterbooth:job:<id>`` points at the one
job that may act for the participation now (the *current* job). A job that is
not current (a duplicate, or one replaced by the sweeper after a crash) does
nothing, so re-enqueueing is always safe.

Delayed steps go into rq's scheduled registry (whose clock has one-second
steps, and which stalls for minutes when the worker holding its lock is
killed) *and* into ``posterbooth:due`` with their exact due time: the
workers' timer (:mod:`workers.timer`) and every finishing job move due steps
to the front of the queue within a few milliseconds; rq's scheduler is the
fallback two seconds later.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask, current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

JOB_FUNCTION = "workers.jobs.generate"
DURATIONS_KEY = "posterbooth:durations"
DUE_KEY = "posterbooth:due"
DURATIONS_KEPT = 50
DEFAULT_DURATION = 6.0
#: Time limit of one step (one provider call and, at the end, the poster).
JOB_TIMEOUT = 600
#: rq's scheduler enqueues a delayed step this long after its due time if no timer did it first.
FALLBACK_SLACK = 2
_POINTER_TTL = 7 * 24 * 3600
LIVE_STATUSES = {"queued", "started", "scheduled", "deferred"}


def job_id_for(participation_id: int) -> str:
    """Return the rq job id of a participation's first generation job."""
    return f"participation-{participation_id}"


POINTER_PREFIX = "posterbooth:job:"
#: Pointer value of a participation just handed a provider slot, whose step is about to be enqueued.
PROMOTED = "promoted"


def pointer_key(participation_id: int) -> str:
    """Return the key naming the participation's current job."""
    return f"{POINTER_PREFIX}{participation_id}"


def connect(url: str) -> redis.Redis:
    """Return a Redis connection for a redis://, rediss:// or unix:// URL."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)


def make_queue(connection: redis.Redis, name: str) -> Queue:
    """Return the rq queue that holds generation jobs."""
    return Queue(name, connection=connection)


def current_job_id(connection: redis.Redis, participation_id: int) -> str | None:
    """Return the id of the job that may act for a participation now, if one is recorded."""
    value = connection.get(pointer_key(participation_id))
    return value.decode() if value else None


def is_current(connection: redis.Redis, participation_id: int, job_id: str) -> bool:
    """Tell whether ``job_id`` may act for the participation (any job may when none is recorded)."""
    current = current_job_id(connection, participation_id)
    return current is None or current == job_id


def forget(connection: redis.Redis, participation_id: int) -> None:
    """Drop the participation's current-job record: it ended."""
    connection.delete(pointer_key(participation_id))


def enqueue_generation(queue: Queue, participation_id: int, *, at_front: bool = False, provider: str = "",
                       concurrency: int | None = None) -> str:
    """Enqueue the generation job of a participation; enqueueing twice keeps one job.

    Given its ``provider`` and that account's ``concurrency``, a participation that
    would only wait for a slot goes straight into the provider's waiting line
    instead (a finishing participation hands it a slot), which saves a worker step.
    """
    job_id = job_id_for(participation_id)
    if provider and concurrency:
        from workers.limits import join_line_if_full

        if join_line_if_full(queue.connection, provider, concurrency, participation_id):
            return job_id
    try:
        existing = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=True) in LIVE_STATUSES:
        return job_id
    queue.connection.set(pointer_key(participation_id), job_id, ex=_POINTER_TTL)
    queue.enqueue(
        JOB_FUNCTION,
        participation_id,
        job_id=job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        at_front=at_front,
        description=f"generate poster for participation {participation_id}",
    )
    return job_id


def enqueue_step(queue: Queue, participation_id: int, delay: float = 0.0) -> str:
    """Enqueue the participation's next step (at the front), now or after ``delay`` seconds; return its job id."""
    connection = queue.connection
    seq_key = f"posterbooth:seq:{participation_id}"
    pipe = connection.pipeline()
    pipe.incr(seq_key)
    pipe.expire(seq_key, _POINTER_TTL)
    number = pipe.execute()[0]
    job_id = f"{job_id_for(participation_id)}-{number}"
    connection.set(pointer_key(participation_id), job_id, ex=_POINTER_TTL)
    options = {
        "job_id": job_id,
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": 0,
        "failure_ttl": 7 * 24 * 3600,
        "at_front": True,
        "description": f"generate poster for participation {participation_id} (step {number})",
    }
    if delay <= 0:
        queue.enqueue(JOB_FUNCTION, participation_id, **options)
        return job_id
    due = time.time() + delay
    fallback = datetime.fromtimestamp(math.ceil(due) + FALLBACK_SLACK, UTC)
    queue.enqueue_at(fallback, JOB_FUNCTION, participation_id, **options)
    connection.zadd(DUE_KEY, {job_id: due})
    return job_id


def release_due(queue: Queue, limit: int = 200) -> int:
    """Move delayed steps whose time has come to the front of the queue; return how many moved."""
    connection = queue.connection
    due = connection.zrangebyscore(DUE_KEY, "-inf", time.time(), start=0, num=limit)
    if not due:
        return 0
    registry = ScheduledJobRegistry(queue=queue)
    moved = 0
    for raw in reversed(due):  # pushed at the front one by one: the earliest ends up first
        job_id = raw.decode()
        if not connection.zrem(DUE_KEY, job_id):
            continue  # another worker's timer took it
        if not registry.remove(job_id):
            continue  # rq's scheduler already enqueued it
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            continue
        queue.enqueue_job(job, at_front=True)
        moved += 1
    return moved


def job_status(connection: redis.Redis, job_id: str) -> str | None:
    """Return an rq job's status, or None when the job does not exist."""
    try:
        return Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _durations_key(provider: str | None) -> str:
    return f"{DURATIONS_KEY}:{provider}" if provider else DURATIONS_KEY


def record_duration(connection: redis.Redis, seconds: float, provider: str | None = None) -> None:
    """Remember how long one generation (or, given a provider, one remote job) took, for estimates."""
    key = _durations_key(provider)
    pipe = connection.pipeline()
    pipe.lpush(key, f"{seconds:.3f}")
    pipe.ltrim(key, 0, DURATIONS_KEPT - 1)
    pipe.execute()


def typical_duration(connection: redis.Redis, provider: str | None = None, default: float = DEFAULT_DURATION) -> float:
    """Return the median of recently measured durations (of one provider's jobs, when named)."""
    values = sorted(float(v) for v in connection.lrange(_durations_key(provider), 0, DURATIONS_KEPT - 1))
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
    from workers.circuit import read_state
    from workers.limits import lease_key, line_key

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
    from rq.worker_registration import WORKERS_BY_QUEUE_KEY

    pipe = queue.connection.pipeline(transaction=False)
    pipe.lrange(_durations_key(None), 0, DURATIONS_KEPT - 1)
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


def init_app(app: Flask) -> None:
    """Attach the Redis connection and the queue to the app."""
    if not app.config["REDIS_URL"]:
        return  # command-line tools that need no queue
    connection = connect(app.config["REDIS_URL"])
    app.extensions["posterbooth.redis"] = connection
    app.extensions["posterbooth.queue"] = make_queue(connection, app.config["QUEUE_NAME"])


def get_queue() -> Queue:
    """Return the current app's generation queue."""
    return current_app.extensions["posterbooth.queue"]


def get_redis() -> redis.Redis:
    """Return the current app's Redis connection."""
    return current_app.extensions["posterbooth.redis"]
