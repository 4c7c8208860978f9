"""The event wall: which posters are on a campaign's venue screen, its secret key, and the approval queue.

With ``wall.moderation: auto`` every finished poster that is not hidden is on the wall, newest first. With
``approve`` only those an admin approved are, in the order they were approved. A poster that is hidden (taken
down, past its retention, or deleted with the attendee's photo) leaves the wall whatever its approval says.
The wall's pages and feed are keyed by :func:`wall_key`: an HMAC of the slug with SECRET_KEY, so the key is
never stored and every web process (and the command line) derives the same one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image
from sqlalchemy import bindparam, func, select

from posterbooth.aigc import AigcRecord, read_aigc
from posterbooth.db import Database
from posterbooth.models import Participation, utcnow
from posterbooth.poster import encode_jpeg

#: Posters the feed sends at most (the newest): the screen shows about a dozen and rotates through the rest.
FEED_SIZE = 48
APPROVED = "approved"
REJECTED = "rejected"
DECISIONS = {"approve": APPROVED, "reject": REJECTED}


def wall_key(secret_key: str, slug: str) -> str:
    """Return the wall's secret key for a campaign: 192 bits of HMAC-SHA256(SECRET_KEY, slug), URL-safe."""
    digest = hmac.new(secret_key.encode(), f"posterbooth-wall\0{slug}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def key_matches(secret_key: str, slug: str, given: str | None) -> bool:
    """Tell, in constant time, whether ``given`` is the campaign's wall key."""
    return hmac.compare_digest(wall_key(secret_key, slug).encode(), (given or "")[:64].encode())


@dataclass(frozen=True)
class WallPoster:
    """A poster on the wall: its public content id (never the private result-page id) and its file."""

    content_id: str
    poster_path: str


_ON_WALL = (Participation.campaign == bindparam("campaign")) & (Participation.status == "done") & (
    Participation.hidden.is_(False)) & (Participation.poster_path != "")
# Built once: the feed runs every two seconds on each screen.
_AUTO = (select(Participation.content_id, Participation.poster_path).where(_ON_WALL)
         .order_by(Participation.finished_at.desc(), Participation.id.desc()).limit(bindparam("limit")))
_APPROVED = (select(Participation.content_id, Participation.poster_path)
             .where(_ON_WALL, Participation.wall_status == APPROVED)
             .order_by(Participation.wall_decided_at.desc(), Participation.id.desc()).limit(bindparam("limit")))
_MADE = select(func.count(Participation.id)).where(Participation.campaign == bindparam("campaign"),
                                                   Participation.status == "done")
_ONE = select(Participation.content_id, Participation.poster_path, Participation.wall_status).where(
    _ON_WALL, Participation.content_id == bindparam("content_id"))


def wall_posters(db: Database, slug: str, moderation: str, limit: int = FEED_SIZE) -> list[WallPoster]:
    """Return the posters on the campaign's wall, newest (or most recently approved) first."""
    query = _APPROVED if moderation == "approve" else _AUTO
    with db.reader.connect() as connection:
        rows = connection.execute(query, {"campaign": slug, "limit": limit}).all()
    return [WallPoster(row.content_id, row.poster_path) for row in rows]


def posters_made(db: Database, slug: str) -> int:
    """Return how many posters the campaign has made (the wall's counter; taking one down does not lower it)."""
    with db.reader.connect() as connection:
        return int(connection.execute(_MADE, {"campaign": slug}).scalar() or 0)


def on_wall(db: Database, slug: str, moderation: str, content_id: str) -> WallPoster | None:
    """Return the poster with this content id if it may be on the campaign's wall, else None."""
    if not content_id:
        return None
    with db.reader.connect() as connection:
        row = connection.execute(_ONE, {"campaign": slug, "content_id": content_id[:40]}).first()
    if row is None or (moderation == "approve" and row.wall_status != APPROVED):
        return None
    return WallPoster(row.content_id, row.poster_path)


@dataclass(frozen=True)
class QueueItem:
    """A finished poster on the console's wall queue."""

    share_token: str
    outcome: str
    channel: str
    finished_at: datetime | None
    wall_status: str
    wall_decided_at: datetime | None


def _item(row: Participation) -> QueueItem:
    return QueueItem(row.share_token, row.outcome, row.channel, row.finished_at, row.wall_status,
                     row.wall_decided_at)


def queue(db: Database, slug: str, status: str = "", limit: int = 60) -> list[QueueItem]:
    """Return the campaign's visible finished posters with this wall status ("" = waiting), newest first."""
    order = (Participation.finished_at.desc() if status == "" else Participation.wall_decided_at.desc())
    query = (select(Participation).where(Participation.campaign == slug, Participation.status == "done",
                                         Participation.hidden.is_(False), Participation.poster_path != "",
                                         Participation.wall_status == status)
             .order_by(order, Participation.id.desc()).limit(limit))
    with db.read() as session:
        return [_item(row) for row in session.scalars(query)]


def queue_counts(db: Database, slug: str) -> dict[str, int]:
    """Return how many visible finished posters wait, are approved and are rejected."""
    query = (select(Participation.wall_status, func.count(Participation.id))
             .where(Participation.campaign == slug, Participation.status == "done",
                    Participation.hidden.is_(False), Participation.poster_path != "")
             .group_by(Participation.wall_status))
    with db.reader.connect() as connection:
        found = {str(status): int(count) for status, count in connection.execute(query).all()}
    return {"waiting": found.get("", 0), APPROVED: found.get(APPROVED, 0), REJECTED: found.get(REJECTED, 0)}


def decide(db: Database, slug: str, share_token: str, decision: str) -> Participation | None:
    """Approve or reject a finished poster of the campaign for its wall; None if there is no such poster."""
    status = DECISIONS[decision]
    with db.session() as session:
        participation = session.scalar(select(Participation).where(
            Participation.share_token == share_token[:40], Participation.campaign == slug,
            Participation.status == "done"))
        if participation is None:
            return None
        participation.wall_status = status
        participation.wall_decided_at = utcnow()
        return participation


#: Width of the wall's copies of posters: sharp on the largest tile of a 1080p screen, light on venue Wi-Fi.
SCREEN_WIDTH = 720


def screen_copy(data: bytes, width: int = SCREEN_WIDTH) -> bytes:
    """Return a poster JPEG scaled down to ``width`` for the wall, keeping its AIGC label and metadata."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    found = read_aigc(data) or {}
    record = AigcRecord(
        produce_id=str(found.get("ProduceID", "")), producer=str(found.get("ContentProducer", "Posterbooth")),
        propagator=str(found.get("ContentPropagator", "")), propagate_id=str(found.get("PropagateID", "")),
        reserved_code1=str(found.get("ReservedCode1", "")), reserved_code2=str(found.get("ReservedCode2", "")),
    )
    return encode_jpeg(image, record)
