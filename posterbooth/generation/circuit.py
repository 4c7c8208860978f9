"""A circuit breaker per image provider, shared through Redis.

An account or billing error (no credit, service stopped, bad credentials)
*opens* the provider's circuit: no new generation is submitted, every
participation keeps its place in the provider's waiting line, operators see an
ERROR in the logs and the state on ``/readyz``, and attendees see a "very busy,
we are keeping your place" page. After a cool-down the circuit goes
*half-open*: exactly one participation (the probe) may submit. If the probe's
submission is accepted (or refused for its content, which proves the account
works) the circuit *closes* and the line moves again; another account error
opens it for twice as long (up to :data:`MAX_COOLDOWN`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

from posterbooth.generation import keys
from posterbooth.generation.keys import circuit_key, text

log = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
DEFAULT_COOLDOWN = 60.0
MAX_COOLDOWN = 900.0


@dataclass(frozen=True)
class CircuitState:
    """Where a provider's circuit stands."""

    provider: str
    state: str = CLOSED
    #: When the circuit last opened (unix time), 0 when closed.
    since: float = 0.0
    #: When the next probe may run (open), or when the running probe is given up (half-open).
    until: float = 0.0
    #: The provider's error code that opened it (never a message that could carry account details).
    code: str = ""
    cooldown: float = 0.0

    @property
    def closed(self) -> bool:
        """Tell whether generation runs normally."""
        return self.state == CLOSED

    def as_json(self) -> dict[str, object]:
        """Return the state for /readyz."""
        if self.closed:
            return {"state": CLOSED}
        return {
            "state": self.state,
            "since": round(self.since),
            "next_probe_in": max(0, round(self.until - time.time())) if self.state == OPEN else 0,
            "code": self.code,
        }


class Circuit:
    """One provider's circuit breaker."""

    def __init__(self, connection: redis.Redis, provider: str, cooldown: float = DEFAULT_COOLDOWN) -> None:
        self.connection = connection
        self.provider = provider
        self.cooldown = cooldown
        self.key = circuit_key(provider)
        self._trip = connection.register_script(keys.TRIP)
        self._probe_due = connection.register_script(keys.PROBE_DUE)
        self._allows = connection.register_script(keys.ALLOWS)

    def state(self) -> CircuitState:
        """Return the circuit's current state."""
        return read_state(self.connection, self.provider)

    def allows(self, holder: int) -> bool:
        """Tell whether ``holder`` may submit now (half-open: it becomes the probe if there is none)."""
        return bool(self._allows(keys=[self.key], args=[holder]))

    def trip(self, code: str, message: str) -> None:
        """Open the circuit after an account or billing error."""
        before = self._trip(keys=[self.key], args=[time.time(), code, self.cooldown, MAX_COOLDOWN])
        before = before.decode() if isinstance(before, bytes) else before
        now = self.state()
        if before == CLOSED:
            log.error(
                "image provider %s PAUSED: account or billing error %s: %s. New generations wait in line "
                "(attendees keep their place) until the account works again; next check in %ds.",
                self.provider, code, message, round(now.until - time.time()),
            )
        elif before == HALF_OPEN:
            log.error(
                "image provider %s still failing (%s: %s); staying paused, next check in %ds.",
                self.provider, code, message, round(now.until - time.time()),
            )

    def succeed(self) -> bool:
        """Close the circuit after a submission the provider accepted; return True if it was not closed."""
        state = self.connection.hget(self.key, "state")
        if state is None or state == b"closed":
            return False
        if self.connection.delete(self.key):
            log.warning("image provider %s works again: generation resumes", self.provider)
            return True
        return False

    def probe_due(self) -> bool:
        """Go half-open when the cool-down is over; return True if a probe may now run."""
        return bool(self._probe_due(keys=[self.key], args=[time.time()]))


def read_state(connection: redis.Redis, provider: str) -> CircuitState:
    """Return a provider's circuit state (closed when nothing is stored)."""
    raw = {text(k): text(v) for k, v in connection.hgetall(circuit_key(provider)).items()}
    state = raw.get("state", CLOSED)
    if state == CLOSED:
        return CircuitState(provider)
    return CircuitState(
        provider=provider,
        state=state,
        since=float(raw.get("since") or 0),
        until=float(raw.get("until") or 0),
        code=raw.get("code", ""),
        cooldown=float(raw.get("cooldown") or 0),
    )
