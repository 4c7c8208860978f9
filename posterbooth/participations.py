"""Finding participations: by device, by result-page id, by share token."""

from __future__ import annotations

import logging

from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import Participation

log = logging.getLogger(__name__)


def latest_for_device(db: Database, campaign: str, device_id: str) -> Participation | None:
    """Return the device's most recent participation in a campaign."""
    with db.session() as session:
        return session.scalars(
            select(Participation)
            .where(Participation.campaign == campaign, Participation.device_id == device_id)
            .order_by(Participation.created_at.desc(), Participation.id.desc())
            .limit(1)
        ).first()


def by_public_id(db: Database, public_id: str) -> Participation | None:
    """Return the participation with this result-page id."""
    with db.session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).first()


def by_share_token(db: Database, token: str) -> Participation | None:
    """Return the participation with this share token."""
    with db.session() as session:
        return session.scalars(select(Participation).where(Participation.share_token == token)).first()
