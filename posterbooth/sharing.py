"""What a poster's result and share pages need to be shared: texts, absolute URLs, WeChat, thumbnails."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, current_app, request, url_for
from PIL import Image

from posterbooth.aigc import AigcRecord, read_aigc
from posterbooth.campaigns import LoadedCampaign
from posterbooth.models import Participation
from posterbooth.prompt import TemplateProblem, recorded_context, render
from posterbooth.storage import MediaStore, write_atomically
from posterbooth.views import public_base_url
from posterbooth.wechat import WeChatCredentials, credentials_from_config, is_wechat

#: The JS-SDK script, the only external resource a page may load, and only inside WeChat.
JSSDK_URL = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
#: Hosts the JS-SDK may come from (the second is WeChat's documented fallback).
JSSDK_HOSTS = ("https://res.wx.qq.com", "https://res2.wx.qq.com")
#: Side of the square thumbnail WeChat shows next to a shared link.
THUMB_SIZE = 400

_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'{extra}; connect-src 'self'; font-src 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'self'"
)
#: Content-Security-Policy of pages that load the JS-SDK (inside WeChat, with credentials set).
CSP_WITH_JSSDK = _CSP.format(extra=" " + " ".join(JSSDK_HOSTS))


@dataclass(frozen=True)
class ShareTexts:
    """The words of a poster's link card and share sheet."""

    title: str
    description: str
    #: What the attendee typed (text answers), shown on the share page as their personal line.
    personal: tuple[str, ...]


def share_texts(loaded: LoadedCampaign, participation: Participation) -> ShareTexts:
    """Render the campaign's share title and description for one participation (plain text)."""
    campaign = loaded.definition
    outcome = campaign.outcome(participation.outcome) or campaign.outcomes[0]
    context = recorded_context(campaign, participation.answers, participation.outcome, participation.style)
    try:
        title = render(campaign.share.title, context)
        description = render(campaign.share.description, context) if campaign.share.description else ""
    except TemplateProblem:
        title, description = campaign.title, ""
    description = description or outcome.description or campaign.intro
    personal = tuple(
        str(participation.answers[q.id]).strip()
        for q in campaign.questions
        if q.type == "text" and str(participation.answers.get(q.id) or "").strip()
    )
    return ShareTexts(title=title or campaign.title, description=_shorten(description, 160), personal=personal)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def absolute(path: str) -> str:
    """Return an absolute URL for a path on this site."""
    return public_base_url() + path


def is_own_page_url(url: str) -> bool:
    """Return True if url is an http(s) URL on this site's public host (the only URLs we sign)."""
    if not url or len(url) > 2048 or any(c in url for c in "\r\n\t \\"):
        return False
    try:
        parts = urlsplit(url)
        own = urlsplit(public_base_url())
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or parts.username is not None or parts.password is not None:
        return False
    return bool(parts.netloc) and parts.netloc.lower() == own.netloc.lower()


# --------------------------------------------------------------------------- WeChat

def wechat_credentials() -> WeChatCredentials | None:
    """Return this app's WeChat credentials (built once), or None when WECHAT_APP_ID/SECRET are unset."""
    extensions = current_app.extensions
    if "posterbooth.wechat" not in extensions:
        connection = extensions.get("posterbooth.redis")
        config = current_app.config
        extensions["posterbooth.wechat"] = (
            credentials_from_config(
                config.get("WECHAT_APP_ID"), config.get("WECHAT_APP_SECRET"), config.get("WECHAT_API_BASE"),
                connection, transport=extensions.get("posterbooth.wechat_transport"),
            )
            if connection is not None
            else None
        )
    return extensions["posterbooth.wechat"]


def in_wechat() -> bool:
    """Return True when this request comes from WeChat's in-app browser."""
    return is_wechat(request.headers.get("User-Agent"))


def use_jssdk() -> bool:
    """Return True when the page should load the JS-SDK: inside WeChat, with credentials configured."""
    return in_wechat() and bool(current_app.config.get("WECHAT_APP_ID") and current_app.config.get(
        "WECHAT_APP_SECRET"))


def finish_page(response: Response, jssdk: bool) -> Response:
    """Mark a page that differs by user agent, and let it load the JS-SDK when it does."""
    response.vary.add("User-Agent")
    response.headers["Cache-Control"] = "private, no-cache"
    if jssdk:
        response.headers["Content-Security-Policy"] = CSP_WITH_JSSDK
    return response


# --------------------------------------------------------------------------- the square thumbnail

def thumbnail_path(media: MediaStore, participation: Participation,
                   before_drawing: Callable[[], None] | None = None) -> Path | None:
    """Return the square thumbnail of a finished poster, making it on first use; None if impossible.

    ``before_drawing`` runs only when the thumbnail has to be drawn (a rate limit may stop it there).
    """
    card = media.path(participation.share_card_path)
    source = media.path(participation.image_path)
    if card is None and source is None:
        return None
    anchor = card or source
    assert anchor is not None
    target = anchor.with_name(anchor.stem + "-thumb.jpg")
    if target.is_file():
        return target
    if before_drawing is not None:
        before_drawing()
    loaded = current_app.extensions["posterbooth.campaigns"].get(participation.campaign)
    data = make_thumbnail(loaded, source, card, fallback_id=participation.content_id)
    write_atomically(target, data)
    return target


def make_thumbnail(loaded: LoadedCampaign | None, image_path: Path | None, card_path: Path | None,
                   fallback_id: str = "") -> bytes:
    """Return a labelled THUMB_SIZE square JPEG: the generated picture, or the share card's picture half."""
    from posterbooth.poster import PosterAssets, cover, draw_label, encode_jpeg

    card_bytes = card_path.read_bytes() if card_path is not None else b""
    if image_path is not None:
        with Image.open(image_path) as opened:
            picture = opened.convert("RGB")
    else:
        with Image.open(io.BytesIO(card_bytes)) as opened:
            card = opened.convert("RGB")
        picture = card.crop((0, 0, card.height, card.height))
    thumb = cover(picture, THUMB_SIZE, THUMB_SIZE)
    if loaded is not None:
        campaign = loaded.definition
        assets = PosterAssets(brand_font=loaded.asset(campaign.assets.font))
        draw_label(thumb, campaign.poster.label, assets, margin=14)
    found = (read_aigc(card_bytes) if card_bytes else None) or {}
    record = AigcRecord(
        produce_id=str(found.get("ProduceID", fallback_id)), producer=str(found.get("ContentProducer", "Posterbooth")),
        propagator=str(found.get("ContentPropagator", "")), propagate_id=str(found.get("PropagateID", "")),
        reserved_code1=str(found.get("ReservedCode1", "")), reserved_code2=str(found.get("ReservedCode2", "")),
    )
    return encode_jpeg(thumb, record)


def share_links(participation: Participation) -> dict[str, str]:
    """Return the absolute share page, thumbnail and card URLs and the relative poster URL of a poster."""
    poster = url_for("media.file", relative=participation.poster_path)
    card = url_for("media.file", relative=participation.share_card_path) if participation.share_card_path else poster
    return {
        "page": absolute(url_for("share.show", token=participation.share_token)),
        # An edited poster's thumbnail (cached a day) changes with the chosen version: its URL says which.
        "thumb": absolute(url_for("share.thumbnail", token=participation.share_token,
                                  v=participation.chosen_version if participation.chosen_version > 1 else None)),
        "card": absolute(card),
        "poster": poster,
    }
