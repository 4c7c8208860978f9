"""Caps: each participation takes its place in every limit of its campaign at submit, atomically.

A participation takes one place in each cap its campaign sets (``limits.total``, ``per_day``,
``per_attendee``, ``per_attendee_per_day``) in one Lua script, so that no number of web processes
submitting at once can go over; it gives them back when it is refused before any generation cost (its
answers fail, it was a repeat, or it ends failed/rejected with nothing charged). The counters are a cache
of the database: a missing one (Redis wiped, or expired) is rebuilt from the participations table, which
counts every participation except those that ended ``failed``/``rejected`` with ``cost_milli == 0``.

Redis keys (all start with ``posterbooth:caps:``; ``<c>`` is the campaign slug, ``<day>`` a YYYY-MM-DD
day in the campaign's time zone, ``<a>`` the attendee: ``d:<device id>`` or ``w:<WeChat openid>``):

===========================  =======  ==================================  ==================================
key                          type     what it holds                       lifetime
===========================  =======  ==================================  ==================================
``<c>:total``                counter  places taken in ``limits.total``    no expiry
``<c>:day:<day>``            counter  places taken that day               3 days
``<c>:att:<a>``              counter  the attendee's places               30 days, then rebuilt on next use
``<c>:attday:<day>:<a>``     counter  the attendee's places that day      3 days
===========================  =======  ==================================  ==================================

Budget counters (``posterbooth:spend:*``) use the same script; see :mod:`posterbooth.budget`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import ColumnElement, and_, func, not_, select

from posterbooth.db import Database
from posterbooth.models import Participation, utcnow
from posterbooth.schema import Campaign

log = logging.getLogger(__name__)

PREFIX = "posterbooth:caps:"
DAY_TTL = 3 * 24 * 3600
ATTENDEE_TTL = 30 * 24 * 3600

# KEYS: counters.  ARGV: amount, then one limit per key, then one TTL per key (0: none).  Takes ``amount`` in
# every counter when each stays within its limit.  Returns 0 when taken, i when counter i is full, -i when
# counter i is missing (the caller rebuilds it from the database and tries again).
TAKE = """
local amount, n = tonumber(ARGV[1]), #KEYS
for i = 1, n do
  local value = redis.call('GET', KEYS[i])
  if not value then return -i end
  if tonumber(value) + amount > tonumber(ARGV[1 + i]) then return i end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[i], amount)
  local ttl = tonumber(ARGV[1 + n + i])
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
end
return 0
"""
# KEYS: counters.  ARGV: amount.  Gives ``amount`` back to each counter that still exists (never below 0).
GIVE_BACK = """
for i = 1, #KEYS do
  local value = tonumber(redis.call('GET', KEYS[i]) or '-1')
  if value > 0 then redis.call('DECRBY', KEYS[i], math.min(value, tonumber(ARGV[1]))) end
end
return 1
"""

CapKind = Literal["total", "per_day", "per_attendee", "per_attendee_per_day"]


@dataclass(frozen=True)
class Counter:
    """One Redis counter with its limit, its TTL and how to count it again from the database."""

    key: str
    limit: int
    ttl: int
    kind: str
    recount: Callable[[], int]


class CapReached(Exception):
    """The participation does not fit: ``kind`` says which cap or budget; ``reopens`` when it opens again."""

    def __init__(self, kind: str, reopens: datetime | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.reopens = reopens


class CapsUnavailable(Exception):
    """The counters cannot be reached (Redis is away), so a capped campaign cannot take a participation now."""


def clock() -> datetime:
    """Return the time caps and budgets go by (tests replace it to cross a day boundary)."""
    return utcnow()


def local_day(campaign: Campaign, now: datetime | None = None) -> str:
    """Return the campaign's calendar day (YYYY-MM-DD in its time zone) at ``now``."""
    return (now or clock()).astimezone(ZoneInfo(campaign.timezone)).date().isoformat()


def next_midnight(zone: str, now: datetime | None = None) -> datetime:
    """Return the start of the next calendar day in ``zone``, as an aware datetime in that zone."""
    tz = ZoneInfo(zone)
    today = (now or clock()).astimezone(tz).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)


def attendee_key(device_id: str, openid: str = "") -> str:
    """Return who per-attendee caps count: the WeChat user when known, else the device."""
    return f"w:{openid}" if openid else f"d:{device_id}"


def _counts() -> ColumnElement[bool]:
    """Participations that hold their places: all but those that ended refused with nothing charged."""
    return not_(and_(Participation.status.in_(("failed", "rejected")), Participation.cost_milli == 0))


