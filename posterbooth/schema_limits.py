"""The campaign fields that bound it: how many posters (limits), what they may cost (budget), who counts."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The time zone of a campaign's calendar days when it names none (Posterbooth's events are mostly in China).
DEFAULT_TIMEZONE = "Asia/Shanghai"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Model):
    """How many posters the campaign makes; empty = no limit."""

    total: int | None = Field(None, ge=1, description="Posters for the whole campaign.")
    per_day: int | None = Field(None, ge=1, description="Posters per calendar day, in the campaign's timezone.")
    per_attendee: int | None = Field(
        None, ge=1, description="Posters per attendee (device, or WeChat user when identity is wechat).")
    per_attendee_per_day: int | None = Field(None, ge=1, description="Posters per attendee per calendar day.")

    @model_validator(mode="after")
    def _consistent(self) -> Limits:
        pairs = (("per_day", "total"), ("per_attendee", "total"), ("per_attendee_per_day", "per_attendee"),
                 ("per_attendee_per_day", "per_day"))
        for small, large in pairs:
            low, high = getattr(self, small), getattr(self, large)
            if low is not None and high is not None and low > high:
                raise ValueError(f"limits.{small} ({low}) cannot be larger than limits.{large} ({high})")
        return self

    @property
    def any(self) -> bool:
        """Return True when any limit is set."""
        return any(v is not None for v in (self.total, self.per_day, self.per_attendee, self.per_attendee_per_day))


class Budget(_Model):
    """What the campaign's provider jobs may cost, in the currency of the price table; empty = no budget."""

    per_day: float | None = Field(None, gt=0, description="Most spent per calendar day (campaign's timezone).")
    total: float | None = Field(None, gt=0, description="Most spent over the whole campaign.")

    @model_validator(mode="after")
    def _consistent(self) -> Budget:
        if self.per_day is not None and self.total is not None and self.per_day > self.total:
            raise ValueError(f"budget.per_day ({self.per_day:g}) cannot be larger than budget.total ({self.total:g})")
        return self

    @property
    def any(self) -> bool:
        """Return True when a budget is set."""
        return self.per_day is not None or self.total is not None


def check_timezone(value: str) -> str:
    """Return the IANA time zone name if zoneinfo knows it; raise ValueError otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai or UTC)") from None
    return value
