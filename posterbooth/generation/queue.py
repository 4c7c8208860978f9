"""The generation queue: jobs by participation id, follow-up steps, and the current-job pointer.

A participation's generation runs as a chain of short rq jobs (submit, poll,
poll…, poster); none of them waits for the provider. The web enqueues the
first one as ``participation-<id>``; each later step is a new job
``participation-<id>-<n>``, and the participation's pointer (:mod:`.keys`)
names the one job that may act for it now (the *current* job). A job that is
not current (a duplicate, or one replaced by the sweep after a crash) does
nothing, so re-enqueueing is always safe.

Delayed steps go into rq's scheduled registry (a fallback for plain ``rq
worker`` processes, two seconds late) *and* into the ``due`` set with their
exact due time; the clock of ``python -m workers`` (:mod:`.clock`) moves them
to the front of the queue when they are due. Scheduling a step pushes a wake-up
token, so a sleeping clock notices an earlier due time at once.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from posterbooth.generation.keys import DUE_KEY, POINTER_TTL, WAKE_KEY, pointer_key, seq_key, text

#: The rq job function of every step (kept stable: queued jobs survive an upgrade).
JOB_FUNCTION = "workers.jobs.generate"
#: Time limit of one step (one provider call and, at the end, the poster).
JOB_TIMEOUT = 600
#: rq's scheduler enqueues a delayed step this long after its due time if no clock did it first.
FALLBACK_SLACK = 2
LIVE_STATUSES = {"queued", "started", "scheduled", "deferred"}


def job_id_for(participation_id: int) -> str:
    """Return the rq job id of a participation's first generation job."""
    return f"participation-{participation_id}"


def connect(url: str) -> redis.Redis:
    """Return a Redis connection for a redis://, rediss:// or unix:// URL."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)


def make_queue(connection: redis.Redis, name: str) -> Queue:
    """Return the rq queue that holds generation jobs."""
    return Queue(name, connection=connection)


def current_job_id(connection: redis.Redis, participation_id: int) -> str | None:
    """Return the id of the job that may act for a participation now, if one is recorded."""
    value = connection.get(pointer_key(participation_id))
    return text(value) if value else None


def is_current(connection: redis.Redis, participation_id: int, job_id: str) -> bool:
    """Tell whether ``job_id`` may act for the participation (any job may when none is recorded)."""
    current = current_job_id(connection, participation_id)
    return current is None or current == job_id


def forget(connection: redis.Redis, participation_id: int) -> None:
    """Drop the participation's current-job record: it ended."""
    connection.delete(pointer_key(participation_id))


def enqueue_generation(queue: Queue, participation_id: int, *, at_front: bool = False) -> str:
    """Enqueue the generation job of a participation; enqueueing twice keeps one job."""
    job_id = job_id_for(participation_id)
    try:
        existing = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=True) in LIVE_STATUSES:
        return job_id
    queue.connection.set(pointer_key(participation_id), job_id, ex=POINTER_TTL)
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
    pipe = connection.pipeline()
    pipe.incr(seq_key(participation_id))
    pipe.expire(seq_key(participation_id), POINTER_TTL)
    number = pipe.execute()[0]
    job_id = f"{job_id_for(participation_id)}-{number}"
    connection.set(pointer_key(participation_id), job_id, ex=POINTER_TTL)
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
    pipe = connection.pipeline()
    pipe.zadd(DUE_KEY, {job_id: due})
    pipe.lpush(WAKE_KEY, "1")
    pipe.ltrim(WAKE_KEY, 0, 0)
    pipe.execute()
    return job_id


def next_due(connection: redis.Redis) -> float | None:
    """Return the unix time the earliest delayed step is due, or None when none waits."""
    first = connection.zrange(DUE_KEY, 0, 0, withscores=True)
    return float(first[0][1]) if first else None


def release_due(queue: Queue, limit: int = 200) -> int:
    """Move delayed steps whose time has come to the front of the queue; return how many moved."""
    connection = queue.connection
    due = connection.zrangebyscore(DUE_KEY, "-inf", time.time(), start=0, num=limit)
    if not due:
        return 0
    registry = ScheduledJobRegistry(queue=queue)
    moved = 0
    for raw in reversed(due):  # pushed at the front one by one: the earliest ends up first
        job_id = text(raw)  # type: ignore[arg-type]  # zrangebyscore without scores returns members
        if not connection.zrem(DUE_KEY, job_id):
            continue  # another worker's clock took it
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


#: A job a worker took from the queue is marked started within milliseconds; one still marked queued this long
#: after it was enqueued, but no longer in the queue, was taken by a worker that died at once.
TAKEN_GRACE = 6.0


def seconds_since(stamp: bytes | None, now: float | None = None) -> float:
    """Return the seconds since one of rq's timestamps (naive UTC ISO text); infinity when there is none."""
    if not stamp:
        return math.inf
    when = datetime.fromisoformat(stamp.decode().replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (time.time() if now is None else now) - when.timestamp()


def job_alive(queue: Queue, job_id: str, started_within: float) -> bool:
    """Tell whether a job will still run or is running: waiting in the queue (or scheduled), or started less
    than ``started_within`` seconds ago. A killed worker leaves its job marked started, or queued but out of
    the queue, forever."""
    pipe = queue.connection.pipeline(transaction=False)
    pipe.hmget(Job.key_for(job_id), "status", "started_at", "enqueued_at")
    pipe.lpos(queue.key, job_id)
    (status, started_at, enqueued_at), position = pipe.execute()
    status = status.decode() if status else None
    if status in ("scheduled", "deferred"):
        return True
    if status == "queued":
        return position is not None or seconds_since(enqueued_at) < TAKEN_GRACE
    return status == "started" and seconds_since(started_at) < started_within
