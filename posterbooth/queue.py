"""The generation queue: enqueueing jobs by participation id, positions and wait estimates."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from flask import Flask, current_app
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job

JOB_FUNCTION = "workers.jobs.generate"
DURATIONS_KEY = "posterbooth:durations"
DURATIONS_KEPT = 50
DEFAULT_DURATION = 6.0


def job_id_for(participation_id: int) -> str:
    """Return the rq job id of a participation's generation job."""
    return f"participation-{participation_id}"


def connect(url: str) -> redis.Redis:
    """Return a Redis connection for a redis://, rediss:// or unix:// URL."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)


def make_queue(connection: redis.Redis, name: str) -> Queue:
    """Return the rq queue that holds generation jobs."""
    return Queue(name, connection=connection)


def enqueue_generation(queue: Queue, participation_id: int, *, at_front: bool = False) -> str:
    """Enqueue the generation job of a participation; enqueueing twice keeps one job."""
    job_id = job_id_for(participation_id)
    try:
        existing = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=True) in {"queued", "started", "scheduled", "deferred"}:
        return job_id
    queue.enqueue(
        JOB_FUNCTION,
        participation_id,
        job_id=job_id,
        job_timeout=600,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        at_front=at_front,
        description=f"generate poster for participation {participation_id}",
    )
    return job_id


def record_duration(connection: redis.Redis, seconds: float) -> None:
    """Remember how long one generation took, for wait estimates."""
    pipe = connection.pipeline()
    pipe.lpush(DURATIONS_KEY, f"{seconds:.3f}")
    pipe.ltrim(DURATIONS_KEY, 0, DURATIONS_KEPT - 1)
    pipe.execute()


def typical_duration(connection: redis.Redis) -> float:
    """Return the median of recently measured generation durations."""
    values = sorted(float(v) for v in connection.lrange(DURATIONS_KEY, 0, DURATIONS_KEPT - 1))
    if not values:
        return DEFAULT_DURATION
    return values[len(values) // 2]


@dataclass(frozen=True)
class Progress:
    """Where a participation's job stands: jobs ahead and the estimated seconds left."""

    ahead: int | None
    estimate_seconds: int
    started: bool


def progress(queue: Queue, participation_id: int, started_at: float | None = None) -> Progress:
    """Return the queue position and the estimated wait of a participation."""
    connection = queue.connection
    duration = typical_duration(connection)
    workers = max(1, Worker.count(queue=queue))
    try:
        job = Job.fetch(job_id_for(participation_id), connection=connection)
        position = job.get_position()
    except NoSuchJobError:
        position = None
    if position is None:
        elapsed = time.time() - started_at if started_at else 0.0
        left = max(1.0, duration - elapsed)
        return Progress(ahead=0 if started_at else None, estimate_seconds=round(left), started=bool(started_at))
    rounds = position // workers + 1
    return Progress(ahead=position, estimate_seconds=round(rounds * duration), started=False)


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
