"""What a generation step decided should happen next; :meth:`engine.Step.apply` carries it out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Later:
    """Run the participation's next step after ``delay`` seconds (a running remote job keeps its slot)."""

    delay: float
    outcome: str = "retrying"
    #: Give the provider slot up first (the remote job ended; the next step submits again).
    release_slot: bool = False


@dataclass(frozen=True)
class NextStep:
    """Run the next step at once, queued behind the participations this step hands its slot to."""

    outcome: str = "generated"


@dataclass(frozen=True)
class Finished:
    """The participation ended: done, failed or rejected, with what to record."""

    status: str
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitForSlot:
    """Every slot of the provider account is taken: wait in its line (a finishing participation hands one on)."""


@dataclass(frozen=True)
class Parked:
    """The provider is paused (its circuit is open): wait in its line without a job until it works again."""


@dataclass(frozen=True)
class Stop:
    """Nothing for this execution to do (it lost its claim, or the participation is gone or finished)."""

    outcome: str


Decision = Later | NextStep | Finished | WaitForSlot | Parked | Stop
