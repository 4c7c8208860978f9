"""Each campaign version's definition, kept in the database: a participation's poster is made with the
campaign as it was when the attendee submitted, even after the file changed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import CampaignVersion


def remember(db: Database, loaded: LoadedCampaign) -> None:
    """Store the campaign's definition under its version, unless it is stored already (or has no version)."""
    if not loaded.version:
        return
    with db.read() as session:
        if session.get(CampaignVersion, (loaded.slug, loaded.version)) is not None:
            return
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(CampaignVersion).values(
        campaign=loaded.slug, version=loaded.version, definition=loaded.source
    ).on_conflict_do_nothing()  # two processes may store the same new version at once
    with db.session() as session:
        session.execute(statement)


def stored_definition(db: Database, slug: str, version: str) -> str | None:
    """Return the campaign.yaml text of a stored campaign version, or None when it is not stored."""
    with db.read() as session:
        return session.scalars(
            select(CampaignVersion.definition).where(CampaignVersion.campaign == slug,
                                                     CampaignVersion.version == version)
        ).first()
