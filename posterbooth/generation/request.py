"""From a recorded participation to the provider's request (with the attendee's photos, for photo kinds)."""

from __future__ import annotations

from posterbooth.campaigns import LoadedCampaign
from posterbooth.config import Settings
from posterbooth.models import Participation
from posterbooth.photos import ProviderInputs, provider_inputs
from posterbooth.providers import hunyuan_portrait
from posterbooth.providers.base import GenerationRequest
from posterbooth.providers.hunyuan_actions import rapid_style_name
from posterbooth.schema import Campaign, Style
from posterbooth.storage import MediaStore


def build_request(loaded: LoadedCampaign, participation: Participation,
                  photos: ProviderInputs | None = None) -> GenerationRequest:
    """Return the provider request for a participation (with its photos, for photo kinds, when given)."""
    campaign = loaded.definition
    style = campaign.style(participation.style)
    provider = participation.provider
    settings = dict(getattr(campaign.generation, provider, {}) or {})
    if style is not None:
        settings.update(style.settings.get(provider, {}))
    render = style.render if style else ""
    if not render and provider == "offline":
        # Rehearsing a 混元生图 2.0 campaign: the offline look of its named style (水彩, 水墨画, 粘土 ...).
        hunyuan = {**campaign.generation.hunyuan, **(style.settings.get("hunyuan", {}) if style else {})}
        render = rapid_style_name(hunyuan)
    width, height, subject = campaign.generation.width, campaign.generation.height, ""
    if campaign.generation.kind == "portrait":
        width, height, render = portrait_look(campaign, style, provider)
        subject = hunyuan_portrait.model_id(participation.id, participation.public_id)
    return GenerationRequest(
        prompt=participation.prompt,
        negative_prompt=participation.negative_prompt,
        seed=participation.seed,
        style=render,
        width=width,
        height=height,
        kind=campaign.generation.kind,
        settings=settings,
        inputs=photos.data if photos else {},
        input_urls=photos.urls if photos else {},
        reference=str(participation.id),
        subject=subject,
    )


def portrait_look(campaign: Campaign, style: Style | None, provider: str) -> tuple[int, int, str]:
    """Return an AI 写真 picture's size (its definition's) and its render hint (offline: the StyleId's theme)."""
    hunyuan = {**campaign.generation.hunyuan, **(style.settings.get("hunyuan", {}) if style else {})}
    width, height = hunyuan_portrait.picture_size(hunyuan.get("definition"))
    render = style.render if style else ""
    if not render and provider == "offline":
        render = str(hunyuan.get("style", ""))  # the offline portrait's backdrop follows the StyleId
    return width, height, render


def photo_inputs(settings: Settings, media: MediaStore, participation: Participation) -> ProviderInputs:
    """Return a participation's photos for the provider; raise MissingPhoto when one was deleted."""
    return provider_inputs(media, participation, secret=settings.SECRET_KEY,
                           base_url=settings.INPUT_URL_BASE or settings.PUBLIC_BASE_URL)
