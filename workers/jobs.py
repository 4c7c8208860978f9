"""The generation job: a participation's way from answers to poster, as a chain of short steps.

Each step is one rq job running :func:`generate`, and none of them waits for
the provider:

1. **Slot.** The provider account's semaphore (``PROVIDER_CONCURRENCY``) gives
   the participation a lease, or puts it in the provider's waiting line, where
   it keeps its place by participation id; a finishing participation hands its
   slot to the head of the line. While the provider's circuit is open
   (account or billing error) nobody submits; the line just waits.
2. **Submit.** The submission is counted in the database *before* it is sent,
   then the provider's job id is stored, and the next step is scheduled.
3. **Poll.** Each poll is a new step, the first just after the provider's
   usual job time (learnt from the jobs before, see :meth:`Generation._record_job_time`),
   then in short steps, within the provider's request-rate limit. Transient
   failures are retried with exponential backoff and jitter, at most
   ``PROVIDER_MAX_RETRIES`` times; a job running past ``PROVIDER_JOB_TIMEOUT``
   is given up and submitted again (a retry).
4. **Poster.** The slot is handed on the moment the provider reports the job
   done; the result is downloaded and checked by the provider client and kept;
   the poster is composed in a step of its own, queued behind the submission
   of the participation that got the slot.

Delayed steps are timed by :mod:`workers.timer` and by every finishing step
(:func:`posterbooth.queue.release_due`), not only by rq's one-second scheduler.

Every step reads the participation from the database and continues from there,
so a step that runs again after a crash resumes the recorded remote job instead
of submitting a second one. What is guaranteed:

* one execution at a time per participation (a claim in Redis, renewed while
  the step runs, gone within seconds of a SIGKILL), and one chain of steps (a
  step that is not the participation's current job does nothing);
* at most one provider submission per participation per attempt, with one
  exception the provider's API makes unavoidable (Submit has no idempotency
  key): a worker that dies *during* the Submit request (after it was sent,
  before the job id was stored) leaves a job nobody knows of, and the resumed
  participation submits again. That case is logged, and
  ``Participation.provider_submissions`` counts every request sent.
"""

from __future__ import annotations

import io
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from PIL import Image
from rq import get_current_job
from sqlalchemy.exc import SQLAlchemyError

from posterbooth.aigc import AigcRecord
from posterbooth.campaigns import LoadedCampaign
from posterbooth.config import Settings
from posterbooth.models import Participation, utcnow
from posterbooth.photos import MissingPhoto, ProviderInputs, forget_photos, provider_inputs
from posterbooth.poster import PosterAssets, compose_poster
from posterbooth.prompt import render, template_context
from posterbooth.queue import (
    enqueue_step,
    forget,
    is_current,
    record_duration,
    release_due,
)
from posterbooth.schema import KIND_ROLES
from workers.circuit import CLOSED, OPEN
from workers.context import WorkerContext, get_context
from workers.limits import LEASE_TTL, PREFIX, REQUEST_RATES, Claim, request_limiter
from workers.providers.base import (
    GeneratedImage,
    GenerationRequest,
    Pending,
    ProviderError,
    RemoteJobFailed,
    on_result_ready,
)

log = logging.getLogger(__name__)

PRODUCER = "Posterbooth"
FINAL = ("done", "failed", "rejected")
#: First poll this long after the provider's usual job time; then poll every 2.5% of the job's age, within
#: these bounds. A job found done at its first poll moves the usual time USUAL_STEP earlier.
POLL_LAG = 0.01
MIN_POLL = 0.05
USUAL_STEP = 0.02
#: A step sleeps at most this long for its turn under a request-rate limit; longer waits are rescheduled.
RATE_WAIT = 0.05
#: A step waits at most this long for the participation's previous step to let go of it.
CLAIM_WAIT = 0.5


