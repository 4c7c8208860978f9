""""Change it" edits in the state machine: the step that makes a new poster version of a finished participation.

The web records the edit (:func:`posterbooth.versions.request_edit`) and enqueues the participation's next step;
:func:`make_step` gives a participation with an edit being made an :class:`EditStep` instead of a plain
:class:`~.engine.Step`. The edit step is the engine's own step working on a stand-in participation whose
generation state (status, job id, submitted_at, retries, picture and poster paths, model) is the version row's,
so an edit goes through the same slot, circuit, request-rate limit, polls, retries and moderation handling as a
first poster, and resumes its recorded job after a crash. What differs:

* the request is the instruction, continuing the parent version's ChatId (``GenerationRequest.chat_id``), with
  the conversation so far in ``history`` for the offline provider;
* each edit's job is charged once, as the price table's action ``edit``; the participation's
  ``provider_submissions``, ``attempts`` and ``cost_milli`` count it, its status stays ``done``;
* the end of an edit is recorded on its version: done (it becomes the chosen version, in the same transaction),
  failed or rejected (the earlier versions stay, nothing is given back to the caps).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import inspect

from posterbooth import budget, caps
from posterbooth.campaigns import LoadedCampaign
from posterbooth.generation import engine
from posterbooth.generation.claims import Claim
from posterbooth.generation.context import WorkerContext
from posterbooth.generation.decisions import Decision, Later
from posterbooth.models import Participation, PosterVersion, utcnow
from posterbooth.providers.base import Pending, ProviderError
from posterbooth.versions import EDIT_ACTION, conversation, pending, select_version

log = logging.getLogger(__name__)

#: Fields of a step's saves that belong to the version being made; the rest are the participation's counters.
_VERSION_FIELDS = frozenset({"status", "provider_job_id", "submitted_at", "retries", "image_path", "poster_path",
                             "share_card_path", "provider_model", "error_code", "error_detail", "finished_at",
                             "chat_id"})
_PARTICIPATION_FIELDS = frozenset({"provider_submissions", "attempts", "cost_milli"})


def make_step(ctx: WorkerContext, participation: Participation, loaded: LoadedCampaign | None,
              claim: Claim) -> engine.Step:
    """Return the step for a participation: an edit's while one is being made, else the engine's."""
    version = pending(ctx.db, participation.id) if participation.status == "done" else None
    if version is None:
        return engine.Step(ctx, participation, loaded, claim)
    return EditStep(ctx, participation, loaded, claim, version)


def run_step(ctx: WorkerContext, participation_id: int, job_id: str | None) -> str:
    """Run the participation's next step, an edit's when one is being made (the rq job ``generate``)."""
    return engine.run_step(ctx, participation_id, job_id, make_step)


def stand_in(participation: Participation, version: PosterVersion) -> Participation:
    """Return a detached copy of the participation carrying the version's generation state."""
    copy = Participation(**{attr.key: getattr(participation, attr.key)
                            for attr in inspect(Participation).column_attrs})
    for name in _VERSION_FIELDS - {"finished_at"}:
        setattr(copy, name, getattr(version, name))
    copy.prompt = version.instruction
    copy.negative_prompt = ""
    copy.started_at = None  # the first poster's timings are not the edit's (no wait estimate from it)
    return copy


class EditStep(engine.Step):
    """One step of making a new version of a finished poster."""

    def __init__(self, ctx: WorkerContext, participation: Participation, loaded: LoadedCampaign | None,
                 claim: Claim, version: PosterVersion) -> None:
        self.version = version
        super().__init__(ctx, stand_in(participation, version), loaded, claim)
        if self.request is not None:
            chat_id, history = conversation(ctx.db, participation, version)
            self.request = replace(self.request, chat_id=chat_id, history=history,
                                   reference=f"{participation.id} v{version.number}")

    def _save(self, **changes: object) -> None:
        """Record the edit's state on its version (a finished one becomes the chosen version) and the counters."""
        with self.ctx.db.session() as session:
            version = session.get(PosterVersion, self.version.id)
            participation = session.get(Participation, self.id)
            if version is None or participation is None:
                return
            for key, value in changes.items():
                if key in _VERSION_FIELDS:
                    setattr(version, key, value)
                elif key in _PARTICIPATION_FIELDS:
                    setattr(participation, key, value)
                setattr(self.p, key, value)
            if changes.get("status") == "done" and version.poster_path and not participation.hidden:
                select_version(participation, version)
        if changes.get("status") == "done":
            log.info("participation %s: version %d made", self.id, self.version.number)

    def _give_places_back(self) -> None:
        """Keep the caps: the participation has its poster whatever became of the edit."""

    def _submit(self) -> Decision:
        """Send the edit's chat turn (charged once as an ``edit``); its job id goes on the version."""
        p = self.p
        assert self.loaded is not None and self.request is not None
        gate = self._gate()
        if gate is not None:
            return gate
        if p.submitted_at is not None:
            log.warning("participation %s: a worker stopped while submitting its edit; submitting again", p.id)
        budgets = budget.Budgets.from_settings(self.ctx.settings)
        counted = {"provider_submissions": p.provider_submissions + 1, "attempts": p.attempts + 1}
        charged = budget.charge(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p, EDIT_ACTION,
                                changes=counted)
        if isinstance(charged, caps.CapReached):
            return self._over_budget(charged)
        for key, value in counted.items():
            setattr(p, key, value)
        p.cost_milli += charged.amount_milli
        self._save(status="running", submitted_at=utcnow(), error_code="")
        if self.semaphore is not None:
            semaphore = self.semaphore
            self.claim.also.append(lambda: semaphore.renew(p.id))
        try:
            result = self.ctx.provider(p.provider).start(self.request)
        except ProviderError as exc:
            budget.refund(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p, charged)
            p.cost_milli = max(0, p.cost_milli - charged.amount_milli)
            self._save(submitted_at=None)
            return self._refused(exc)
        finally:
            self.claim.also.clear()
        self._account_works()
        if isinstance(result, Pending):
            self._save(provider_job_id=result.job_id)
            return Later(self.polls.next_delay(result.poll_after, self._job_age()), "polling")
        return self._image(result)
