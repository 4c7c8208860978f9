"""The generation state machine: a participation's way from answers to poster, as a chain of short steps.

Each step is one rq job (``workers.jobs.generate`` calls :func:`run_step` through
:func:`posterbooth.generation.edits.run_step`, which gives "change it" edits their own step), and none of them waits
for the provider. A step reads the participation from the database, decides what it needs (:class:`Step.decide`
returns a :mod:`decision <.decisions>`), and :meth:`Step.apply` carries the decision out: schedule the next step,
hand the provider slot on, or finish.

1. **Slot.** The provider account's semaphore (``PROVIDER_CONCURRENCY``) gives the participation a lease, or puts it
   in the provider's waiting line, where it keeps its place by participation id; a finishing participation hands its
   slot to the head of the line (:class:`~.slots.SlotHandoff`). While the provider's circuit is open (account or
   billing error) nobody submits; the line waits.
2. **Preparation** (AI 写真: the photo's upload, see :mod:`.preparing`): a synchronous provider request through the
   slot, the circuit and the retries like a submission, charged once, and recorded as done. **Submit.** The
   submission is counted in the database *before* it is sent, then the provider's job id is stored, and the next
   step is scheduled.
3. **Poll.** Each poll is a new step, timed by the :class:`~.polling.PollClock`, within the provider's request-rate
   limit. Transient failures are retried with exponential backoff and jitter, at most ``PROVIDER_MAX_RETRIES``
   times; a job running past ``PROVIDER_JOB_TIMEOUT`` is given up and submitted again (a retry).
4. **Finishing** (when the campaign asks for it: ``poster.image.fit: outpaint``, ``generation.refine``): each step
   is one synchronous provider request on the stored picture, through the slot, the circuit and the retries like a
   submission, charged once, and recorded with the new picture (see :mod:`.finishing`).
5. **Poster.** The slot is handed on the moment the provider reports the job done; the result is downloaded and
   kept; the poster is composed in a step of its own, queued behind the submission of the participation that got the
   slot.

Every step continues from what the database holds, so a step that runs again after a crash resumes the recorded
remote job instead of submitting a second one. Guaranteed: one execution at a time per participation (a
:class:`~.claims.Claim`), one chain of steps (a step that is not the participation's current job does nothing), and
at most one provider submission per attempt, with one exception the provider's API makes unavoidable (Submit has no
idempotency key): a worker that dies *during* the Submit request leaves a job nobody knows of, and the resumed
participation submits again: logged, and counted in ``Participation.provider_submissions``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from sqlalchemy.exc import SQLAlchemyError

from posterbooth import budget, caps
from posterbooth.campaigns import LoadedCampaign
from posterbooth.generation import finishing, preparing
from posterbooth.generation.circuit import OPEN
from posterbooth.generation.claims import Claim
from posterbooth.generation.context import WorkerContext
from posterbooth.generation.decisions import Decision, Finished, Later, NextStep, Parked, Stop, WaitForSlot
from posterbooth.generation.polling import PollClock
from posterbooth.generation.posters import make_poster
from posterbooth.generation.progress import record_duration
from posterbooth.generation.queue import enqueue_step, forget, is_current
from posterbooth.generation.rates import request_limiter
from posterbooth.generation.request import build_request, photo_inputs
from posterbooth.generation.retry import RetryPolicy
from posterbooth.generation.slots import LEASE_TTL, SlotHandoff
from posterbooth.models import Charge, Participation, utcnow
from posterbooth.photos import MissingPhoto, forget_photos
from posterbooth.providers import request_rate
from posterbooth.providers.base import (
    GeneratedImage,
    Pending,
    ProviderError,
    RemoteJobFailed,
    face_problem,
    on_result_ready,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
_DECISIONS = (Later, NextStep, Finished, WaitForSlot, Parked, Stop)

FINAL = ("done", "failed", "rejected")
#: A step sleeps at most this long for its turn under a request-rate limit; longer waits are rescheduled.
RATE_WAIT = 0.05
#: A step waits at most this long for the participation's previous step to let go of it.
CLAIM_WAIT = 0.5

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


#: Makes a participation's step (``posterbooth.generation.edits.make_step`` picks an edit's own step).
StepFactory = Callable[[WorkerContext, Participation, "LoadedCampaign | None", Claim], "Step"]


def run_step(ctx: WorkerContext, participation_id: int, job_id: str | None,
             make_step: StepFactory | None = None) -> str:
    """Run the participation's next step; safe to run twice, out of turn, or again after a crash."""
    claim = Claim(ctx.redis, participation_id)
    if not claim.acquire():
        # Usually the step that enqueued this one is finishing: give it a moment.
        deadline = time.monotonic() + CLAIM_WAIT
        while not claim.acquire():
            if time.monotonic() > deadline:
                if job_id is not None and is_current(ctx.redis, participation_id, job_id):
                    enqueue_step(ctx.queue, participation_id, CLAIM_WAIT)  # keep the chain going
                return "busy"
            time.sleep(0.005)
    try:
        if job_id is not None and not is_current(ctx.redis, participation_id, job_id):
            return "stale"  # replaced (by the sweep after a crash, or a duplicate enqueue)
        with claim:
            return _run_claimed(ctx, participation_id, claim, make_step or Step)
    finally:
        claim.release()


