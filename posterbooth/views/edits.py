""""Change it" edits on the attendee's result page: ask for a new version, and choose which version is shown.

HTTP only: the rules are in :mod:`posterbooth.versions`; the worker makes the version
(:mod:`posterbooth.generation.edits`). Both routes answer only the device that made the poster.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for

from posterbooth.answers import AnswerError
from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import device_id
from posterbooth.extensions import get_db, get_queue
from posterbooth.generation.queue import enqueue_step
from posterbooth.i18n import ANSWER_MESSAGES, EDIT_MESSAGES, use_locale
from posterbooth.models import Participation, PosterVersion
from posterbooth.participations import by_public_id
from posterbooth.security import answer_limits
from posterbooth.versions import (
    EDIT_MAX_LENGTH,
    EditRefused,
    can_edit,
    check_instruction,
    choose,
    edits_used,
    request_edit,
    versions,
)
from posterbooth.views import campaigns

bp = Blueprint("edits", __name__, url_prefix="/r")


def edit_context(loaded: LoadedCampaign, participation: Participation, *, error: str = "",
                 instruction: str = "") -> dict[str, Any]:
    """Return what the poster page shows of the versions and the edit form (nothing without edits)."""
    campaign = loaded.definition
    if not campaign.edits:
        return {}
    found = versions(get_db(), participation.id)
    used = edits_used(found)
    last = found[-1] if found else None
    if not error and last is not None and last.number > 1 and last.status in ("failed", "rejected"):
        error = str(EDIT_MESSAGES[last.status])
    return {
        "versions": [v for v in found if v.status == "done" and v.poster_path],
        "can_edit": can_edit(campaign, participation) and used < campaign.edits,
        "edits_left": max(0, campaign.edits - used), "edits_used_up": used >= campaign.edits,
        "edit_error": error, "instruction": instruction, "edit_max_length": EDIT_MAX_LENGTH,
    }


def edit_progress(participation: Participation, version: PosterVersion) -> Any:
    """Return an object with the fields the queue position needs, for an edit being made."""
    return SimpleNamespace(id=participation.id, provider=participation.provider, started_at=version.created_at,
                           submitted_at=version.submitted_at)


def _own(public_id: str) -> tuple[LoadedCampaign, Participation]:
    participation = by_public_id(get_db(), public_id)
    loaded = campaigns().get(participation.campaign) if participation is not None else None
    if participation is None or loaded is None:
        abort(404)
    if participation.device_id != device_id():
        abort(403)
    use_locale(loaded.definition.locale)
    return loaded, participation


def _page_again(loaded: LoadedCampaign, participation: Participation, error: str, instruction: str,
                status: int) -> Any:
    """Show the poster page again with the message and the typed instruction kept."""
    from posterbooth.views.share import poster_page

    response = current_app.make_response(poster_page(
        loaded, participation, **edit_context(loaded, participation, error=error, instruction=instruction)))
    response.status_code = status
    return response


@bp.post("/<token:public_id>/edit")
@answer_limits
def edit(public_id: str) -> Any:
    """Ask for a new version of the poster with a short instruction; it is made in the queue like a poster."""
    loaded, participation = _own(public_id)
    if not loaded.definition.edits or participation.status != "done" or participation.hidden:
        abort(404)
    raw = request.form.get("instruction", "")
    try:
        instruction = check_instruction(loaded.definition, raw,
                                        current_app.extensions.get("posterbooth.blocklist", []))
        request_edit(get_db(), loaded.definition, participation.id, instruction)
    except AnswerError as exc:
        message = EDIT_MESSAGES["missing"] if exc.code == "missing" else ANSWER_MESSAGES[exc.code] % exc.params
        return _page_again(loaded, participation, str(message), raw[:EDIT_MAX_LENGTH * 4], 422)
    except EditRefused as exc:
        return _page_again(loaded, participation, str(EDIT_MESSAGES[exc.code]), raw[:EDIT_MAX_LENGTH * 4], 409)
    enqueue_step(get_queue(), participation.id)
    return redirect(url_for("result.show", public_id=participation.public_id), code=303)


@bp.post("/<token:public_id>/v/<int:number>")
@answer_limits
def choose_version(public_id: str, number: int) -> Any:
    """Show another finished version: on the result page, the share page, its card, thumbnail and the wall."""
    loaded, participation = _own(public_id)
    if not loaded.definition.edits or not choose(get_db(), participation.id, number):
        abort(404)
    from posterbooth.views.share import forget_share_page

    forget_share_page(participation.share_token)
    return redirect(url_for("result.show", public_id=participation.public_id), code=303)
