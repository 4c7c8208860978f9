"""Pausing a campaign: stored in the database, mirrored in Redis so every process sees it at once.

Attendee requests read the Redis mirror (one HGET); a missing entry (a flushed or new Redis) is filled
from the database, and when Redis is down the database answers directly.
"""

from __future__ import annotations

import logging

import redis
from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import CampaignControl, utcnow

log = logging.getLogger(__name__)

CONTROLS_KEY = "posterbooth:controls"


def _stored(db: Database, slug: str) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(CampaignControl.paused).where(CampaignControl.campaign == slug)))


def is_paused(db: Database, connection: redis.Redis | None, slug: str) -> bool:
    """Tell whether an operator paused this campaign."""
    if connection is not None:
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
        try:
            connection.hset(CONTROLS_KEY, slug, "1" if paused else "0")
        except redis.exceptions.RedisError:
            log.warning("Redis unavailable: the pause switch of %s is in the database only", slug)
