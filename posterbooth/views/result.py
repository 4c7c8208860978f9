"""The attendee's own page: waiting with the real queue position, then the poster."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, session, url_for

from posterbooth.answers import visible_questions
from posterbooth.db import get_db
from posterbooth.devices import device_id
from posterbooth.i18n import FAILURE_MESSAGES, use_locale
from posterbooth.models import ACTIVE_STATUSES, Participation
from posterbooth.participations import by_public_id, progress_fields
from posterbooth.queue import Progress, get_queue, progress
from posterbooth.views import campaigns

bp = Blueprint("result", __name__, url_prefix="/r")


def _participation(public_id: str) -> Participation:
    participation = by_public_id(get_db(), public_id[:40])
    if participation is None:
        abort(404)
    return participation


def _timestamp(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()  # SQLite keeps naive UTC


def _progress(participation: Participation | Any) -> Progress | None:
    """Return the queue position of a participation (or of its progress fields)."""
    concurrency = current_app.config["SETTINGS"].provider_concurrency(participation.provider)
    try:
        if concurrency is None:
            return progress(get_queue(), participation.id, _timestamp(participation.started_at))
        return progress(get_queue(), participation.id, _timestamp(participation.submitted_at),
                        provider=participation.provider, concurrency=concurrency)
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
        from posterbooth.views.share import poster_page

        return poster_page(loaded, participation)
    message = FAILURE_MESSAGES.get(participation.error_code, FAILURE_MESSAGES["internal"])
    if participation.hidden:
        message = FAILURE_MESSAGES["expired" if participation.poster_deleted_at else "removed"]
    can_edit = not participation.hidden and participation.device_id == device_id() and bool(participation.answers)
    return render_template("result/failed.html", message=message, can_edit=can_edit, **context)


@bp.get("/<public_id>/status.json")
def status(public_id: str) -> Any:
    """Return the participation's status for the waiting page's polling script."""
    fields = progress_fields(get_db(), public_id[:40])
    if fields is None:
        abort(404)
    data: dict[str, Any] = {"status": fields.status}
    if fields.status in ACTIVE_STATUSES:
        info = _progress(fields)
        if info is not None:
            data.update(ahead=info.ahead, estimate_seconds=info.estimate_seconds, started=info.started,
                        paused=info.paused)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<public_id>/answers")
def edit_answers(public_id: str) -> Any:
    """Put a failed or refused participation's answers back into the attendee's draft, to change them."""
    participation = _participation(public_id)
    loaded = campaigns().get(participation.campaign)
    if loaded is None or participation.active or participation.status == "done":
        abort(404)
    if participation.device_id != device_id() or participation.hidden:
        abort(403)
    slug = loaded.slug
    drafts = session.get("drafts", {})
    drafts[slug] = {"key": secrets.token_urlsafe(12), "answers": dict(participation.answers),
                    "style": participation.style, "ref": "", "ch": participation.channel}
    session["drafts"] = drafts
    session.permanent = True
    first = visible_questions(loaded.definition, participation.answers)
    target = (url_for("campaign.question", slug=slug, question_id=first[0].id) if first
              else url_for("campaign.landing", slug=slug, again=1))
    return redirect(target, code=303)
