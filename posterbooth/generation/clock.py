"""The one clock: a thread in each ``python -m workers`` process that drives all periodic work.

It sleeps until the next thing is due, and wakes early when a step is delayed to an
earlier time (:func:`.queue.enqueue_step` pushes a token it blocks on), so an idle
cluster makes a handful of Redis calls a minute instead of hundreds a second. What it
does, each safe to run in many processes at once:

* **Due steps** (polls and retries): moved to the front of the queue at their due time.
* **The waiting line**, every :data:`MAINTAIN_EVERY` seconds for each limited provider in use:
  expired leases are reaped and free slots handed to waiting participations; a paused
  provider's probe is let through when its cool-down is over.
* **The sweep**, every :data:`SWEEP_EVERY` seconds, by one clock in the cluster: a job
  (``workers.jobs.sweep``) that gives a new job to each unfinished participation that lost
  its own (a dead worker, a lost Redis); the same clock moves rq's scheduled jobs that are
  overdue, for steps scheduled while no clock ran.
* **Retention**, every :data:`PURGE_EVERY` seconds (first a minute after start), by one clock in the cluster: a job
  (``workers.jobs.purge``) deleting photos and posters whose retention has passed.

The thread only talks to Redis, over a connection of its own: database work runs as jobs,
so a worker that forks a child per job (``--fork``) never forks inside a database call.
Plain ``rq worker --with-scheduler`` processes keep generation going without any clock,
through rq's own scheduler (delayed steps are also scheduled there, two seconds late).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from posterbooth.config import Settings
from posterbooth.generation.circuit import Circuit
from posterbooth.generation.keys import RETENTION_LOCK, SWEEP_LOCK, WAKE_KEY
from posterbooth.generation.queue import connect, enqueue_step, job_alive, make_queue, next_due, release_due
from posterbooth.generation.slots import Semaphore
from posterbooth.providers import concurrency

log = logging.getLogger(__name__)

MAINTAIN_EVERY = 1.0
SWEEP_EVERY = 3.0
#: Longest a sweep may run (it takes milliseconds); one marked started longer ago died with its worker.
SWEEP_TIMEOUT = 60
#: Longest the hourly retention purge may run.
PURGE_TIMEOUT = 900
PURGE_EVERY = 3600
#: A clock looks whether the hourly purge is due this long after it starts, and every minute after that.
PURGE_CHECK_EVERY = 60.0
#: The longest the clock sleeps without looking (it also wakes when a step is delayed).
LONGEST_SLEEP = 5.0
SWEEP_JOB_ID = "posterbooth-sweep"
PURGE_JOB_ID = "posterbooth-retention"


class Clock:
    """Periodic work shared by all workers; :meth:`run` it in a thread, or call :meth:`tick` in tests."""

    def __init__(self, settings: Settings, providers: Callable[[], Iterable[str]] = lambda: (),
                 on_tick: Callable[[], object] | None = None) -> None:
        self.settings = settings
        self.providers = providers
        #: Called on every tick: the worker re-registers with rq if its Redis lost it (workers/registration.py).
        self.on_tick = on_tick
        self.redis = connect(settings.REDIS_URL)
        self.queue = make_queue(self.redis, settings.QUEUE_NAME)
        self._next_maintain = 0.0
        self._next_sweep = 0.0
        self._next_purge_check = time.monotonic() + PURGE_CHECK_EVERY  # not in the start-up rush

    def tick(self, now: float | None = None) -> float:
        """Do whatever is due now; return the seconds until something else is."""
        now = time.monotonic() if now is None else now
        if self.on_tick is not None:
            self.on_tick()
        release_due(self.queue)
        limited = self._limited_providers()
        if limited and now >= self._next_maintain:
            self._next_maintain = now + MAINTAIN_EVERY
            self.maintain(limited)
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            if self.redis.set(SWEEP_LOCK, "1", nx=True, px=int(SWEEP_EVERY * 1000) - 200):
                self.enqueue_sweep()
                self.release_overdue()
        if now >= self._next_purge_check:
            self._next_purge_check = now + PURGE_CHECK_EVERY
            if self.redis.set(RETENTION_LOCK, "1", nx=True, ex=PURGE_EVERY):
                self.enqueue_purge()
        wake = [LONGEST_SLEEP, self._next_sweep - now]
        if limited:
            wake.append(self._next_maintain - now)
        due = next_due(self.redis)
        if due is not None:
            wake.append(due - time.time())
        return max(0.0, min(wake))

    def _limited_providers(self) -> dict[str, int]:
        limits = {}
        for name in set(self.providers()):
            limit = concurrency(self.settings, name)
            if limit is not None:
                limits[name] = limit
        return limits

    def _enqueue_once(self, function: str, job_id: str, description: str, timeout: int) -> None:
        """Enqueue a housekeeping job at the front of the queue, unless it is already waiting or running.

        One whose worker died with it (still marked started after its timeout, or taken and never started)
        is enqueued again: otherwise that one kill would stop the sweep for good.
        """
        if job_alive(self.queue, job_id, started_within=timeout):
            return
        self.queue.enqueue(function, job_id=job_id, at_front=True, result_ttl=0, failure_ttl=3600,
                           job_timeout=timeout, description=description)

    def enqueue_sweep(self) -> None:
        """Enqueue the sweep (``workers.jobs.sweep``)."""
        self._enqueue_once("workers.jobs.sweep", SWEEP_JOB_ID, "find participations that lost their job",
                           SWEEP_TIMEOUT)

    def enqueue_purge(self) -> None:
        """Enqueue the retention purge (``workers.jobs.purge``)."""
        self._enqueue_once("workers.jobs.purge", PURGE_JOB_ID, "delete photos and posters past their retention",
                           PURGE_TIMEOUT)

    def release_overdue(self) -> int:
        """Enqueue rq-scheduled steps that are overdue (scheduled while no clock ran); return how many."""
        registry = ScheduledJobRegistry(queue=self.queue)
        moved = 0
        for job_id in registry.get_jobs_to_schedule(int(time.time())):
            if not registry.remove(job_id):
                continue
            try:
                job = Job.fetch(job_id, connection=self.redis)
            except NoSuchJobError:
                continue
            self.queue.enqueue_job(job, at_front=True)
            moved += 1
        return moved

    def maintain(self, limited: dict[str, int] | None = None) -> list[int]:
        """Hand free provider slots to waiting participations, and probe paused providers; return who moved."""
        moved: list[int] = []
        for name, limit in (self._limited_providers() if limited is None else limited).items():
            semaphore = Semaphore(self.redis, name, limit)
            circuit = Circuit(self.redis, name, cooldown=self.settings.PROVIDER_PAUSE_SECONDS)
            if circuit.state().closed:
                promoted = semaphore.promote()
            elif circuit.probe_due():
                log.warning("image provider %s is paused; letting one job check whether it works again", name)
                promoted = semaphore.promote(most=1)
            else:
                promoted = []
            for participation_id in promoted:
                enqueue_step(self.queue, participation_id)
            moved.extend(promoted)
        return moved

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking at once when a step is delayed (a token on the wake list)."""
        if seconds <= 0.001:
            return
        self.redis.blpop([WAKE_KEY], timeout=max(0.01, min(seconds, LONGEST_SLEEP)))

    def run(self, stop: threading.Event) -> None:
        """Tick and sleep until ``stop`` is set; log failures (e.g. Redis away) without dying."""
        failing_since = 0.0
        while not stop.is_set():
            try:
                self.sleep(self.tick())
                failing_since = 0.0
            except Exception:  # noqa: BLE001 - the clock must outlive outages
                if not failing_since or time.monotonic() - failing_since > 60:
                    log.exception("worker clock failed; retrying")
                    failing_since = time.monotonic()
                stop.wait(1.0)
        self.redis.close()


def start_clock(settings: Settings, providers: Callable[[], Iterable[str]],
                on_tick: Callable[[], object] | None = None) -> threading.Event:
    """Run a :class:`Clock` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    clock = Clock(settings, providers, on_tick)
    threading.Thread(target=clock.run, args=(stop,), name="posterbooth-clock", daemon=True).start()
    return stop


def wake(connection: redis.Redis) -> None:
    """Wake a sleeping clock (e.g. after a change it should look at now)."""
    connection.lpush(WAKE_KEY, "1")
