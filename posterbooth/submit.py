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

from posterbooth import budget, campaign_versions, caps
from posterbooth.answers import check_answers
from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.generation.queue import enqueue_generation
from posterbooth.models import Participation
from posterbooth.outcome import choose_outcome
from posterbooth.prompt import compose_prompt
from posterbooth.schema import Campaign

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
    #: Who per-attendee caps count (:func:`posterbooth.caps.attendee_key`); the device when empty.
    attendee: str = ""


def submit(db: Database, queue: Queue, loaded: LoadedCampaign, submission: Submission, *, default_provider: str,
           blocklist: Iterable[str] = (), budgets: budget.Budgets | None = None) -> tuple[Participation, bool]:
    """Record the submission (once) and enqueue its generation; return the participation and whether it is new.

    Raises :class:`~posterbooth.answers.AnswerError` for answers that do not pass, and
    :class:`~posterbooth.caps.CapReached` when a cap of the campaign is full or its budget is spent (nothing
    is recorded). When Redis is away the participation stays recorded as queued, and the workers' sweep
    enqueues it once Redis is back; a capped campaign then raises :class:`~posterbooth.caps.CapsUnavailable`.
    """
    participation, created = record(db, loaded, submission, default_provider=default_provider, blocklist=blocklist,
                                    conn=queue.connection, budgets=budgets)
    try:
        enqueue_generation(queue, participation.id)
    except redis.exceptions.RedisError:
        log.exception("could not enqueue participation %s; it stays queued for the sweep", participation.id)
    return participation, created


def record(db: Database, loaded: LoadedCampaign, submission: Submission, *, default_provider: str,
           blocklist: Iterable[str] = (), conn: redis.Redis | None = None,
           budgets: budget.Budgets | None = None) -> tuple[Participation, bool]:
    """Check the answers, take the participation's places in the campaign's caps (with ``conn``), compose the
    prompt and record a queued participation with its photos; return it and whether it is new (a repeated
    submission returns the first, and takes no place)."""
    campaign = loaded.definition
    existing = _by_submission_key(db, submission.submission_key)
    if existing is not None:
        return existing, False
    final = check_answers(campaign, submission.answers, blocklist)
    provider = campaign.generation.provider or default_provider
    attendee = submission.attendee or caps.attendee_key(submission.device_id)
    day = caps.local_day(campaign)
    taken: list[caps.Counter] = []
    if conn is not None:
        taken = _take_places(conn, db, campaign, attendee, day, provider, budgets)
    try:
        campaign_versions.remember(db, loaded)  # the worker makes its poster with this version
        return _insert(db, loaded, submission, final, provider, attendee, day)
    except _Repeat as repeat:
        if taken and conn is not None:
            caps.give_back(conn, taken)
        return repeat.existing, False
    except BaseException:
        if taken and conn is not None:
            caps.give_back(conn, taken)
        raise


def _take_places(conn: redis.Redis, db: Database, campaign: Campaign, attendee: str, day: str, provider: str,
                 budgets: budget.Budgets | None) -> list[caps.Counter]:
    """Refuse when the budget is spent, then take a place in every cap; return the counters taken."""
    try:
        if budgets is not None:
            spent = budget.check_landing(conn, db, budgets, campaign, provider, campaign.generation.kind)
            if spent is not None:
                raise spent
        found = caps.counters(db, campaign, attendee, day)
        full = caps.take(conn, found)
    except redis.exceptions.RedisError as exc:
        log.warning("campaign %s: cap counters unreachable (%s); refusing the participation for now",
                    campaign.slug, type(exc).__name__)
        raise caps.CapsUnavailable(str(exc)) from None
    if full is not None:
        raise caps.refusal(campaign, full)
    return found


def _insert(db: Database, loaded: LoadedCampaign, submission: Submission, final: dict[str, Any], provider: str,
            attendee: str, day: str) -> tuple[Participation, bool]:
    campaign = loaded.definition
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
        provider=provider,
        attendee=attendee[:80],
        cap_day=day,
        channel=submission.channel[:40],
        inputs=dict(submission.inputs),
        campaign_version=loaded.version,
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
        raise _Repeat(existing) from None


class _Repeat(Exception):
    """A repeated submission raced the first one; it gives its places back and returns the first."""

    def __init__(self, existing: Participation) -> None:
        super().__init__(existing.id)
        self.existing = existing


def _by_submission_key(db: Database, key: str) -> Participation | None:
    with db.session() as session:
        return session.scalars(select(Participation).where(Participation.submission_key == key)).first()


