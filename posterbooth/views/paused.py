"""An operator's pause switch as attendees meet it: a friendly "paused" page instead of the next step."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from posterbooth.campaigns import LoadedCampaign
from posterbooth.console.controls import is_paused
from posterbooth.errors import error_page
from posterbooth.extensions import get_db


def campaign_paused(slug: str) -> bool:
    """Tell whether an operator paused this campaign (one Redis read)."""
    return is_paused(get_db(), current_app.extensions.get("posterbooth.redis"), slug)


def paused_page(loaded: LoadedCampaign) -> tuple[str, int]:
    """Render the page that replaces a paused campaign's steps; the attendee's draft is kept."""
    return error_page(503, _("Taking a short break"), paused_message())


def paused_message() -> str:
    """Return the attendee's sentence about a paused campaign."""
    return _("The organiser has paused this campaign for a moment. Your answers are kept: "
             "please come back in a few minutes.")
