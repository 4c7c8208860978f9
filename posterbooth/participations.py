"""Recording participations: from checked answers to a queued row, exactly once per submission."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from posterbooth.answers import check_answers
from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import Participation, utcnow
from posterbooth.outcome import choose_outcome
from posterbooth.prompt import compose_prompt
from posterbooth.queue import PROMOTED, enqueue_step, job_id_for, pointer_key

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
    existing = _by_submission_key(db, submission_key)
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
        existing = _by_submission_key(db, submission_key)
        if existing is None:
            raise  # not a double tap: a real integrity problem
        return existing, False


def _by_submission_key(db: Database, key: str) -> Participation | None:
    with db.session() as session:
        return session.scalars(select(Participation).where(Participation.submission_key == key)).first()


def latest_for_device(db: Database, campaign: str, device_id: str) -> Participation | None:
    """Return the device's most recent participation in a campaign."""
    with db.session() as session:
        return session.scalars(
            select(Participation)
            .where(Participation.campaign == campaign, Participation.device_id == device_id)
            .order_by(Participation.created_at.desc(), Participation.id.desc())
            .limit(1)
        ).first()


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


def requeue_orphans(db: Database, queue: Queue, older_than: timedelta = timedelta(seconds=10)) -> int:
    """Give a new job to each unfinished participation that has none; return how many got one.

    A participation needs none while an execution holds its claim, while it
    waits in its provider's line (a finishing participation hands it a slot),
    and while its current job is queued or scheduled. Otherwise its job was lost
    (Redis was down, or the rq job failed) or its worker died: a ``started`` job
    whose claim has expired belongs to a dead worker. The new job resumes from
    what the database holds (e.g. the recorded provider job id).
    """
    from rq.job import Job

    from workers.limits import CLAIM_TTL, claim_key, line_key

    cutoff = utcnow() - older_than
    with db.session() as session:
        rows = list(session.execute(
            select(Participation.id, Participation.provider).where(
                Participation.status.in_(("queued", "running")),
                Participation.created_at < cutoff,
            )
        ))
    if not rows:
        return 0
    connection = queue.connection
    pipe = connection.pipeline(transaction=False)
    for participation_id, provider in rows:
        pipe.exists(claim_key(participation_id))
        pipe.zscore(line_key(provider), str(participation_id))
        pipe.get(pointer_key(participation_id))
    answers = pipe.execute()
    candidates: list[tuple[int, str]] = []
    for index, (participation_id, _provider) in enumerate(rows):
        claimed, in_line, pointer = answers[3 * index: 3 * index + 3]
        if claimed or in_line is not None or pointer == PROMOTED.encode():
            continue  # a step runs, or it waits in line, or it was just handed a slot
        candidates.append((participation_id, pointer.decode() if pointer else job_id_for(participation_id)))
    pipe = connection.pipeline(transaction=False)
    for _participation_id, job_id in candidates:
        pipe.hmget(Job.key_for(job_id), "status", "started_at")
    statuses = pipe.execute()
    now = utcnow()
    count = 0
    for (participation_id, job_id), (status, started_at) in zip(candidates, statuses, strict=True):
        status = status.decode() if status else None
        if status in {"queued", "scheduled", "deferred"}:
            continue
        if status == "started" and started_at:
            began = datetime.fromisoformat(started_at.decode().replace("Z", "+00:00"))
            if began.tzinfo is None:
                began = began.replace(tzinfo=UTC)
            if (now - began).total_seconds() < CLAIM_TTL:
                continue  # just started; its claim may not be taken yet
        if not _still_orphaned(db, connection, participation_id, job_id):
            continue
        log.warning("participation %s has no live job (its job %s is %s); giving it a new one",
                    participation_id, job_id, status or "gone")
        enqueue_step(queue, participation_id)
        count += 1
    if count:
        log.warning("re-enqueued %d participations that had no live job", count)
    return count


def _still_orphaned(db: Database, connection: redis.Redis, participation_id: int, job_id: str) -> bool:
    """Check again, just before acting, that the participation is unfinished and its job unchanged."""
    from workers.limits import claim_key

    current = connection.get(pointer_key(participation_id))
    if (current.decode() if current else job_id_for(participation_id)) != job_id:
        return False
    if connection.exists(claim_key(participation_id)):
        return False
    with db.session() as session:
        status = session.scalar(select(Participation.status).where(Participation.id == participation_id))
    return status in ("queued", "running")
