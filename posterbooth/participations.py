"""Finding participations: by device, by result-page id, by share token."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, select

from posterbooth.db import Database
from posterbooth.models import Participation

log = logging.getLogger(__name__)


# Built once: composing a statement costs more than running it on an indexed column.
_ACTIVE_RESULT = (
    select(Participation.status, Participation.public_id)
    .where(Participation.campaign == bindparam("campaign"), Participation.device_id == bindparam("device"))
    .order_by(Participation.created_at.desc(), Participation.id.desc())
    .limit(1)
)
_PROGRESS_FIELDS = select(
    Participation.id, Participation.status, Participation.provider, Participation.started_at,
    Participation.submitted_at,
).where(Participation.public_id == bindparam("key"))
_BY_PUBLIC_ID = select(Participation).where(Participation.public_id == bindparam("key"))
_BY_SHARE_TOKEN = select(Participation).where(Participation.share_token == bindparam("key"))


def active_result_for_device(db: Database, campaign: str, device_id: str) -> str | None:
    """Return the public id of the device's latest participation if it is queued, running or done."""
    with db.reader.connect() as connection:
        row = connection.execute(_ACTIVE_RESULT, {"campaign": campaign, "device": device_id}).first()
    return row.public_id if row is not None and row.status in {"queued", "running", "done"} else None


def by_public_id(db: Database, public_id: str) -> Participation | None:
    """Return the participation with this result-page id."""
    with db.read() as session:
        return session.scalars(_BY_PUBLIC_ID, {"key": public_id}).first()


def progress_fields(db: Database, public_id: str) -> Any:
    """Return what the waiting page's status needs (id, status, provider, started_at, submitted_at), or None."""
    with db.reader.connect() as connection:
        return connection.execute(_PROGRESS_FIELDS, {"key": public_id}).first()


def by_share_token(db: Database, token: str) -> Participation | None:
    """Return the participation with this share token."""
    with db.read() as session:
        return session.scalars(_BY_SHARE_TOKEN, {"key": token}).first()