@dataclass(frozen=True)
class RetryPolicy:
    """How transient provider failures are retried."""

    max_retries: int = 8
    base_delay: float = 2.0
    job_timeout: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """Return the policy the settings describe."""
        return cls(settings.PROVIDER_MAX_RETRIES, settings.PROVIDER_RETRY_DELAY, settings.PROVIDER_JOB_TIMEOUT)

    @property
    def max_delay(self) -> float:
        """Return the longest wait before one retry."""
        return 30 * self.base_delay

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Return the wait before retry number ``retry`` (1, 2, …): doubling, with jitter, capped."""
        delay = min(self.max_delay, self.base_delay * 2 ** (retry - 1)) * random.uniform(0.5, 1.0)
        if retry_after:
            delay = max(delay, retry_after)
        return min(delay, self.max_delay)


def build_request(loaded: LoadedCampaign, participation: Participation,
                  photos: ProviderInputs | None = None) -> GenerationRequest:
    """Return the provider request for a participation (with its photos, for photo kinds, when given)."""
    campaign = loaded.definition
    style = campaign.style(participation.style)
    provider = participation.provider
    settings = dict(getattr(campaign.generation, provider, {}) or {})
    if style is not None:
        settings.update(style.settings.get(provider, {}))
    return GenerationRequest(
        prompt=participation.prompt,
        negative_prompt=participation.negative_prompt,
        seed=participation.seed,
        style=style.render if style else "",
        width=campaign.generation.width,
        height=campaign.generation.height,
        kind=campaign.generation.kind,
        settings=settings,
        inputs=photos.data if photos else {},
        input_urls=photos.urls if photos else {},
        reference=str(participation.id),
    )


def photo_inputs(ctx: WorkerContext, participation: Participation) -> ProviderInputs:
    """Return a participation's photos for the provider; raise MissingPhoto when one was deleted."""
    settings = ctx.settings
    return provider_inputs(ctx.media, participation, secret=settings.SECRET_KEY,
                           base_url=settings.INPUT_URL_BASE or settings.PUBLIC_BASE_URL)


def _source_photo(ctx: WorkerContext, loaded: LoadedCampaign, participation: Participation) -> Image.Image | None:
    """Return the attendee's photo for a poster that shows it (poster.photo), if it is still stored."""
    campaign = loaded.definition
    roles = KIND_ROLES[campaign.generation.kind]
    relative = (participation.inputs or {}).get(roles[0]) if roles and campaign.poster.photo else None
    path = ctx.media.path(relative) if relative else None
    if path is None:
        return None
    with Image.open(path) as image:
        image.load()
        return image.copy()


def poster_url(ctx: WorkerContext, participation: Participation) -> str:
    """Return the campaign URL, with this participation's referral code, for the poster's QR code."""
    base = ctx.settings.PUBLIC_BASE_URL or participation.base_url.rstrip("/")
    return f"{base}/c/{participation.campaign}?ref={participation.referral_code}"


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def _compose(ctx: WorkerContext, loaded: LoadedCampaign, participation: Participation,
             image_data: bytes) -> dict[str, str]:
    """Compose and store the poster and share card of a participation from its generated image."""
    campaign = loaded.definition
    image = Image.open(io.BytesIO(image_data))
    image.load()
    outcome = campaign.outcome(participation.outcome) or campaign.outcomes[0]
    context = template_context(campaign, participation.answers, outcome, campaign.style(participation.style))
    composed = compose_poster(
        campaign.poster,
        image.convert("RGB"),
        render_text=lambda source: render(source, context),
        assets=PosterAssets(
            background_image=loaded.asset(campaign.poster.background_image),
            logo=loaded.asset(campaign.assets.logo),
            brand_font=loaded.asset(campaign.assets.font),
        ),
        qr_url=poster_url(ctx, participation),
        aigc=AigcRecord(produce_id=participation.public_id, producer=f"{PRODUCER}/{participation.provider}"),
        photo=_source_photo(ctx, loaded, participation),
    )
    return {
        "poster_path": ctx.media.save("posters", composed.poster_jpeg, "jpg"),
        "share_card_path": ctx.media.save("cards", composed.share_card_jpeg, "jpg"),
    }


