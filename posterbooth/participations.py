"""Recording participations: from checked answers to a queued row, exactly once per submission."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from rq import Queue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from posterbooth.answers import check_answers
from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import Participation, utcnow
from posterbooth.outcome import choose_outcome
from posterbooth.prompt import compose_prompt
from posterbooth.queue import enqueue_generation, job_id_for

log = logging.getLogger(__name__)


def create_participation(
    db: Database,
    loaded: LoadedCampaign,
    *,
    answers: Mapping[str, Any],
    style_id: str | None,
    device_id: str,
    submission_key: str,
    default_provider: str,
    blocklist: Iterable[str] = (),
    referral_code: str = "",
    channel: str = "",
    base_url: str = "",
) -> tuple[Participation, bool]:
    """Check the answers, compose the prompt and record a queued participation; return it and whether it is new."""
    campaign = loaded.definition
    with db.session() as session:
        existing = session.scalars(
            select(Participation).where(Participation.submission_key == submission_key)
        ).first()
        if existing is not None:
            return existing, False
    final = check_answers(campaign, answers, [*campaign.prompt.blocklist, *blocklist])
    style = campaign.style(style_id) or (campaign.styles[0] if campaign.styles else None)
    outcome = choose_outcome(campaign, final)
    prompt = compose_prompt(campaign, final, outcome, style)
    participation = Participation(
        submission_key=submission_key,
        campaign=campaign.slug,
        device_id=device_id,
        locale=campaign.locale,
        answers=final,
        outcome=outcome.id,
        style=style.id if style else "",
        prompt=prompt,
        negative_prompt=campaign.prompt.negative,
        seed=secrets.randbelow(2**31 - 1),
        provider=campaign.generation.provider or default_provider,
        channel=channel[:40],
        base_url=base_url[:200],
    )
    try:
        with db.session() as session:
            if referral_code:
                participation.referrer_id = session.scalars(
                    select(Participation.id).where(
                        Participation.referral_code == referral_code, Participation.campaign == campaign.slug
                    )
                ).first()
            session.add(participation)
        return participation, True
    except IntegrityError:
        # A second tap on submit raced the first: both carry the same submission key.
        with db.session() as session:
            existing = session.scalars(
                select(Participation).where(Participation.submission_key == submission_key)
            ).one()
            return existing, False


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


def requeue_orphans(db: Database, queue: Queue, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Enqueue unfinished participations whose job is gone (Redis was down, or a worker died)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    cutoff = utcnow() - older_than
    with db.session() as session:
        ids = list(session.scalars(
            select(Participation.id).where(
                Participation.status.in_(("queued", "running")),
                Participation.provider_job_id == "",
                Participation.created_at < cutoff,
            )
        ))
    count = 0
    for participation_id in ids:
        try:
            job = Job.fetch(job_id_for(participation_id), connection=queue.connection)
            if job.get_status(refresh=False) in {"queued", "started", "scheduled", "deferred"}:
                continue
        except NoSuchJobError:
            pass
        enqueue_generation(queue, participation_id)
        count += 1
    if count:
        log.warning("re-enqueued %d participations that had no live job", count)
    return count
