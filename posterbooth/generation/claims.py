"""One execution's exclusive hold on a participation, renewed in the background, gone soon after a crash."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import redis

from posterbooth.generation import keys

log = logging.getLogger(__name__)

#: How long a participation stays claimed by an execution that stopped renewing its claim.
CLAIM_TTL = 6.0
CLAIM_RENEW_EVERY = 1.5


class Claim:
    """One execution's exclusive hold on a participation, renewed in the background, gone soon after a crash.

    Used as a context manager after :meth:`acquire`: a daemon thread renews the
    claim every :data:`CLAIM_RENEW_EVERY` seconds (and runs the ``also``
    callbacks, e.g. renewing a provider lease during a long synchronous call).
    A SIGKILLed worker stops renewing, so the sweeper knows within
    :data:`CLAIM_TTL` seconds that the participation needs a new job.
    """

    def __init__(self, connection: redis.Redis, participation_id: int, ttl: float = CLAIM_TTL) -> None:
        self.connection = connection
        self.key = keys.claim_key(participation_id)
        self.ttl_ms = int(ttl * 1000)
        self.token = f"{uuid.uuid4().hex}"
        self.also: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renew = connection.register_script(keys.RENEW_CLAIM)
        self._release = connection.register_script(keys.RELEASE_CLAIM)

    def acquire(self) -> bool:
        """Claim the participation; return False if another live execution holds it."""
        return bool(self.connection.set(self.key, self.token, px=self.ttl_ms, nx=True))

    def owned(self) -> bool:
        """Tell whether this execution still holds the claim."""
        return self.connection.get(self.key) == self.token.encode()

    def release(self) -> None:
        """Give the claim up (only if it is still this execution's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._release(keys=[self.key], args=[self.token])

    def _beat(self) -> None:
        while not self._stop.wait(CLAIM_RENEW_EVERY):
            try:
                self._renew(keys=[self.key], args=[self.token, self.ttl_ms])
                for renew in self.also:
                    renew()
            except redis.exceptions.RedisError:
                log.warning("could not renew claim %s", self.key, exc_info=True)

    def __enter__(self) -> Claim:
        self._thread = threading.Thread(target=self._beat, name=f"claim-{self.key}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
