"""The workers' timer: a thread in each ``python -m workers`` process that keeps generation moving.

Every :data:`TICK` seconds it moves delayed steps whose time has come to the
front of the queue (rq's own scheduler only has one-second steps). Every
:data:`MAINTAIN_EVERY` seconds it reaps expired provider leases and hands free
slots to waiting participations, and lets a paused provider's probe run when
its cool-down is over. Every :data:`SWEEP_EVERY` seconds one worker (cluster
wide) enqueues the sweep (:func:`sweep`), which gives a new job to each
unfinished participation that has none, e.g. because its worker was killed.

Every action is safe to run in many processes at once. The thread only talks to
Redis, over connections of its own: rq forks a child for each job, and a child
forked while another thread is inside SQLite (or holds any other lock) could
hang, so database work runs as a job instead.
"""

from __future__ import annotations

import logging
import threading
import time

from rq.exceptions import NoSuchJobError
from rq.job import Job

from posterbooth.config import Settings
from posterbooth.queue import LIVE_STATUSES, connect, enqueue_step, make_queue, release_due
from workers.circuit import Circuit
from workers.limits import PREFIX, Semaphore
from workers.providers import PROVIDER_NAMES

log = logging.getLogger(__name__)

TICK = 0.01
MAINTAIN_EVERY = 1.0
SWEEP_EVERY = 3.0
SWEEP_JOB_ID = "posterbooth-sweep"


def sweep() -> int:
    """Give a new job to each unfinished participation that has none (an rq job the timer enqueues)."""
    from posterbooth.participations import requeue_orphans
    from workers.context import get_context

    ctx = get_context()
    return requeue_orphans(ctx.db, ctx.queue)


class Timer:
    """Periodic work shared by all workers; call :meth:`tick` often."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis = connect(settings.REDIS_URL)
        self.queue = make_queue(self.redis, settings.QUEUE_NAME)
        self._next_maintain = 0.0
        self._next_sweep = 0.0

    def tick(self, now: float | None = None) -> None:
        """Do whatever is due now."""
        now = time.monotonic() if now is None else now
        release_due(self.queue)
        if now >= self._next_maintain:
            self._next_maintain = now + MAINTAIN_EVERY
            self.maintain()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            if self.redis.set(f"{PREFIX}:sweep", "1", nx=True, px=int(SWEEP_EVERY * 1000) - 200):
                self.enqueue_sweep()

    def enqueue_sweep(self) -> None:
        """Enqueue the sweep at the front of the queue, unless it is already waiting or running."""
        try:
            if Job.fetch(SWEEP_JOB_ID, connection=self.redis).get_status(refresh=False) in LIVE_STATUSES:
                return
        except NoSuchJobError:
            pass
        self.queue.enqueue(sweep, job_id=SWEEP_JOB_ID, at_front=True, result_ttl=0, failure_ttl=3600,
                           job_timeout=300, description="find participations that lost their job")

    def maintain(self) -> list[int]:
        """Hand free provider slots to waiting participations, and probe paused providers; return who moved."""
        moved: list[int] = []
        for name in PROVIDER_NAMES:
            limit = self.settings.provider_concurrency(name)
            if limit is None:
                continue
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

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; log failures (e.g. Redis away) without dying."""
        failing_since = 0.0
        while not stop.wait(TICK):
            try:
                self.tick()
                failing_since = 0.0
            except Exception:  # noqa: BLE001 - the timer must outlive outages
                if not failing_since or time.monotonic() - failing_since > 60:
                    log.exception("worker timer failed; retrying")
                    failing_since = time.monotonic()


def start_timer(settings: Settings) -> threading.Event:
    """Run a :class:`Timer` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    timer = Timer(settings)
    threading.Thread(target=timer.run, args=(stop,), name="posterbooth-timer", daemon=True).start()
    return stop
