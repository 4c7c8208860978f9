"""Submitting: from a finished draft to a recorded participation and its queued generation, exactly once."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from posterbooth.answers import check_answers
from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.generation.queue import enqueue_generation
from posterbooth.models import Participation
from posterbooth.outcome import choose_outcome
from posterbooth.prompt import compose_prompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """What an attendee submits: the draft's answers and style, who, from where, and their photos."""

    answers: Mapping[str, Any]
    style_id: str | None
    device_id: str
    #: Unique per draft: a repeated submission (a double tap, a replay) finds the first participation.
    submission_key: str
    referral_code: str = ""
    channel: str = ""
    #: The draft's stored photos by input name (photo, garment...).
    inputs: Mapping[str, str] = field(default_factory=dict)


def submit(db: Database, queue: Queue, loaded: LoadedCampaign, submission: Submission, *, default_provider: str,
           blocklist: Iterable[str] = ()) -> tuple[Participation, bool]:
    """Record the submission (once) and enqueue its generation; return the participation and whether it is new.

    Raises :class:`~posterbooth.answers.AnswerError` for answers that do not pass. When Redis is away the
    participation stays recorded as queued, and the workers' sweep enqueues it once Redis is back.
    """
    participation, created = record(db, loaded, submission, default_provider=default_provider, blocklist=blocklist)
    try:
        enqueue_generation(queue, participation.id)
    except redis.exceptions.RedisError:
        log.exception("could not enqueue participation %s; it stays queued for the sweep", participation.id)
    return participation, created


def record(db: Database, loaded: LoadedCampaign, submission: Submission, *, default_provider: str,
           blocklist: Iterable[str] = ()) -> tuple[Participation, bool]:
    """Check the answers, compose the prompt and record a queued participation with its photos, in one
    transaction; return it and whether it is new (a repeated submission returns the first)."""
    campaign = loaded.definition
    existing = _by_submission_key(db, submission.submission_key)
    if existing is not None:
        return existing, False
    final = check_answers(campaign, submission.answers, blocklist)
    style = campaign.style(submission.style_id) or (campaign.styles[0] if campaign.styles else None)
    outcome = choose_outcome(campaign, final)
    prompt = compose_prompt(campaign, final, outcome, style)
    participation = Participation(
        submission_key=submission.submission_key,
        campaign=campaign.slug,
        device_id=submission.device_id,
        locale=campaign.locale,
        answers=final,
        outcome=outcome.id,
        style=style.id if style else "",
        prompt=prompt,
        negative_prompt=campaign.prompt.negative,
        seed=secrets.randbelow(2**31 - 1),
        provider=campaign.generation.provider or default_provider,
        channel=submission.channel[:40],
        inputs=dict(submission.inputs),
    )
    try:
        with db.session() as session:
            if submission.referral_code:
                participation.referrer_id = session.scalars(
                    select(Participation.id).where(
                        Participation.referral_code == submission.referral_code,
                        Participation.campaign == campaign.slug,
                    )
                ).first()
            session.add(participation)
        return participation, True
    except IntegrityError:
        # A second tap on submit raced the first: both carry the same submission key.
        existing = _by_submission_key(db, submission.submission_key)
        if existing is None:
            raise  # not a double tap: a real integrity problem
        return existing, False


def _by_submission_key(db: Database, key: str) -> Participation | None:
    with db.session() as session:
        return session.scalars(select(Participation).where(Participation.submission_key == key)).first()


