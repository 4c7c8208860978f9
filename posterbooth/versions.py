"""Poster versions: an attendee's "change it" edits of a finished poster, and their choice among the versions.

A campaign with ``edits: N`` (its first image from ``SubmitHunyuanImageChatJob``) offers, on the result page,
a short instruction ("one more try: what would you change?"). The instruction is cleaned and checked like a
typed answer (:func:`check_instruction`); :func:`request_edit` records a new :class:`PosterVersion` (and, on the
first edit, version 1 from the participation itself), and the web enqueues the participation's next step:
the worker's :mod:`posterbooth.generation.edits` step continues the chosen version's Hunyuan conversation
(its ChatId) through the same slots, retries and circuit as a first poster, and composes the new version's
poster. A finished edit becomes the chosen version; :func:`choose` goes back to any earlier one.

The participation's ``image_path``, ``poster_path``, ``share_card_path`` and ``chat_id`` are always the
chosen version's, so the share page, its card and thumbnail and the event wall show the attendee's choice.
Every version's files are personal-data-like media of the participation: :func:`take_files` hands them all
to deletion (retention, a deleted photo) and :func:`version_paths` to the console's take-down.

The participation stays ``done`` while an edit is made: the edit's own generation state (job id, retries,
status) lives on its version row.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from posterbooth.answers import AnswerError, clean_text, find_blocked
from posterbooth.db import Database
from posterbooth.models import ACTIVE_STATUSES, Participation, PosterVersion, utcnow
from posterbooth.schema import Campaign

#: Longest instruction, in characters (a typed answer's rules: cleaned, capped, blocklisted).
EDIT_MAX_LENGTH = 60
#: The price table's action for an edit's provider job (``PRICE_TABLE``: ``{"hunyuan": {"edit": 0.15}}``).
EDIT_ACTION = "edit"
#: Providers that can continue a picture: Hunyuan's chat jobs, and the offline rehearsal of them.
EDIT_PROVIDERS = ("hunyuan", "offline")
_PATHS = ("image_path", "poster_path", "share_card_path")


class EditRefused(Exception):
    """An edit cannot be made now; ``code`` picks the attendee's message (busy, used_up, unavailable)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def can_edit(campaign: Campaign, participation: Participation) -> bool:
    """Tell whether the campaign offers edits of this participation's poster (its provider can continue it)."""
    if not campaign.edits or participation.status != "done" or participation.hidden:
        return False
    if participation.provider not in EDIT_PROVIDERS:
        return False
    return participation.provider == "offline" or bool(participation.chat_id)


def check_instruction(campaign: Campaign, raw: str, blocklist: Iterable[str] = ()) -> str:
    """Return the cleaned instruction; raise AnswerError (missing, too_long, blocked) like a typed answer."""
    if len(raw) > EDIT_MAX_LENGTH * 4:
        raise AnswerError("too_long", "edit", {"max": EDIT_MAX_LENGTH})
    text = clean_text(raw)
    if not text:
        raise AnswerError("missing", "edit")
    if len(text) > EDIT_MAX_LENGTH:
        raise AnswerError("too_long", "edit", {"max": EDIT_MAX_LENGTH})
    if find_blocked(text, [*campaign.prompt.blocklist, *blocklist]):
        raise AnswerError("blocked", "edit")
    return text


def versions(db: Database, participation_id: int) -> list[PosterVersion]:
    """Return a participation's versions, oldest first (empty when it was never edited)."""
    with db.read() as session:
        return list(session.scalars(select(PosterVersion).where(PosterVersion.participation_id == participation_id)
                                    .order_by(PosterVersion.number)))


def pending(db: Database, participation_id: int) -> PosterVersion | None:
    """Return the edit being made for a participation, if there is one."""
    with db.read() as session:
        return session.scalars(select(PosterVersion).where(
            PosterVersion.participation_id == participation_id,
            PosterVersion.status.in_(ACTIVE_STATUSES)).limit(1)).first()


