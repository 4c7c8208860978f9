"""Deleting personal files on time: photos after the campaign's retention, posters after theirs.

:func:`purge_expired` does one pass:

* the uploaded photos of participations older than the campaign's ``privacy.photo_retention_days``
  (7 days by default, also for participations of campaigns no longer loaded) are deleted and the
  participation records it (``inputs`` emptied, ``inputs_deleted_at`` set); photos of a poster still
  being made are kept until it is finished; when the poster shows the photo (``Campaign.shows_photo``)
  the generated picture, poster, share card and thumbnail are deleted with it and the poster is hidden;
* with ``privacy.answers_retention_days`` set, the answers and prompt of older participations are emptied;
* with ``privacy.poster_retention_days`` set, finished posters older than that lose their image,
  poster, share card and thumbnail files (of every "change it" version) and are hidden (``poster_deleted_at`` set);
* uploads no participation refers to (drafts that were never submitted) are deleted after
  :data:`posterbooth.photos.DRAFT_UPLOAD_HOURS`.

It runs hourly as the rq job ``workers.jobs.purge``, which the workers' clock
(:mod:`posterbooth.generation.clock`) enqueues once per hour for the whole cluster, and on demand with
``flask --app app media purge`` (e.g. from cron, where only plain ``rq worker`` processes run).
Running it twice, or in two places at once, is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import ACTIVE_STATUSES, Participation, utcnow
from posterbooth.photos import DRAFT_UPLOAD_HOURS, UPLOADS, delete_media, erase_photos, is_upload_path
from posterbooth.schema import Privacy
from posterbooth.storage import MediaStore
from posterbooth.versions import take_files, version_paths

log = logging.getLogger(__name__)

DEFAULT_PHOTO_DAYS = Privacy().photo_retention_days


@dataclass
class PurgeReport:
    """What one purge deleted."""

    photos: int = 0
    photo_files: int = 0
    posters: int = 0
    poster_files: int = 0
    draft_files: int = 0
    answers: int = 0

    def __str__(self) -> str:
        return (f"photos of {self.photos} participations ({self.photo_files} files), {self.posters} posters "
                f"({self.poster_files} files), {self.draft_files} abandoned uploads, answers of {self.answers} "
                "participations")


def purge_expired(db: Database, media: MediaStore, campaigns: Mapping[str, LoadedCampaign],
                  now: datetime | None = None) -> PurgeReport:
    """Delete the photos and posters whose retention has passed; return what was deleted."""
    now = now or utcnow()
    report = PurgeReport()
    photo_days = {slug: c.definition.privacy.photo_retention_days for slug, c in campaigns.items()
                  if c.definition.photo_questions}
    for slug, days in photo_days.items():
        _purge_photos(db, media, report, now - timedelta(days=days), Participation.campaign == slug,
                      derived=campaigns[slug].definition.shows_photo)
    _purge_photos(db, media, report, now - timedelta(days=DEFAULT_PHOTO_DAYS),
                  Participation.campaign.not_in(list(campaigns)), derived=True)
    for slug, loaded in campaigns.items():
        answer_days = loaded.definition.privacy.answers_retention_days
        if answer_days is not None:
            report.answers += _purge_answers(db, slug, now - timedelta(days=answer_days))
    for slug, loaded in campaigns.items():
        poster_days = loaded.definition.privacy.poster_retention_days
        if poster_days is not None:
            _purge_posters(db, media, report, slug, now - timedelta(days=poster_days))
    report.draft_files = _purge_drafts(db, media, list(photo_days), list(campaigns), now)
    if report.photos or report.posters or report.draft_files or report.answers:
        log.info("retention: deleted %s", report)
    return report


def _purge_answers(db: Database, slug: str, cutoff: datetime) -> int:
    """Empty the answers and prompts of a campaign's finished participations older than the cutoff."""
    with db.session() as session:
        rows = session.scalars(
            select(Participation).where(
                Participation.campaign == slug,
                Participation.status.not_in(ACTIVE_STATUSES),
                Participation.created_at < cutoff,
                Participation.prompt != "",
            )
        ).all()
        for participation in rows:
            participation.answers = {}
            participation.prompt = participation.negative_prompt = ""
            for version in version_paths(session, participation.id):
                version.instruction = ""  # typed by the attendee, like an answer
        return len(rows)


def _purge_photos(db: Database, media: MediaStore, report: PurgeReport, cutoff: datetime, where: object, *,
                  derived: bool) -> None:
    with db.session() as session:
        rows = session.scalars(
            select(Participation).where(
                where,  # type: ignore[arg-type]
                Participation.inputs_deleted_at.is_(None),
                Participation.created_at < cutoff,
                Participation.status.not_in(ACTIVE_STATUSES),
            )
        ).all()
        doomed: list[str] = []
        for participation in rows:
            if not participation.inputs:
                continue
            made = erase_photos(participation, derived=derived)
            doomed.extend(made)
            report.photos += 1
            if participation.poster_deleted_at is not None and participation.hidden and derived:
                report.posters += 1
    # The rows say "deleted" before the files go: a crash in between leaves files the draft sweep removes.
    report.photo_files += delete_media(media, doomed)


def _purge_posters(db: Database, media: MediaStore, report: PurgeReport, slug: str, cutoff: datetime) -> None:
    with db.session() as session:
        rows = session.scalars(
            select(Participation).where(
                Participation.campaign == slug,
                Participation.status == "done",
                Participation.poster_deleted_at.is_(None),
                Participation.created_at < cutoff,
            )
        ).all()
        doomed: list[str] = []
        for participation in rows:
            doomed += [p for p in (participation.image_path, participation.poster_path,
                                   participation.share_card_path) if p]
            doomed += take_files(session, participation.id)  # every "change it" version
            doomed += [str(v) for v in (participation.inputs or {}).values()]
            if participation.inputs:
                participation.inputs = {}
                participation.inputs_deleted_at = utcnow()
            participation.image_path = participation.poster_path = participation.share_card_path = ""
            participation.hidden = True
            participation.poster_deleted_at = utcnow()
            report.posters += 1
    for relative in dict.fromkeys(doomed):
        path = media.path(relative)
        if path is None:
            continue
        report.poster_files += 1
        path.with_name(path.stem + "-thumb.jpg").unlink(missing_ok=True)  # the share page's thumbnail
        path.unlink(missing_ok=True)


def _purge_drafts(db: Database, media: MediaStore, photo_campaigns: list[str], loaded: list[str],
                  now: datetime) -> int:
    """Delete upload files older than the draft limit that no participation refers to."""
    root = media.root / UPLOADS
    if not root.is_dir():
        return 0
    limit = now.timestamp() - DRAFT_UPLOAD_HOURS * 3600
    old = [path for path in root.glob("*/*") if path.is_file() and not path.name.startswith(".")
           and path.stat().st_mtime < limit]
    if not old:
        return 0
    with db.session() as session:
        rows = session.scalars(
            select(Participation.inputs).where(
                Participation.inputs_deleted_at.is_(None),
                Participation.campaign.in_(photo_campaigns) | Participation.campaign.not_in(loaded),
            )
        ).all()
    kept = {str(v) for inputs in rows for v in (inputs or {}).values()}
    count = 0
    for path in old:
        relative = path.relative_to(media.root).as_posix()
        if is_upload_path(relative) and relative not in kept and media.delete(relative):
            count += 1
    return count
