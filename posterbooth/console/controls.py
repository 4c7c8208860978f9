"""Pausing a campaign: stored in the database, mirrored in Redis so that every process sees it within a second.

Attendee requests read the Redis mirror at most once a second per process and campaign (a Redis round trip
on every page would add latency under load); the process that flips the switch sees it at once. A missing
entry (a flushed or new Redis) is filled from the database, and when Redis is down the database answers.
"""

from __future__ import annotations

import logging
import time
import weakref

import redis
from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import CampaignControl, utcnow

log = logging.getLogger(__name__)

CONTROLS_KEY = "posterbooth:controls"
#: How long a process trusts what it last read (seconds).
CACHE_SECONDS = 1.0
#: What each Redis client (so each app) last read: slug → (trusted until, paused).
_seen: weakref.WeakKeyDictionary[redis.Redis, dict[str, tuple[float, bool]]] = weakref.WeakKeyDictionary()


def _stored(db: Database, slug: str) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(CampaignControl.paused).where(CampaignControl.campaign == slug)))


def is_paused(db: Database, connection: redis.Redis | None, slug: str) -> bool:
    """Tell whether an operator paused this campaign (read at most once a second per process)."""
    if connection is None:
        return _stored(db, slug)
    known = _seen.setdefault(connection, {})
    seen = known.get(slug)
    now = time.monotonic()
    if seen is not None and now < seen[0]:
        return seen[1]
    paused = _read(db, connection, slug)
    known[slug] = (now + CACHE_SECONDS, paused)
    return paused


def _read(db: Database, connection: redis.Redis, slug: str) -> bool:
    try:
        value = connection.hget(CONTROLS_KEY, slug)
        if value is not None:
            return value == b"1"
        paused = _stored(db, slug)
        connection.hsetnx(CONTROLS_KEY, slug, "1" if paused else "0")
        return paused
    except redis.exceptions.RedisError:
        log.warning("Redis unavailable: reading the pause switch of %s from the database", slug)
    return _stored(db, slug)


def set_paused(db: Database, connection: redis.Redis | None, slug: str, paused: bool, operator: str) -> None:
    """Pause or resume a campaign, in the database first, then in the Redis mirror."""
    with db.session() as session:
        control = session.get(CampaignControl, slug)
        if control is None:
            control = CampaignControl(campaign=slug)
            session.add(control)
        control.paused = paused
        control.changed_at = utcnow()
        control.changed_by = operator[:64]
    if connection is not None:
        _seen.setdefault(connection, {})[slug] = (time.monotonic() + CACHE_SECONDS, paused)
        try:
            connection.hset(CONTROLS_KEY, slug, "1" if paused else "0")
        except redis.exceptions.RedisError:
            log.warning("Redis unavailable: the pause switch of %s is in the database only", slug)
