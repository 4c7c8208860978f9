"""The attendee's own page: waiting with the real queue position, then the poster."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, abort, jsonify, render_template, url_for

from posterbooth.db import get_db
from posterbooth.i18n import FAILURE_MESSAGES, use_locale
from posterbooth.models import Participation
from posterbooth.participations import by_public_id
from posterbooth.queue import Progress, get_queue, progress
from posterbooth.views import campaigns

bp = Blueprint("result", __name__, url_prefix="/r")


def _participation(public_id: str) -> Participation:
    participation = by_public_id(get_db(), public_id[:40])
    if participation is None:
        abort(404)
    return participation


def _progress(participation: Participation) -> Progress | None:
    started = participation.started_at.timestamp() if participation.started_at else None
    try:
        return progress(get_queue(), participation.id, started)
    except redis.exceptions.RedisError:
        return None


def media_url(relative: str) -> str:
    """Return the URL of a stored media file."""
    return url_for("media.file", relative=relative)


@bp.get("/<public_id>")
def show(public_id: str) -> Any:
    """Show the waiting page, the poster, or what went wrong."""
    participation = _participation(public_id)
    loaded = campaigns().get(participation.campaign)
    if loaded is None:
        abort(404)
    use_locale(loaded.definition.locale)
    context: dict[str, Any] = {"loaded": loaded, "campaign": loaded.definition, "p": participation}
    if participation.active:
        context["progress"] = _progress(participation)
        return render_template("result/waiting.html", **context)
    if participation.status == "done" and not participation.hidden:
        outcome = loaded.definition.outcome(participation.outcome)
        return render_template(
            "result/poster.html", outcome=outcome, poster_url=media_url(participation.poster_path),
            share_url=url_for("share.show", token=participation.share_token, _external=False), **context,
        )
    message = FAILURE_MESSAGES.get(participation.error_code, FAILURE_MESSAGES["internal"])
    if participation.hidden:
        message = FAILURE_MESSAGES["removed"]
    return render_template("result/failed.html", message=message, **context)


@bp.get("/<public_id>/status.json")
def status(public_id: str) -> Any:
    """Return the participation's status for the waiting page's polling script."""
    participation = _participation(public_id)
    data: dict[str, Any] = {"status": participation.status}
    if participation.active:
        info = _progress(participation)
        if info is not None:
            data.update(ahead=info.ahead, estimate_seconds=info.estimate_seconds, started=info.started)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
