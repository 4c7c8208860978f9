"""The public share page of a poster: /s/<token>."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, url_for

from posterbooth.db import get_db
from posterbooth.i18n import use_locale
from posterbooth.participations import by_share_token
from posterbooth.prompt import TemplateProblem, render, template_context
from posterbooth.views import campaigns, public_base_url

bp = Blueprint("share", __name__, url_prefix="/s")


@bp.get("/<token>")
def show(token: str) -> Any:
    """Show a shared poster with the campaign title and a 'try it yourself' button."""
    participation = by_share_token(get_db(), token[:40])
    if participation is None or participation.status != "done" or participation.hidden:
        abort(404)
    loaded = campaigns().get(participation.campaign)
    if loaded is None:
        abort(404)
    campaign = loaded.definition
    use_locale(campaign.locale)
    outcome = campaign.outcome(participation.outcome) or campaign.outcomes[0]
    context = template_context(campaign, participation.answers, outcome, campaign.style(participation.style))
    try:
        title = render(campaign.share.title, context)
        description = render(campaign.share.description, context) if campaign.share.description else ""
    except TemplateProblem:
        title, description = campaign.title, campaign.intro
    base = public_base_url()
    return render_template(
        "share/share.html", loaded=loaded, campaign=campaign, p=participation, outcome=outcome,
        share_title=title, share_description=description,
        poster_url=url_for("media.file", relative=participation.poster_path),
        card_url=base + url_for("media.file", relative=participation.share_card_path),
        page_url=base + url_for("share.show", token=token),
        try_url=url_for("campaign.landing", slug=campaign.slug, ref=participation.referral_code, again=1),
    )