def edits_used(found: Iterable[PosterVersion]) -> int:
    """Count the edits that count against the campaign's cap: made or being made (refused or failed ones do not)."""
    return sum(1 for v in found if v.number > 1 and v.status in ("done", *ACTIVE_STATUSES))


def request_edit(db: Database, campaign: Campaign, participation_id: int, instruction: str) -> PosterVersion:
    """Record a new version to make from the chosen one with ``instruction``; raise EditRefused when it cannot be."""
    with db.session() as session:
        participation = session.get(Participation, participation_id, with_for_update=True)
        if participation is None or not can_edit(campaign, participation):
            raise EditRefused("unavailable")
        found = list(session.scalars(select(PosterVersion).where(
            PosterVersion.participation_id == participation_id).order_by(PosterVersion.number)))
        if any(v.status in ACTIVE_STATUSES for v in found):
            raise EditRefused("busy")
        if edits_used(found) >= campaign.edits:
            raise EditRefused("used_up")
        if not found:
            first = PosterVersion(participation_id=participation_id, number=1, status="done",
                                  chat_id=participation.chat_id, provider_model=participation.provider_model,
                                  created_at=participation.finished_at or utcnow(),
                                  finished_at=participation.finished_at,
                                  **{name: getattr(participation, name) for name in _PATHS})
            session.add(first)
            found.append(first)
        version = PosterVersion(participation_id=participation_id, number=found[-1].number + 1,
                                instruction=instruction, parent=participation.chosen_version, status="queued")
        session.add(version)
        session.flush()
        session.expunge(version)
        return version


def choose(db: Database, participation_id: int, number: int) -> bool:
    """Make a finished version the participation's poster (share page, card, wall); False when it cannot be."""
    with db.session() as session:
        participation = session.get(Participation, participation_id, with_for_update=True)
        version = session.scalars(select(PosterVersion).where(
            PosterVersion.participation_id == participation_id, PosterVersion.number == number)).first()
        if participation is None or version is None or participation.hidden:
            return False
        if version.status != "done" or not version.poster_path:
            return False
        select_version(participation, version)
        return True


def select_version(participation: Participation, version: PosterVersion) -> None:
    """Point the participation at a version's files and conversation turn (in the caller's transaction)."""
    for name in _PATHS:
        setattr(participation, name, getattr(version, name))
    participation.chat_id = version.chat_id
    participation.chosen_version = version.number


def conversation(db: Database, participation: Participation, version: PosterVersion) -> tuple[str, tuple[str, ...]]:
    """Return the ChatId an edit continues (its parent version's) and the prompts before it, oldest first."""
    with db.read() as session:
        rows = {v.number: v for v in session.scalars(select(PosterVersion).where(
            PosterVersion.participation_id == participation.id))}
    chain: list[str] = []
    number = version.parent
    chat_id = rows[number].chat_id if number in rows else participation.chat_id
    while number in rows and number > 1:
        chain.append(rows[number].instruction)
        number = rows[number].parent
    return chat_id, (participation.prompt, *reversed(chain))


def unfinished_edit() -> ColumnElement[bool]:
    """Return the condition on participations that have an edit being made (for the sweep)."""
    return Participation.id.in_(select(PosterVersion.participation_id).where(
        PosterVersion.status.in_(ACTIVE_STATUSES)))


def version_paths(session: Session, participation_id: int) -> list[PosterVersion]:
    """Return a participation's version rows in the caller's session (to move or delete their files)."""
    return list(session.scalars(select(PosterVersion).where(PosterVersion.participation_id == participation_id)))


def take_files(session: Session, participation_id: int) -> list[str]:
    """Empty every version's file paths (in the caller's transaction); return the files to delete after it."""
    doomed: list[str] = []
    for version in version_paths(session, participation_id):
        doomed += [getattr(version, name) for name in _PATHS if getattr(version, name)]
        for name in _PATHS:
            setattr(version, name, "")
    return doomed