def _run_claimed(ctx: WorkerContext, participation_id: int, claim: Claim, make_step: StepFactory) -> str:
    with ctx.db.session() as session:
        participation = session.get(Participation, participation_id)
        if participation is not None:
            session.expunge(participation)
    if participation is None:
        log.warning("participation %s does not exist; nothing to do", participation_id)
        forget(ctx.redis, participation_id)
        return "missing"
    step = make_step(ctx, participation, ctx.campaign_for(participation), claim)
    try:
        return step.run()
    finally:
        step.slots.flush()  # whatever happened, participations handed a slot get their step


class Step:
    """One step of one participation's generation."""

    def __init__(self, ctx: WorkerContext, participation: Participation, loaded: LoadedCampaign | None,
                 claim: Claim) -> None:
        self.ctx = ctx
        self.p = participation
        self.id = participation.id
        self.loaded = loaded
        self.claim = claim
        self.policy = RetryPolicy.from_settings(ctx.settings)
        self.semaphore = ctx.semaphore(participation.provider)
        self.circuit = ctx.circuit(participation.provider)
        self.slots = SlotHandoff(ctx.queue, self.semaphore, self.circuit, participation.id)
        self.polls = PollClock(ctx.redis, participation.provider, participation.id,
                               query_rate=request_rate(participation.provider, "query"),
                               concurrency=self.semaphore.limit if self.semaphore is not None else None)
        self.request = build_request(loaded, participation) if loaded is not None else None

    def run(self) -> str:
        """Decide the next move and carry it out."""
        try:
            decision = self.decide()
        except (redis.exceptions.RedisError, SQLAlchemyError):
            raise  # infrastructure: the step fails in rq and the sweep gives the participation a new one
        except Exception as exc:  # noqa: BLE001 - record every other failure for the operator instead of losing it
            log.exception("participation %s: generation failed", self.id)
            decision = self._failed("internal", f"{type(exc).__name__}: {exc}")
        return self.apply(decision)

    def decide(self) -> Decision:
        """Return what this step should do, from what the database holds."""
        p = self.p
        if p.status in FINAL:
            return Finished(p.status)
        if self.loaded is None:
            return self._failed("campaign_gone", f"campaign {p.campaign!r} is no longer loaded by the workers")
        if p.image_path and not p.poster_path:
            return self._finish_or_poster()
        if p.provider_job_id:
            return self._poll()
        step = preparing.next_step(self.loaded.definition, p.provider_model)
        return self._prepare(step) if step else self._submit()

    # --- applying a decision ----------------------------------------------------------------------

    def apply(self, decision: Decision) -> str:
        """Carry a decision out: schedule, hand the slot on, wait, or finish; return the step's outcome."""
        match decision:
            case Later(delay=delay, outcome=outcome, release_slot=release):
                if release:
                    self.slots.release()
                elif self.p.provider_job_id and self.semaphore is not None:
                    self.semaphore.hold(self.id, ttl=delay + LEASE_TTL)  # the remote job still runs
                enqueue_step(self.ctx.queue, self.id, delay)
                return outcome
            case NextStep(outcome=outcome):
                enqueue_step(self.ctx.queue, self.id)
                self.slots.release()  # the new holders' steps go in front of this one's
                return outcome
            case Finished(status=status, changes=changes):
                if status != self.p.status:
                    self._save(status=status, finished_at=utcnow(), **changes)
                    self._give_places_back()
                self.slots.leave()
                forget(self.ctx.redis, self.id)
                self.polls.forget()
                return status
            case WaitForSlot():
                self._save(status="queued")
                return "waiting"
            case Parked():
                if self.semaphore is None:
                    return self.apply(Later(max(1.0, self.circuit.state().until - time.time())))
                self.slots.park()
                self._save(status="queued")
                return "paused"
            case Stop(outcome=outcome):
                return outcome
        raise TypeError(f"unknown decision {decision!r}")

    # --- the steps --------------------------------------------------------------------------------

    def _gate(self) -> Decision | None:
        """Return why no request may be sent now (provider paused, no free slot, claim lost), or None."""
        if self.circuit.state().state == OPEN:
            return Parked()
        if self.semaphore is not None and not self.semaphore.acquire(self.id):
            return WaitForSlot()
        if not self.circuit.allows(self.id):
            return Parked()
        if not self.claim.owned():
            return Stop("lost")  # this execution stalled and lost its claim; the one that took over carries on
        return None

    def _submit(self) -> Decision:
        p = self.p
        assert self.loaded is not None
        if p.inputs or p.inputs_deleted_at:
            try:
                self.request = build_request(self.loaded, p,
                                             photo_inputs(self.ctx.settings, self.ctx.media, p, self.loaded))
            except MissingPhoto as exc:
                return self._failed("photo_missing", str(exc))
        gate = self._gate()
        if gate is not None:
            return gate
        if p.submitted_at is not None:
            log.warning("participation %s: a worker stopped while submitting it; submitting again "
                        "(the provider may have received the first request too)", p.id)
        # The job is charged (or refused by the budget) in the transaction that counts the submission.
        changes = {"status": "running", "started_at": p.started_at or utcnow(), "submitted_at": utcnow(),
                   "provider_submissions": p.provider_submissions + 1, "attempts": p.attempts + 1, "error_code": ""}
        budgets = budget.Budgets.from_settings(self.ctx.settings)
        charged = budget.charge(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p,
                                self.loaded.definition.generation.kind, changes=changes)
        if isinstance(charged, caps.CapReached):
            return self._over_budget(charged)
        for key, value in changes.items():
            setattr(p, key, value)
        p.cost_milli += charged.amount_milli
        if self.semaphore is not None:
            semaphore = self.semaphore
            self.claim.also.append(lambda: semaphore.renew(p.id))
        began = time.time()
        assert self.request is not None  # decide() fails a participation whose campaign is gone
        try:
            result = self.ctx.provider(p.provider).start(self.request)
        except ProviderError as exc:
            budget.refund(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p, charged,
                          changes={"submitted_at": None})
            p.submitted_at = None
            p.cost_milli = max(0, p.cost_milli - charged.amount_milli)
            return self._refused(exc)
        finally:
            self.claim.also.clear()
        self._account_works()
        if isinstance(result, Pending):
            self._save(provider_job_id=result.job_id)
            return Later(self.polls.next_delay(result.poll_after, self._job_age()), "polling")
        record_duration(self.ctx.redis, time.time() - began, p.provider)
        return self._image(result)

    def _poll(self) -> Decision:
        p = self.p
        if self.semaphore is not None:
            self.semaphore.hold(p.id)  # the remote job runs and uses a slot, whatever happened before
        elapsed = self._job_age()
        if elapsed > self.policy.job_timeout:
            return self._job_failed(RemoteJobFailed(
                "retryable", "JobTimeout", f"job {p.provider_job_id} not done after {elapsed:.0f}s"))
        limiter = request_limiter(self.ctx.redis, p.provider, "query")
        if limiter is not None:
            wait = limiter.acquire(RATE_WAIT)
            if wait:
                return Later(wait + random.uniform(0, 0.2))  # spread the ones that wait together
        assert self.request is not None
        try:
            with on_result_ready(self.slots.release_early):
                result = self.ctx.provider(p.provider).resume(p.provider_job_id, self.request)
        except RemoteJobFailed as exc:
            return self._job_failed(exc)
        except ProviderError as exc:
            if exc.code == "FailedOperation.JobNotExist":
                return self._job_failed(RemoteJobFailed("retryable", exc.code, exc.message))
            if exc.kind == "account":
                self.circuit.trip(exc.code, exc.message)
                return Later(max(1.0, self.circuit.state().until - time.time()))
            if exc.kind == "retryable":
                return self._retry(exc)  # asking failed; the job itself may be fine: keep it
            self._save(provider_job_id="", submitted_at=None)
            return self._refused(exc)
        if isinstance(result, Pending):
            self.polls.still_running(elapsed)
            return Later(self.polls.next_delay(result.poll_after, elapsed), "polling")
        self.polls.finished(elapsed)
        return self._image(result)

    def _image(self, result: GeneratedImage) -> Decision:
        """Keep the provider's image; with an account limit, make the poster in a step of its own."""
        assert self.loaded is not None
        image_path = self.ctx.media.save("images", result.data, _EXTENSIONS.get(result.content_type, "png"),
                                         personal=self.loaded.definition.shows_photo)
        chat = {"chat_id": result.chat_id} if result.chat_id else {}  # a chat turn: "change it" edits continue it
        self._save(image_path=image_path, provider_model=result.model, provider_job_id="", **chat)
        if self.semaphore is None:
            return self._finish_or_poster(result.data)
        return NextStep()

    def _finish_or_poster(self, data: bytes | None = None) -> Decision:
        assert self.loaded is not None
        step = finishing.next_step(self.loaded.definition, self.p.provider_model)
        return self._finish(step, data) if step else self._poster(data)

    def _finish(self, step: str, data: bytes | None) -> Decision:
        """Run one finishing step on the stored picture (outpaint, refine): charged once, through the slot."""
        p = self.p
        assert self.loaded is not None and self.request is not None
        if data is None:
            path = self.ctx.media.path(p.image_path)
            if path is None:
                self._save(image_path="", provider_model="")
                return self._retry(ProviderError("retryable", "ImageMissing", f"stored image {p.image_path} is gone"))
            data = path.read_bytes()
        request = finishing.request_for(self.loaded.definition, p, self.request.settings, step, data)
        if request is None:  # e.g. the picture already has the box's ratio
            self._save(provider_model=finishing.marked(p.provider_model, step))
            return self._finish_or_poster(data)
        provider = self.ctx.provider(p.provider)
        result = self._charged_once(step, lambda: finishing.run(provider, request))
        if isinstance(result, _DECISIONS):
            return result
        old = p.image_path
        image_path = self.ctx.media.save("images", result.data, _EXTENSIONS.get(result.content_type, "png"),
                                         personal=self.loaded.definition.shows_photo)
        self._save(image_path=image_path, provider_model=finishing.marked(p.provider_model, step))
        self.ctx.media.delete(old)
        if self.semaphore is None:
            return self._finish_or_poster(result.data)
        return NextStep("finished")

    def _prepare(self, step: str) -> Decision:
        """Run one preparation step (AI 写真's photo upload): charged once, through the slot, recorded as done."""
        p = self.p
        assert self.loaded is not None
        try:
            request = build_request(self.loaded, p, photo_inputs(self.ctx.settings, self.ctx.media, p))
        except MissingPhoto as exc:
            return self._failed("photo_missing", str(exc))
        provider = self.ctx.provider(p.provider)
        sent = self._charged_once(step, lambda: preparing.run(provider, step, request))
        if isinstance(sent, _DECISIONS):
            return sent
        self._save(status="running", started_at=p.started_at or utcnow(), error_code="",
                   provider_model=preparing.marked(p.provider_model, step))
        return self.decide() if self.semaphore is None else NextStep("prepared")

    def _charged_once(self, step: str, call: Callable[[], T]) -> T | Decision:
        """Send a step's synchronous provider request through the gate, charged once per participation.

        A request sent again after a worker died during it is counted in ``provider_submissions`` but not charged
        again; a refused one is refunded, and the refusal decides what happens next.
        """
        p = self.p
        assert self.loaded is not None
        gate = self._gate()
        if gate is not None:
            return gate
        budgets = budget.Budgets.from_settings(self.ctx.settings)
        changes = {"provider_submissions": p.provider_submissions + 1}
        charge: Charge | None = None
        if finishing.charged(self.ctx.db, p.id, step):
            log.warning("participation %s: a worker stopped during its %s request; sending it again (not charged "
                        "again)", p.id, step)
            self._save(**changes)
        else:
            charged = budget.charge(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p, step,
                                    changes=changes)
            if isinstance(charged, caps.CapReached):
                return self._over_budget(charged)
            charge = charged
            p.cost_milli += charge.amount_milli
            p.provider_submissions += 1
        if self.semaphore is not None:
            semaphore = self.semaphore
            self.claim.also.append(lambda: semaphore.renew(p.id))
        try:
            result = call()
        except ProviderError as exc:
            if charge is not None:
                budget.refund(self.ctx.redis, self.ctx.db, budgets, self.loaded.definition, p, charge)
                p.cost_milli = max(0, p.cost_milli - charge.amount_milli)
            return self._refused(exc)
        finally:
            self.claim.also.clear()
        self._account_works()
        return result

    def _poster(self, data: bytes | None = None) -> Decision:
        p = self.p
        assert self.loaded is not None
        if data is None:
            path = self.ctx.media.path(p.image_path)
            if path is None:  # MEDIA_DIR is not shared with the worker that stored it, or the file was removed
                self._save(image_path="")
                return self._retry(ProviderError("retryable", "ImageMissing", f"stored image {p.image_path} is gone"))
            data = path.read_bytes()
        settings = self.ctx.settings
        paths = make_poster(self.ctx.media, self.loaded, p, data, settings.PUBLIC_BASE_URL)
        if self.loaded.definition.privacy.photo_retention_days == 0 and p.inputs:
            # "0 days": gone as soon as the poster is made (only allowed when the poster does not show the photo).
            forget_photos(self.ctx.db, self.ctx.media, self.id, derived=False)
        started = p.started_at.timestamp() if p.started_at else None
        if started:
            record_duration(self.ctx.redis, time.time() - started)
        return Finished("done", {"error_code": "", "error_detail": "", **paths})

    # --- what failures lead to ----------------------------------------------------------------------

    def _refused(self, exc: ProviderError) -> Decision:
        """Handle a refusal of the submission (or of the job): by its kind."""
        if exc.kind == "account":
            self.circuit.trip(exc.code, exc.message)
            return Parked()
        if exc.kind == "retryable":
            return self._retry(exc, release_slot=True)
        self._account_works()  # the provider judged the request: the account works
        if exc.kind == "moderation":
            # A refused photo is the attendee's to change, like refused answers.
            assert self.request is not None
            reason = exc.reason or ("photo_rejected" if self.request.kind != "text_to_image" else "moderation")
            if reason == "photo_rejected" and face_problem(exc):
                reason = "photo_face"  # no face, several faces, an unclear face: a clearer photo of just them
            return Finished("rejected", {"error_code": reason, "error_detail": f"{exc.code}: {exc.message}",
                                         "provider_job_id": ""})
        log.error("participation %s: the provider refused the request (campaign %s, provider %s): %s: %s",
                  self.id, self.p.campaign, self.p.provider, exc.code, exc.message)
        return self._failed("provider_setup", f"{exc.kind} {exc.code}: {exc.message}")

    def _job_failed(self, exc: RemoteJobFailed) -> Decision:
        """Forget a remote job that failed or is gone, and act on why."""
        self._save(provider_job_id="", submitted_at=None)
        self.polls.forget()
        return self._refused(exc)

    def _retry(self, exc: ProviderError, release_slot: bool = False) -> Decision:
        p = self.p
        retries = p.retries + 1
        if retries > self.policy.max_retries:
            return self._failed("busy", f"gave up after {p.retries} retries; last error: {exc.kind} {exc.code}: "
                                f"{exc.message}")
        delay = self.policy.delay(retries, exc.retry_after)
        log.info("participation %s: %s %s; retry %d of %d in %.1fs", self.id, exc.kind, exc.code, retries,
                 self.policy.max_retries, delay)
        self._save(retries=retries, status="running" if p.provider_job_id else "queued")
        return Later(delay, release_slot=release_slot)

    def _failed(self, code: str, detail: str) -> Finished:
        log.warning("participation %s failed: %s: %s", self.id, code, detail)
        return Finished("failed", {"error_code": code, "error_detail": detail})

    def _over_budget(self, refused: caps.CapReached) -> Decision:
        """Wait, without a job, until the budget that is spent opens again (the next day, or a raised budget)."""
        delay = (refused.reopens - caps.clock()).total_seconds() + random.uniform(1, 30) if refused.reopens else 600
        log.info("participation %s: campaign %s is over its budget; waiting %.0fs", self.id, self.p.campaign, delay)
        self._save(status="queued", error_code="over_budget")
        return Later(max(1.0, delay), "over_budget", release_slot=True)

    def _give_places_back(self) -> None:
        caps.release_refused(self.ctx.redis, self.ctx.db, self.loaded.definition if self.loaded else None, self.p)

    # --- state --------------------------------------------------------------------------------------

    def _job_age(self) -> float:
        """Return the seconds since the current remote job was submitted."""
        submitted = self.p.submitted_at
        return time.time() - submitted.timestamp() if submitted else 0.0

    def _account_works(self) -> None:
        if self.circuit.succeed():
            self.slots.promote_all()

    def _save(self, **changes: object) -> None:
        with self.ctx.db.session() as session:
            participation = session.get(Participation, self.id)
            if participation is None:
                return
            for key, value in changes.items():
                setattr(participation, key, value)
                setattr(self.p, key, value)
