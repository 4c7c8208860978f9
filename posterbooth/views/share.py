"""The public share page of a poster (/s/<token>), its square thumbnail, and the attendee's poster page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, send_file, url_for

from posterbooth import events
from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import device_id
from posterbooth.extensions import get_db
from posterbooth.i18n import use_locale
from posterbooth.models import Participation
from posterbooth.participations import by_share_token
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


def _shared(token: str) -> tuple[LoadedCampaign, Participation]:
    participation = by_share_token(get_db(), token)
    if participation is None or participation.status != "done" or participation.hidden:
        abort(404)
    loaded = campaigns().get(participation.campaign)
    if loaded is None:
        abort(404)
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


@bp.get("/<token:token>")
def show(token: str) -> Any:
    """Show a shared poster, its personal line and a 'try it yourself' button, with a full link card."""
    loaded, participation = _shared(token)
    campaign = loaded.definition
    use_locale(campaign.locale)
    context = _share_context(loaded, participation)
    events.record("share_view", campaign.slug, participation_id=participation.id,
                  ref=participation.referral_code)
    try_url = url_for("campaign.landing", slug=campaign.slug, ref=participation.referral_code, again=1)
    response = make_response(render_template(
        "share/share.html", **context, try_url=try_url,
        page_url=context["links"]["page"], site_url=public_base_url(),
        logo_url=url_for("campaign.asset", slug=campaign.slug, kind="logo") if campaign.assets.logo else "",
    ))
    return finish_page(response, context["jssdk"])


@bp.get("/<token:token>/thumb.jpg")
def thumbnail(token: str) -> Any:
    """Return the poster's labelled square thumbnail, the picture of WeChat's share card."""
    _loaded, participation = _shared(token)
    path = thumbnail_path(MediaStore(current_app.config["MEDIA_DIR"]), participation)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def poster_page(loaded: LoadedCampaign, participation: Participation) -> Any:
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
        download_name=name, poster_file=name,
    ))
    return finish_page(response, context["jssdk"])
