"""Taking a poster down: its files move out of the public media tree (so their URLs answer 404) and back.

A hidden poster's image, poster and share card live under ``removed/`` (never served); its thumbnail is
deleted (it is made again on first use after a restore). The participation's paths follow the files, so
the retention purge still deletes them when the campaign's storage period ends.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import Participation
from posterbooth.versions import version_paths

REMOVED = "removed"
_FILES = ("image_path", "poster_path", "share_card_path")


def _move(root: Path, relative: str, target_relative: str) -> bool:
    source = (root / relative).resolve()
    target = (root / target_relative).resolve()
    if root.resolve() not in source.parents or root.resolve() not in target.parents or not source.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    return True


def hide(db: Database, media_root: Path, share_token: str) -> Participation | None:
    """Hide a participation's poster and move its files out of reach; None if there is no such poster."""
    with db.session() as session:
        participation = session.scalar(select(Participation).where(Participation.share_token == share_token[:40]))
        if participation is None:
            return None
        anchor = participation.share_card_path or participation.image_path
        if anchor:
            thumb = (media_root / anchor).with_name(Path(anchor).stem + "-thumb.jpg")
            if media_root.resolve() in thumb.resolve().parents:
                thumb.unlink(missing_ok=True)
        for row in (participation, *version_paths(session, participation.id)):  # every "change it" version
            for name in _FILES:
                relative = getattr(row, name)
                if relative and not relative.startswith(REMOVED + "/"):
                    moved = f"{REMOVED}/{relative}"
                    if _move(media_root, relative, moved) or (media_root / moved).is_file():
                        setattr(row, name, moved)
        participation.hidden = True
        return participation


def can_restore(media_root: Path, participation: Participation) -> bool:
    """Tell whether a hidden poster can come back: the retention job has not deleted its files."""
    if not participation.hidden or participation.poster_deleted_at is not None or not participation.poster_path:
        return False
    return all((media_root / getattr(participation, name)).is_file()
               for name in _FILES if getattr(participation, name))


def restore(db: Database, media_root: Path, share_token: str) -> Participation | None:
    """Show a hidden poster again, moving its files back; None if it cannot be restored."""
    with db.session() as session:
        participation = session.scalar(select(Participation).where(Participation.share_token == share_token[:40]))
        if participation is None or not can_restore(media_root, participation):
            return None
        for row in (participation, *version_paths(session, participation.id)):
            for name in _FILES:
                relative = getattr(row, name)
                if relative.startswith(REMOVED + "/"):
                    original = relative[len(REMOVED) + 1:]
                    if _move(media_root, relative, original) or (media_root / original).is_file():
                        setattr(row, name, original)
        participation.hidden = False
        return participation