def _recount(db: Database, *conditions: ColumnElement[bool]) -> Callable[[], int]:
    def count() -> int:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Participation).where(_counts(), *conditions))
                       or 0)
    return count


def counters(db: Database, campaign: Campaign, attendee: str, day: str) -> list[Counter]:
    """Return the counters of the campaign's limits for this attendee on this day."""
    limits, slug = campaign.limits, campaign.slug
    mine = Participation.campaign == slug
    found: list[Counter] = []
    if limits.total is not None:
        found.append(Counter(f"{PREFIX}{slug}:total", limits.total, 0, "total", _recount(db, mine)))
    if limits.per_day is not None:
        found.append(Counter(f"{PREFIX}{slug}:day:{day}", limits.per_day, DAY_TTL, "per_day",
                             _recount(db, mine, Participation.cap_day == day)))
    if limits.per_attendee is not None and attendee:
        found.append(Counter(f"{PREFIX}{slug}:att:{attendee}", limits.per_attendee, ATTENDEE_TTL, "per_attendee",
                             _recount(db, mine, Participation.attendee == attendee)))
    if limits.per_attendee_per_day is not None and attendee:
        found.append(Counter(f"{PREFIX}{slug}:attday:{day}:{attendee}", limits.per_attendee_per_day, DAY_TTL,
                             "per_attendee_per_day",
                             _recount(db, mine, Participation.attendee == attendee, Participation.cap_day == day)))
    return found


def take(conn: redis.Redis, found: Sequence[Counter], amount: int = 1) -> Counter | None:
    """Take ``amount`` in every counter at once; return the first full counter instead (nothing taken)."""
    if not found:
        return None
    keys = [c.key for c in found]
    args = [amount, *[c.limit for c in found], *[c.ttl for c in found]]
    for _ in range(len(found) + 2):
        result = int(conn.eval(TAKE, len(keys), *keys, *args))
        if result == 0:
            return None
        if result > 0:
            return found[result - 1]
        missing = found[-result - 1]
        conn.set(missing.key, missing.recount(), nx=True, ex=missing.ttl or None)
    raise redis.exceptions.RedisError("cap counters kept disappearing while being rebuilt")


def give_back(conn: redis.Redis, found: Sequence[Counter], amount: int = 1) -> None:
    """Give ``amount`` back to every counter."""
    if found:
        conn.eval(GIVE_BACK, len(found), *[c.key for c in found], amount)


def full(conn: redis.Redis, found: Sequence[Counter], amount: int = 1) -> Counter | None:
    """Return the first counter that has no room for ``amount`` more (rebuilding missing ones), or None."""
    for counter in found:
        raw = conn.get(counter.key)
        value = int(raw) if raw is not None else counter.recount()
        if raw is None:
            conn.set(counter.key, value, nx=True, ex=counter.ttl or None)
        if value + amount > counter.limit:
            return counter
    return None


def refusal(campaign: Campaign, counter: Counter, now: datetime | None = None) -> CapReached:
    """Return the refusal for a full counter, with when a daily cap opens again."""
    daily = counter.kind.endswith("per_day")
    return CapReached(counter.kind, next_midnight(campaign.timezone, now) if daily else None)


def check_landing(conn: redis.Redis, db: Database, campaign: Campaign, attendee: str,
                  now: datetime | None = None) -> CapReached | None:
    """Return why a new participation would be refused now (a cap is full), or None."""
    if not campaign.limits.any:
        return None
    counter = full(conn, counters(db, campaign, attendee, local_day(campaign, now)))
    return refusal(campaign, counter, now) if counter is not None else None


def release(conn: redis.Redis, db: Database, campaign: Campaign, participation: Participation) -> None:
    """Give a participation's places back (it ended refused before any generation cost)."""
    if campaign.limits.any and participation.cap_day:
        give_back(conn, counters(db, campaign, participation.attendee, participation.cap_day))


def release_refused(conn: redis.Redis, db: Database, campaign: Campaign | None, participation: Participation) -> None:
    """Give back the places of a participation that ended refused with nothing charged; never raise for Redis."""
    if participation.status in ("failed", "rejected") and participation.cost_milli == 0 and campaign is not None:
        try:
            release(conn, db, campaign, participation)
        except redis.exceptions.RedisError:
            log.warning("participation %s: could not give its cap places back (Redis); the counters are "
                        "rebuilt from the database when they expire", participation.id)
