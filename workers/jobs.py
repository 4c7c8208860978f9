"""The generation job: provider → keep the image → compose the poster → store → done."""

from __future__ import annotations

import io
import logging
import time
from datetime import timedelta

from PIL import Image

from posterbooth.aigc import AigcRecord
from posterbooth.campaigns import LoadedCampaign
from posterbooth.models import Participation, utcnow
from posterbooth.poster import PosterAssets, compose_poster
from posterbooth.prompt import render, template_context
from posterbooth.queue import JOB_FUNCTION, record_duration
from workers.context import WorkerContext, get_context
from workers.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError

log = logging.getLogger(__name__)

PRODUCER = "Posterbooth"
FINAL = ("done", "failed", "rejected")


def build_request(loaded: LoadedCampaign, participation: Participation) -> GenerationRequest:
    """Return the provider request for a participation."""
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
        settings=settings,
        reference=str(participation.id),
    )


def poster_url(ctx: WorkerContext, participation: Participation) -> str:
    """Return the campaign URL, with this participation's referral code, for the poster's QR code."""
    base = ctx.settings.PUBLIC_BASE_URL or participation.base_url.rstrip("/")
    return f"{base}/c/{participation.campaign}?ref={participation.referral_code}"


def _finish(ctx: WorkerContext, participation_id: int, **changes: object) -> None:
    with ctx.db.session() as session:
        participation = session.get(Participation, participation_id)
        if participation is None:
            return
        for key, value in changes.items():
            setattr(participation, key, value)
        if changes.get("status") in FINAL:
            participation.finished_at = utcnow()


def _make_poster(ctx: WorkerContext, loaded: LoadedCampaign, participation: Participation,
                 result: GeneratedImage) -> dict[str, str]:
    campaign = loaded.definition
    image = Image.open(io.BytesIO(result.data))
    image.load()
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}.get(
        result.content_type, "png"
    )
    image_path = ctx.media.save("images", result.data, extension)
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
        aigc=AigcRecord(produce_id=participation.public_id, producer=f"{PRODUCER}/{result.provider}"),
    )
    return {
        "image_path": image_path,
        "poster_path": ctx.media.save("posters", composed.poster_jpeg, "jpg"),
        "share_card_path": ctx.media.save("cards", composed.share_card_jpeg, "jpg"),
    }


def generate(participation_id: int) -> str:
    """Make the poster of one participation; safe to run again after a crash."""
    ctx = get_context()
    began = time.monotonic()
    with ctx.db.session() as session:
        participation = session.get(Participation, participation_id)
        if participation is None:
            log.warning("participation %s does not exist; nothing to do", participation_id)
            return "missing"
        if participation.status in FINAL:
            return participation.status
        participation.status = "running"
        participation.started_at = participation.started_at or utcnow()
        participation.attempts += 1
        session.flush()
        session.expunge(participation)
    loaded = ctx.campaigns.get(participation.campaign)
    if loaded is None:
        _finish(ctx, participation_id, status="failed", error_code="campaign_gone",
                error_detail=f"campaign {participation.campaign!r} is no longer loaded by the workers")
        return "failed"
    request = build_request(loaded, participation)
    provider = ctx.provider(participation.provider)
    try:
        if participation.provider_job_id:
            result = provider.resume(participation.provider_job_id, request)
        else:
            result = provider.start(request)
        if isinstance(result, Pending):
            _finish(ctx, participation_id, provider_job_id=result.job_id)
            ctx.queue.enqueue_in(timedelta(seconds=result.poll_after), JOB_FUNCTION, participation_id)
            return "pending"
        paths = _make_poster(ctx, loaded, participation, result)
    except ProviderError as exc:
        log.warning("participation %s: provider %s refused: %s %s", participation_id,
                    participation.provider, exc.kind, exc.code)
        if exc.kind == "moderation":
            _finish(ctx, participation_id, status="rejected", error_code="moderation",
                    error_detail=f"{exc.code}: {exc.message}", provider_job_id="")
        else:
            _finish(ctx, participation_id, status="failed", error_code="provider",
                    error_detail=f"{exc.kind} {exc.code}: {exc.message}")
        return "failed"
    except Exception as exc:  # noqa: BLE001 - record every failure for the operator instead of losing it
        log.exception("participation %s: generation failed", participation_id)
        _finish(ctx, participation_id, status="failed", error_code="internal",
                error_detail=f"{type(exc).__name__}: {exc}")
        return "failed"
    _finish(ctx, participation_id, status="done", provider_model=result.model, error_code="",
            error_detail="", **paths)
    record_duration(ctx.redis, time.monotonic() - began)
    return "done"
