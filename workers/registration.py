"""rq workers that register again after their Redis lost them (a restart without persistence, a FLUSHALL).

rq registers a worker once, at birth; its heartbeat only refreshes the worker's hash. After Redis comes back
empty the worker keeps taking jobs but ``rq info`` and any monitoring show no workers, for minutes. The clock
of ``python -m workers`` calls :meth:`RegisteringMixin.ensure_registered` on every tick (at most every few
seconds), and every heartbeat does too.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import SimpleWorker, Worker, worker_registration
from rq.utils import now

log = logging.getLogger(__name__)


class RegisteringMixin:
    """Re-register with rq's worker registry when it no longer lists this worker."""

    connection: Any
    key: str
    redis_workers_keys: str
    birth_date: Any
    last_heartbeat: Any
    worker_ttl: int
    _stop_requested: bool

    def ensure_registered(self) -> bool:
        """Register again if Redis no longer knows this worker; return True when it had to."""
        if self.birth_date is None or getattr(self, "_stop_requested", False):
            return False  # not born yet (register_birth will do it) or on its way out
        pipe = self.connection.pipeline(transaction=False)
        pipe.sismember(self.redis_workers_keys, self.key)
        pipe.hexists(self.key, "birth")
        pipe.hexists(self.key, "death")
        listed, described, dead = pipe.execute()
        if (listed and described) or dead:
            return False
        log.warning("worker %s was missing from rq's registry (Redis restarted empty?); registering again",
                    self.key)
        self.last_heartbeat = now()
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())  # type: ignore[attr-defined]
            worker_registration.register(self, pipeline)  # type: ignore[arg-type]
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()
        return True

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """Refresh the worker's hash as rq does, registering again first when the registry lost it."""
        if pipeline is None:
            self.ensure_registered()
        super().heartbeat(timeout, pipeline)  # type: ignore[misc]


class RegisteringWorker(RegisteringMixin, Worker):
    """rq's forking worker that re-registers after a Redis wipe."""


class RegisteringSimpleWorker(RegisteringMixin, SimpleWorker):
    """rq's in-process worker that re-registers after a Redis wipe."""