def warm_up(ctx: WorkerContext) -> None:
    """Compose one throw-away poster per campaign, so fonts and layers are loaded before jobs fork."""
    blank = Image.new("RGB", (64, 64), (200, 200, 200))
    for loaded in ctx.campaigns.values():
        campaign = loaded.definition
        try:
            context = template_context(campaign, {}, campaign.outcomes[0], None)
            compose_poster(
                campaign.poster, blank, render_text=lambda source, c=context: render(source, c),
                assets=PosterAssets(
                    background_image=loaded.asset(campaign.poster.background_image),
                    logo=loaded.asset(campaign.assets.logo),
                    brand_font=loaded.asset(campaign.assets.font),
                ),
                qr_url="https://example.com/warm-up",
                aigc=AigcRecord(produce_id="warm-up", producer=PRODUCER),
            )
        except Exception:  # noqa: BLE001 - warming is an optimisation; a real job reports real errors
            log.debug("warm-up of campaign %s failed", loaded.slug, exc_info=True)


def _timestamp(value: datetime | None) -> float | None:
    """Return a stored time as unix seconds (SQLite gives naive UTC datetimes back)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _pending_key(participation_id: int) -> str:
    return f"{PREFIX}:pending:{participation_id}"


def usual_key(provider: str) -> str:
    """Return the key of a provider's usual job time (hash: ``time``, ``step``), which times first polls."""
    return f"{PREFIX}:usual:{provider}"


# KEYS[1]: the provider's usual-time hash {time, step}; ARGV: what the first poll saw, a time, the least step.
_LEARN = """
local seen, value, least = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local usual = tonumber(redis.call('HGET', KEYS[1], 'time'))
if seen == 'running' or not usual then
  redis.call('HSET', KEYS[1], 'time', value, 'step', least)
else
  local step = tonumber(redis.call('HGET', KEYS[1], 'step')) or least
  redis.call('HSET', KEYS[1], 'time', math.max(usual - step, least), 'step', math.min(step * 1.5, 5 * least))
end
redis.call('EXPIRE', KEYS[1], 604800)
return 1
"""


def generate(participation_id: int) -> str:
    """Run the participation's next step; safe to run twice, out of turn, or again after a crash."""
    ctx = get_context()
    claim = Claim(ctx.redis, participation_id)
    job = get_current_job()
    if not claim.acquire():
        # Usually the step that enqueued this one is finishing: give it a moment.
        deadline = time.monotonic() + CLAIM_WAIT
        while not claim.acquire():
            if time.monotonic() > deadline:
                if job is not None and is_current(ctx.redis, participation_id, job.id):
                    enqueue_step(ctx.queue, participation_id, CLAIM_WAIT)  # keep the chain going
                return "busy"
            time.sleep(0.005)
    try:
        if job is not None and not is_current(ctx.redis, participation_id, job.id):
            return "stale"  # replaced (by the sweeper after a crash, or a duplicate enqueue)
        with claim:
            generation = Generation(ctx, participation_id, claim)
            try:
                return generation.run()
            finally:
                generation.flush()  # whatever happened, participations handed a slot get their step
    finally:
        claim.release()
        try:
            release_due(ctx.queue)  # the timer does this too; doing it here keeps polls punctual under load
        except redis.exceptions.RedisError:
            log.debug("could not release due steps", exc_info=True)


