"""The public share page of a poster (/s/<token>), its square thumbnail, and the attendee's poster page."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from posterbooth import events
from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import device_id
from posterbooth.errors import error_page
from posterbooth.extensions import get_db
from posterbooth.i18n import FAILURE_MESSAGES, use_locale
from posterbooth.models import Participation
from posterbooth.participations import by_share_token
from posterbooth.security import allow_image_draw
from posterbooth.sharing import (
    JSSDK_URL,
    finish_page,
    in_wechat,
    share_links,
    share_texts,
    thumbnail_path,
    use_jssdk,
)
from posterbooth.storage import MediaStore
from posterbooth.views import campaigns, public_base_url

bp = Blueprint("share", __name__, url_prefix="/s")


def _shared(token: str, page: bool = False) -> tuple[LoadedCampaign, Participation]:
    participation = by_share_token(get_db(), token[:40])
    if participation is None or participation.status != "done":
        abort(404)
    loaded = campaigns().get(participation.campaign)
    if loaded is None:
        abort(404)
    if participation.hidden:
        if not page:
            abort(404)
        use_locale(loaded.definition.locale)
        abort(make_response(error_page(410, _("This poster was removed"), FAILURE_MESSAGES[
            "expired" if participation.poster_deleted_at else "removed"])))
    return loaded, participation


def _share_context(loaded: LoadedCampaign, participation: Participation) -> dict[str, Any]:
    campaign = loaded.definition
    texts = share_texts(loaded, participation)
    links = share_links(participation)
    jssdk = use_jssdk()
    return {
        "loaded": loaded, "campaign": campaign, "p": participation,
        "outcome": campaign.outcome(participation.outcome) or campaign.outcomes[0],
        "texts": texts, "links": links, "in_wechat": in_wechat(), "jssdk": jssdk, "jssdk_url": JSSDK_URL,
        "share_data": {
            "title": texts.title, "desc": texts.description, "link": links["page"], "img": links["thumb"],
            "sign": url_for("wechat.signature") if jssdk else "",
        },
    }


@dataclass(frozen=True)
class _SharePage:
    html: str
    slug: str
    participation_id: int
    referral_code: str


#: Rendered share pages, kept briefly: a poster shared widely is looked up once per process every few seconds,
#: and hiding one (moderation) reaches its share page at once in this process, within SHARE_PAGE_SECONDS in others.
SHARE_PAGE_SECONDS = 5
_pages: TTLCache[tuple[Any, ...], _SharePage] = TTLCache(maxsize=2048, ttl=SHARE_PAGE_SECONDS)
_pages_lock = threading.Lock()


def forget_share_page(token: str) -> None:
    """Drop this process's rendered copies of a poster's share page (it was hidden or restored)."""
    with _pages_lock:
        for key in [key for key in _pages if key[1] == token[:40]]:
            _pages.pop(key, None)


def _render_share_page(token: str) -> _SharePage:
    loaded, participation = _shared(token, page=True)
    campaign = loaded.definition
    use_locale(campaign.locale)
    context = _share_context(loaded, participation)
    try_url = url_for("campaign.landing", slug=campaign.slug, ref=participation.referral_code, again=1)
    html = render_template(
        "share/share.html", **context, try_url=try_url,
        page_url=context["links"]["page"], site_url=public_base_url(),
        logo_url=url_for("campaign.asset", slug=campaign.slug, kind="logo") if campaign.assets.logo else "",
    )
    return _SharePage(html, campaign.slug, participation.id, participation.referral_code)


@bp.get("/<token:token>")
def show(token: str) -> Any:
    """Show a shared poster, its personal line and a 'try it yourself' button, with a full link card."""
    jssdk = use_jssdk()
    key = (id(current_app), token[:40], in_wechat(), jssdk, public_base_url(), request.script_root)
    with _pages_lock:
        page = _pages.get(key)
    if page is None:
        page = _render_share_page(token)
        with _pages_lock:
            _pages[key] = page
    events.record("share_view", page.slug, participation_id=page.participation_id, ref=page.referral_code)
    return finish_page(make_response(page.html), jssdk)


def _allow_drawing() -> None:
    if not allow_image_draw(current_app.config["IMAGE_RATE_LIMIT"]):
        abort(429)


@bp.get("/<token:token>/thumb.jpg")
def thumbnail(token: str) -> Any:
    """Return the poster's labelled square thumbnail, the picture of WeChat's share card."""
    _loaded, participation = _shared(token)
    path = thumbnail_path(MediaStore(current_app.config["MEDIA_DIR"]), participation, _allow_drawing)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def poster_page(loaded: LoadedCampaign, participation: Participation, **extra: Any) -> Any:
    """Render the attendee's finished poster with the ways to save and share it that fit their browser.

    Someone else's device (a friend who got this page's link) is sent to the share page, whose
    'try it yourself' button carries the referral code.
    """
    share_url = url_for("share.show", token=participation.share_token)
    if participation.device_id != device_id():
        return redirect(share_url)
    context = _share_context(loaded, participation)
    campaign = loaded.definition
    name = f"{campaign.slug}-poster.jpg"
    response = make_response(render_template(
        "result/poster.html", **context, poster_url=context["links"]["poster"], share_url=share_url,
        download_name=name, poster_file=name, **extra,
    ))
    return finish_page(response, context["jssdk"])
