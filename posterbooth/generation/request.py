"""From a recorded participation to the provider's request (with the attendee's photos, for photo kinds)."""

from __future__ import annotations

import logging

from posterbooth.campaigns import LoadedCampaign
from posterbooth.config import Settings
from posterbooth.glam import choose_template, template_url
from posterbooth.models import Participation
from posterbooth.photos import ProviderInputs, provider_inputs
from posterbooth.providers import hunyuan_portrait
from posterbooth.providers.base import GenerationRequest
from posterbooth.providers.hunyuan_actions import TEXT_TO_IMAGE_3, rapid_style_name
from posterbooth.schema import Campaign, Style
from posterbooth.storage import MediaStore

log = logging.getLogger(__name__)


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
    hunyuan = {**campaign.generation.hunyuan, **(style.settings.get("hunyuan", {}) if style else {})}
    if not render and provider == "offline":
        # Rehearsing a 混元生图 2.0 campaign: the offline look of its named style (水彩, 水墨画, 粘土 ...).
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
        face_box=_face_box(loaded, participation),
        # 混元生图 3.0's reference images; offline, a rehearsal places the first one on the painting.
        references=reference_images(loaded, hunyuan) if provider in ("hunyuan", "offline") else (),
        subject=subject,
    )


def _face_box(loaded: LoadedCampaign, participation: Participation) -> tuple[int, int, int, int] | None:
    """Return the glam template's face box for a participation (None: not glam, or no box given)."""
    chosen = choose_template(loaded.definition, loaded.folder, participation.outcome, participation.style)
    return chosen.face_box if chosen is not None else None


def photo_inputs(settings: Settings, media: MediaStore, participation: Participation,
                 loaded: LoadedCampaign | None = None) -> ProviderInputs:
    """Return a participation's photos for the provider (and a glam campaign's template, as ``template``);
    raise MissingPhoto when one was deleted."""
    base_url = settings.INPUT_URL_BASE or settings.PUBLIC_BASE_URL
    found = provider_inputs(media, participation, secret=settings.SECRET_KEY, base_url=base_url)
    if loaded is None:
        return found
    chosen = choose_template(loaded.definition, loaded.folder, participation.outcome, participation.style)
    if chosen is None:
        return found
    data = chosen.data
    urls = dict(found.urls)
    if base_url.startswith(("http://", "https://")):  # a campaign asset: its public URL, no signature needed
        urls["template"] = template_url(base_url, loaded.slug, chosen.template.file, data)
    return ProviderInputs({**found.data, "template": data}, urls)


def reference_images(loaded: LoadedCampaign, settings: dict) -> tuple[bytes, ...]:
    """Return the campaign's reference images for 混元生图 3.0 (SubmitTextToImageJob ``references``), read now."""
    if settings.get("action") != TEXT_TO_IMAGE_3:
        return ()
    found = []
    for name in settings.get("references") or ():
        path = loaded.asset(str(name))
        if path is None or not path.is_file():  # checked at load; removed since: sent without it
            log.warning("campaign %s: reference image %r is gone; sending the request without it", loaded.slug, name)
            continue
        found.append(path.read_bytes())
    return tuple(found)


def portrait_look(campaign: Campaign, style: Style | None, provider: str) -> tuple[int, int, str]:
    """Return an AI 写真 picture's size (its definition's) and its render hint (offline: the StyleId's theme)."""
    hunyuan = {**campaign.generation.hunyuan, **(style.settings.get("hunyuan", {}) if style else {})}
    width, height = hunyuan_portrait.picture_size(hunyuan.get("definition"))
    render = style.render if style else ""
    if not render and provider == "offline":
        render = str(hunyuan.get("style", ""))  # the offline portrait's backdrop follows the StyleId
    return width, height, render
