"""Read a provider's waiting line, leases and circuit from Redis in one round trip, for the console's health panel.

The keys are the generation engine's (:mod:`posterbooth.generation.keys`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import redis

from posterbooth.generation.keys import circuit_key, lease_key, line_key


@dataclass(frozen=True)
class ProviderState:
    """A provider's line, slots in use and circuit, as the console shows them."""

    provider: str
    waiting: int = 0
    in_flight: int = 0
    circuit: str = "closed"
    next_probe_in: int = 0
    code: str = ""
    #: False when Redis could not be read (the panel then says "unknown").
    known: bool = True

    def as_json(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return asdict(self)


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def provider_state(connection: redis.Redis | None, provider: str, now: float | None = None) -> ProviderState:
    """Return the provider's waiting line length, live leases and circuit state (unknown if Redis is down)."""
    if connection is None:
        return ProviderState(provider, known=False)
    now = time.time() if now is None else now
    try:
        pipe = connection.pipeline(transaction=False)
        pipe.zcard(line_key(provider))
        pipe.zcount(lease_key(provider), now, "+inf")
        pipe.hgetall(circuit_key(provider))
        waiting, leases, circuit = pipe.execute()
    except redis.exceptions.RedisError:
        return ProviderState(provider, known=False)
    fields = {_text(k): _text(v) for k, v in (circuit or {}).items()}
    state = fields.get("state") or "closed"
    try:
        until = float(fields.get("until") or 0)
    except ValueError:
        until = 0.0
    return ProviderState(
        provider, waiting=int(waiting), in_flight=int(leases), circuit=state,
        next_probe_in=max(0, round(until - now)) if state == "open" else 0,
        code=fields.get("code", "") if state != "closed" else "",
    )
