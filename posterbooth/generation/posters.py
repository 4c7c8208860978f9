"""The last step: the poster and share card composed from the provider's image, and stored."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping

from PIL import Image

from posterbooth.aigc import AigcRecord
from posterbooth.campaigns import LoadedCampaign
from posterbooth.models import Participation, new_token
from posterbooth.poster import ComposedPoster, PosterAssets, compose_poster
from posterbooth.prompt import recorded_context, render_or
from posterbooth.schema import KIND_ROLES
from posterbooth.storage import MediaStore
from posterbooth.urls import campaign_url

log = logging.getLogger(__name__)

PRODUCER = "Posterbooth"


def poster_url(base_url: str, participation: Participation) -> str:
    """Return the campaign URL, with this participation's referral code, for the poster's QR code."""
    return campaign_url(base_url, participation.campaign, ref=participation.referral_code)


def _source_photo(media: MediaStore, loaded: LoadedCampaign, participation: Participation) -> Image.Image | None:
    """Return the attendee's photo for a poster that shows it (poster.photo), if it is still stored."""
    campaign = loaded.definition
    roles = KIND_ROLES[campaign.generation.kind]
    relative = (participation.inputs or {}).get(roles[0]) if roles and campaign.poster.photo else None
    path = media.path(relative) if relative else None
    if path is None:
        return None
    with Image.open(path) as image:
        image.load()
        return image.copy()


def _compose(loaded: LoadedCampaign, image: Image.Image, context: dict[str, object], qr_url: str,
             aigc: AigcRecord, photo: Image.Image | None = None) -> ComposedPoster:
    """Compose a campaign's poster from an image and the template names of one participation."""
    campaign = loaded.definition
    return compose_poster(
        campaign.poster,
        image,
        render_text=lambda source: render_or("", source, context),
        assets=PosterAssets(
            background_image=loaded.asset(campaign.poster.background_image),
            logo=loaded.asset(campaign.assets.logo),
            brand_font=loaded.asset(campaign.assets.font),
        ),
        qr_url=qr_url,
        aigc=aigc,
        photo=photo,
    )


def make_poster(media: MediaStore, loaded: LoadedCampaign, participation: Participation, image_data: bytes,
                base_url: str) -> dict[str, str]:
    """Compose and store the poster and share card of a participation; return their media paths."""
    campaign = loaded.definition
    image = Image.open(io.BytesIO(image_data))
    image.load()
    context = recorded_context(campaign, participation.answers, participation.outcome, participation.style)
    composed = _compose(
        loaded, image.convert("RGB"), context, poster_url(base_url, participation),
        AigcRecord(produce_id=participation.content_id or new_token(), producer=f"{PRODUCER}/{participation.provider}"),
        photo=_source_photo(media, loaded, participation),
    )
    personal = campaign.shows_photo
    return {
        "poster_path": media.save("posters", composed.poster_jpeg, "jpg", personal=personal),
        "share_card_path": media.save("cards", composed.share_card_jpeg, "jpg", personal=personal),
    }


def warm_up(campaigns: Mapping[str, LoadedCampaign]) -> None:
    """Compose one throw-away poster per campaign, so fonts and layers are loaded before the first job."""
    blank = Image.new("RGB", (64, 64), (200, 200, 200))
    for loaded in campaigns.values():
        campaign = loaded.definition
        try:
            context = recorded_context(campaign, {}, campaign.outcomes[0].id, "")
            _compose(loaded, blank, context, "https://example.com/warm-up",
                     AigcRecord(produce_id="warm-up", producer=PRODUCER))
        except Exception:  # noqa: BLE001 - warming is an optimisation; a real job reports real errors
            log.debug("warm-up of campaign %s failed", loaded.slug, exc_info=True)
