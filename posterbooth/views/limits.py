"""What an attendee sees when a campaign is full, full for today, over budget, or cannot count right now."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import redis
from flask import current_app, render_template
from flask_babel import gettext as _

from posterbooth import budget, caps
from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import device_id, wechat_openid
from posterbooth.extensions import get_db, get_redis

log = logging.getLogger(__name__)


def budgets() -> budget.Budgets:
    """Return the price table and account budgets of the settings."""
    return budget.Budgets.from_settings(current_app.config["SETTINGS"])


def attendee(loaded: LoadedCampaign) -> str:
    """Return who the per-attendee caps count for this request: the WeChat user (identity: wechat), or the device."""
    openid = wechat_openid() if loaded.definition.identity == "wechat" else ""
    return caps.attendee_key(device_id(), openid)


def refusal_now(loaded: LoadedCampaign) -> caps.CapReached | None:
    """Return why a new participation would be refused now, or None (also when the counters cannot be read)."""
    campaign = loaded.definition
    provider = campaign.generation.provider or current_app.config["IMAGE_PROVIDER"]
    try:
        return (caps.check_landing(get_redis(), get_db(), campaign, attendee(loaded))
                or budget.check_landing(get_redis(), get_db(), budgets(), campaign, provider,
                                        campaign.generation.kind))
    except redis.exceptions.RedisError:
        log.warning("campaign %s: cap counters unreachable; showing the landing page as open", loaded.slug)
        return None


def _when(loaded: LoadedCampaign, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(loaded.definition.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({loaded.definition.timezone})"


def explain(loaded: LoadedCampaign, refused: caps.CapReached) -> tuple[str, str]:
    """Return the title and message that tell the attendee why the campaign takes no participation now."""
    limits = loaded.definition.limits
    reopens = _when(loaded, refused.reopens) if refused.reopens else ""
    match refused.kind:
        case "total":
            return _("This campaign is full"), _("All the posters of this campaign have been made. Thank you for "
                                                 "your interest!")
        case "per_day":
            return _("Full for today"), _("Today's posters have all been made. It opens again at %(time)s.",
                                          time=reopens)
        case "per_attendee":
            return _("You have made all your posters"), _("Each person can make %(num)d posters in this campaign.",
                                                          num=limits.per_attendee or 0)
        case "per_attendee_per_day":
            return _("That's all for today"), _("Each person can make %(num)d posters a day. Come back after "
                                                "%(time)s.", num=limits.per_attendee_per_day or 0, time=reopens)
        case _ if reopens:
            return _("Taking a break until tomorrow"), _("This campaign has used its budget for today. It opens "
                                                         "again at %(time)s.", time=reopens)
    return _("This campaign is over budget"), _("This campaign has used its whole budget. Thank you for your "
                                                "interest!")


def refused_page(loaded: LoadedCampaign, refused: caps.CapReached, back_url: str) -> tuple[str, int]:
    """Render the page of a submission the campaign could not take, saying the answers are kept."""
    title, message = explain(loaded, refused)
    kept = (_("Your answers are kept on this phone: come back to them when it opens again.") if refused.reopens
            else _("Your answers are kept on this phone."))
    return render_template("campaign/unavailable.html", loaded=loaded, campaign=loaded.definition, title=title,
                           message=message, kept=kept, back_url=back_url), 403


def busy_page(loaded: LoadedCampaign, back_url: str) -> tuple[str, int]:
    """Render the page of a submission a capped campaign could not count (Redis away); the answers are kept."""
    return render_template("campaign/unavailable.html", loaded=loaded, campaign=loaded.definition,
                           title=_("Very busy right now"), message=_("Please try again in a moment."),
                           kept=_("Your answers are kept on this phone."), back_url=back_url), 503