class Generation:
    """One step of one participation's generation."""

    def __init__(self, ctx: WorkerContext, participation_id: int, claim: Claim) -> None:
        self.ctx = ctx
        self.id = participation_id
        self.claim = claim
        self.policy = RetryPolicy.from_settings(ctx.settings)
        self._promoted: list[int] = []
        self._hold = False

    # --- the step ---------------------------------------------------------------------------------

    def run(self) -> str:
        """Load the participation and take its next step."""
        with self.ctx.db.session() as session:
            participation = session.get(Participation, self.id)
            if participation is not None:
                session.expunge(participation)
        if participation is None:
            log.warning("participation %s does not exist; nothing to do", self.id)
            forget(self.ctx.redis, self.id)
            return "missing"
        self.p = participation
        self.semaphore = self.ctx.semaphore(participation.provider)
        self.circuit = self.ctx.circuit(participation.provider)
        if participation.status in FINAL:
            self._cleanup()
            return participation.status
        loaded = self.ctx.campaigns.get(participation.campaign)
        if loaded is None:
            return self._fail("campaign_gone", f"campaign {participation.campaign!r} is no longer loaded by the "
                              "workers")
        self.loaded = loaded
        try:
            self.request = build_request(loaded, participation)
            if participation.image_path and not participation.poster_path:
                return self._poster()
            if participation.provider_job_id:
                return self._poll()
            return self._submit()
        except (redis.exceptions.RedisError, SQLAlchemyError):
            raise  # infrastructure: the step fails in rq and the sweeper gives the participation a new one
        except Exception as exc:  # noqa: BLE001 - record every other failure for the operator instead of losing it
            log.exception("participation %s: generation failed", self.id)
            self._release()
            return self._fail("internal", f"{type(exc).__name__}: {exc}")

    def _submit(self) -> str:
        p = self.p
        if p.inputs or p.inputs_deleted_at:
            try:
                self.request = build_request(self.loaded, p, photo_inputs(self.ctx, p))
            except MissingPhoto as exc:
                self._release()
                return self._fail("photo_missing", str(exc))
        if self.circuit.state().state == OPEN:
            return self._park()
        if self.semaphore is not None and not self.semaphore.acquire(p.id):
            self._save(status="queued")
            return "waiting"  # in line; a finishing participation hands it a slot
        if not self.circuit.allows(p.id):
            return self._park()
        if not self.claim.owned():
            return "lost"  # this execution stalled and lost its claim; the one that took over carries on
        if p.submitted_at is not None:
            log.warning("participation %s: a worker stopped while submitting it; submitting again "
                        "(the provider may have received the first request too)", p.id)
        self._save(status="running", started_at=p.started_at or utcnow(), submitted_at=utcnow(),
                   provider_submissions=p.provider_submissions + 1, attempts=p.attempts + 1)
        if self.semaphore is not None:
            self.claim.also.append(lambda: self.semaphore.renew(p.id))
        began = time.time()
        try:
            result = self.ctx.provider(p.provider).start(self.request)
        except ProviderError as exc:
            self._save(submitted_at=None)
            return self._refused(exc)
        finally:
            self.claim.also.clear()
        self._account_works()
        if isinstance(result, Pending):
            self._save(provider_job_id=result.job_id)
            return self._poll_later(result.poll_after)
        record_duration(self.ctx.redis, time.time() - began, p.provider)
        return self._image(result)

    def _poll(self) -> str:
        p = self.p
        if self.semaphore is not None:
            self.semaphore.hold(p.id)  # the remote job runs and uses a slot, whatever happened before
        elapsed = time.time() - (_timestamp(p.submitted_at) or time.time())
        if elapsed > self.policy.job_timeout:
            return self._job_failed(RemoteJobFailed(
                "retryable", "JobTimeout", f"job {p.provider_job_id} not done after {elapsed:.0f}s"))
        limiter = request_limiter(self.ctx.redis, p.provider, "query")
        if limiter is not None:
            wait = limiter.acquire(RATE_WAIT)
            if wait:
                return self._later(wait + random.uniform(0, 0.2))  # spread the ones that wait together
        try:
            with on_result_ready(self._release_early):
                result = self.ctx.provider(p.provider).resume(p.provider_job_id, self.request)
        except RemoteJobFailed as exc:
            return self._job_failed(exc)
        except ProviderError as exc:
            if exc.code == "FailedOperation.JobNotExist":
                return self._job_failed(RemoteJobFailed("retryable", exc.code, exc.message))
            if exc.kind == "account":
                self.circuit.trip(exc.code, exc.message)
                return self._later(max(1.0, self.circuit.state().until - time.time()))
            if exc.kind == "retryable":
                return self._retry(exc)  # asking failed; the job itself may be fine: keep it
            self._save(provider_job_id="", submitted_at=None)
            return self._refused(exc)
        if isinstance(result, Pending):
            self.ctx.redis.set(_pending_key(p.id), f"{elapsed:.3f}", ex=3600)
            return self._poll_later(result.poll_after, elapsed)
        self._record_job_time(elapsed)
        return self._image(result)

    def _image(self, result: GeneratedImage) -> str:
        """Keep the provider's image, hand the slot on, and make the poster: in a step of its own when the
        provider has an account limit, enqueued (at the front) *before* the steps of the participations
        handed the slot, so their submissions go first."""
        image_path = self.ctx.media.save("images", result.data, _EXTENSIONS.get(result.content_type, "png"))
        self._save(image_path=image_path, provider_model=result.model, provider_job_id="")
        if self.semaphore is None:
            return self._poster(result.data)
        enqueue_step(self.ctx.queue, self.id)
        self._hold = False
        self._release()
        return "generated"

    def _poster(self, data: bytes | None = None) -> str:
        p = self.p
        if data is None:
            path = self.ctx.media.path(p.image_path)
            if path is None:  # MEDIA_DIR is not shared with the worker that stored it, or the file was removed
                self._save(image_path="")
                return self._retry(ProviderError("retryable", "ImageMissing", f"stored image {p.image_path} is gone"))
            data = path.read_bytes()
        paths = _compose(self.ctx, self.loaded, p, data)
        self._finish("done", error_code="", error_detail="", **paths)
        if self.loaded.definition.privacy.photo_retention_days == 0 and p.inputs:
            forget_photos(self.ctx.db, self.ctx.media, self.id)  # "0 days": gone as soon as the poster is made
        started = _timestamp(p.started_at)
        if started:
            record_duration(self.ctx.redis, time.time() - started)
        return "done"

    # --- what failures lead to ----------------------------------------------------------------------

    def _refused(self, exc: ProviderError) -> str:
        """Handle a refusal of the submission (or of the job): by its kind."""
        if exc.kind == "account":
            self.circuit.trip(exc.code, exc.message)
            return self._park()
        if exc.kind != "retryable":
            self._account_works()  # the provider judged the request: the account works
        self._release()
        if exc.kind == "retryable":
            return self._retry(exc)
        if exc.kind == "moderation":
            # A refused photo is the attendee's to change, like refused answers.
            reason = "photo_rejected" if self.request.kind != "text_to_image" else "moderation"
            return self._finish("rejected", error_code=reason, error_detail=f"{exc.code}: {exc.message}",
                                provider_job_id="")
        log.error("participation %s: the provider refused the request (campaign %s, provider %s): %s: %s",
                  self.id, self.p.campaign, self.p.provider, exc.code, exc.message)
        return self._fail("provider_setup", f"{exc.kind} {exc.code}: {exc.message}")

    def _job_failed(self, exc: RemoteJobFailed) -> str:
        """Forget a remote job that failed or is gone, and act on why."""
        self._save(provider_job_id="", submitted_at=None)
        self.ctx.redis.delete(_pending_key(self.id))
        return self._refused(exc)

    def _retry(self, exc: ProviderError) -> str:
        p = self.p
        retries = p.retries + 1
        if retries > self.policy.max_retries:
            self._release()
            return self._fail("busy", f"gave up after {p.retries} retries; last error: {exc.kind} {exc.code}: "
                              f"{exc.message}")
        delay = self.policy.delay(retries, exc.retry_after)
        log.info("participation %s: %s %s; retry %d of %d in %.1fs", self.id, exc.kind, exc.code, retries,
                 self.policy.max_retries, delay)
        self._save(retries=retries, status="running" if p.provider_job_id else "queued")
        return self._later(delay)

    def _park(self) -> str:
        """Wait in the provider's line while its circuit is open."""
        p = self.p
        if self.semaphore is None:
            return self._later(max(1.0, self.circuit.state().until - time.time()))
        self.semaphore.park(p.id)
        self._release(most=0)
        self._save(status="queued")
        return "paused"

    # --- scheduling -------------------------------------------------------------------------------

    def _poll_later(self, poll_after: float, elapsed: float | None = None) -> str:
        """Schedule the next poll: just after the provider's usual job time, then every 2.5% of the job's age.

        Until the usual time is known, polls are spaced so that a full account's jobs stay within
        the provider's query rate.
        """
        if elapsed is None:
            elapsed = time.time() - (_timestamp(self.p.submitted_at) or time.time())
        raw = self.ctx.redis.hget(usual_key(self.p.provider), "time")
        usual = float(raw) if raw else 0.0
        if usual and elapsed < usual:
            delay = usual - elapsed + POLL_LAG
        elif not usual and elapsed < poll_after:
            delay = poll_after - elapsed
        else:
            delay = min(poll_after, max(MIN_POLL, 0.025 * elapsed))
            rate = REQUEST_RATES.get(self.p.provider, {}).get("query")
            if not usual and rate and self.semaphore is not None:
                delay = max(delay, self.semaphore.limit / rate)
        return self._later(delay, "polling")

    def _later(self, delay: float, outcome: str = "retrying") -> str:
        """Run the next step after ``delay`` seconds (a held slot stays held until then)."""
        if self.p.provider_job_id and self.semaphore is not None:
            self.semaphore.hold(self.id, ttl=delay + LEASE_TTL)
        enqueue_step(self.ctx.queue, self.id, delay)
        return outcome

    def _record_job_time(self, elapsed: float) -> None:
        """Learn from a finished job when to poll the next one, and remember its time for estimates.

        The first poll goes out at the provider's *usual* time. A job that was still running there
        moves the usual time to between its last "running" answer and its "done" one; a job already
        done at its first poll moves it earlier, by a step that grows while that keeps happening. So
        it settles just below the real job time whatever the workers' own delays, within a few jobs.
        """
        connection = self.ctx.redis
        before = connection.get(_pending_key(self.id))
        value = (float(before) + elapsed) / 2 if before is not None else elapsed
        learn = connection.register_script(_LEARN)
        learn(keys=[usual_key(self.p.provider)], args=["running" if before is not None else "done", value, USUAL_STEP])
        record_duration(connection, elapsed, self.p.provider)
        connection.delete(_pending_key(self.id))

    # --- slots and state --------------------------------------------------------------------------

    def _release(self, most: int | None = None) -> None:
        """Give up this participation's slot; hand free slots to the line unless the provider is paused."""
        if self.semaphore is None:
            return
        if most is None and self.circuit.state().state != CLOSED:
            most = 0
        self._promoted.extend(self.semaphore.release(self.id, most))
        if not self._hold:
            self.flush()

    def _release_early(self) -> None:
        """Free the slot the moment the provider says the job is done; enqueue the next holders after the poster."""
        self._hold = True
        self._release()

    def flush(self) -> None:
        """Enqueue the steps of the participations this step handed a slot to (at the front: they go next)."""
        promoted, self._promoted, self._hold = self._promoted, [], False
        for waiting in promoted:
            enqueue_step(self.ctx.queue, waiting)

    def _account_works(self) -> None:
        if self.circuit.succeed() and self.semaphore is not None:
            for waiting in self.semaphore.promote():
                enqueue_step(self.ctx.queue, waiting)

    def _save(self, **changes: object) -> None:
        with self.ctx.db.session() as session:
            participation = session.get(Participation, self.id)
            if participation is None:
                return
            for key, value in changes.items():
                setattr(participation, key, value)
                setattr(self.p, key, value)
            if changes.get("status") in FINAL:
                participation.finished_at = self.p.finished_at = utcnow()

    def _finish(self, status: str, **changes: object) -> str:
        self._save(status=status, **changes)
        self._cleanup()
        return status

    def _fail(self, code: str, detail: str) -> str:
        log.warning("participation %s failed: %s: %s", self.id, code, detail)
        return self._finish("failed", error_code=code, error_detail=detail)

    def _cleanup(self) -> None:
        """Drop what Redis holds for a finished participation."""
        if self.semaphore is not None:
            self.semaphore.leave(self.id)
            if self.circuit.state().state == CLOSED:
                for waiting in self.semaphore.promote():
                    enqueue_step(self.ctx.queue, waiting)
        forget(self.ctx.redis, self.id)
        self.ctx.redis.delete(_pending_key(self.id))
