"""A provider account's concurrency, shared by every worker on every machine, kept in Redis.

:class:`Semaphore`: a participation holds a *lease* (a member of the provider's
``leases`` set scored by its expiry time, see :mod:`.keys`) from the moment it may
submit until its result is in. Leases are renewed while the remote job runs and
simply expire when nobody renews them (the worker died and its participation was
never resumed). Participations that find no free slot wait in the provider's
*line*, ordered by participation id, so a participation that backs off and comes
back keeps its place. Releasing a lease hands the free slots straight to the head
of the line. Everything that changes the sets runs as one Lua script, so any number
of workers can use them at once.

:class:`SlotHandoff`: one step's side of that, handing the slots it frees to the
participations waiting, and enqueueing their steps at the right moment.
"""

from __future__ import annotations

import time

import redis
from rq import Queue

from posterbooth.generation import keys
from posterbooth.generation.circuit import CLOSED, Circuit
from posterbooth.generation.keys import POINTER_PREFIX, lease_key, line_key, pointer_key, promotion_mark
from posterbooth.generation.queue import enqueue_step

#: How long a lease lasts without renewal.
LEASE_TTL = 30.0
#: How long a slot handed to a waiting participation is kept for it before its job runs. The sweep does not
#: wait for it when the process that handed the slot is known dead (see sweep.promoter_gone).
PROMOTION_TTL = 60.0

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
        self._acquire = connection.register_script(keys.ACQUIRE)
        self._release = connection.register_script(keys.RELEASE_AND_PROMOTE)
        self._renew = connection.register_script(keys.RENEW_LEASE)

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
                  self.limit if most is None else most, POINTER_PREFIX, promotion_mark(), int(PROMOTION_TTL)],
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


class SlotHandoff:
    """The slots one step gives up, and the waiting participations it hands them to.

    A slot freed while the step still has work to do (the provider said "done" and
    the result is being downloaded) is handed on at once, but the new holders' steps
    are enqueued only when the step calls :meth:`flush`, so they queue behind it.
    """

    def __init__(self, queue: Queue, semaphore: Semaphore | None, circuit: Circuit, holder: int) -> None:
        self.queue = queue
        self.semaphore = semaphore
        self.circuit = circuit
        self.holder = holder
        self._promoted: list[int] = []
        self._hold = False

    def release(self, most: int | None = None) -> None:
        """Give up the holder's slot; hand free slots to the line unless the provider is paused."""
        if self.semaphore is None:
            return
        if most is None and self.circuit.state().state != CLOSED:
            most = 0
        self._promoted.extend(self.semaphore.release(self.holder, most))
        if not self._hold:
            self.flush()

    def release_early(self) -> None:
        """Free the slot now (the remote job is done); enqueue the next holders at :meth:`flush`."""
        self._hold = True
        self.release()

    def hold_back(self) -> None:
        """Enqueue the next holders' steps only at :meth:`flush`, behind the step this one enqueues."""
        self._hold = True

    def flush(self) -> None:
        """Enqueue the steps of the participations handed a slot (at the front: they go next)."""
        promoted, self._promoted, self._hold = self._promoted, [], False
        for waiting in promoted:
            enqueue_step(self.queue, waiting)

    def promote_all(self) -> None:
        """Hand every free slot to the line and enqueue the new holders' steps."""
        if self.semaphore is None:
            return
        for waiting in self.semaphore.promote():
            enqueue_step(self.queue, waiting)

    def leave(self) -> None:
        """Take the finished holder out of the line and its slot, and let the line move on."""
        if self.semaphore is None:
            return
        self.semaphore.leave(self.holder)
        if self.circuit.state().state == CLOSED:
            self.promote_all()

    def park(self) -> None:
        """Wait in the line while the provider is paused, handing no slot on."""
        if self.semaphore is not None:
            self.semaphore.park(self.holder)
            self.release(most=0)
