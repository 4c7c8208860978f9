"""The attendee's own page: waiting with the real queue position, then the poster."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import redis
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, url_for

from posterbooth.answers import visible_questions
from posterbooth.devices import device_id
from posterbooth.draft import new_draft
from posterbooth.extensions import get_db, get_queue
from posterbooth.generation.progress import Progress, progress
from posterbooth.i18n import FAILURE_MESSAGES, use_locale
from posterbooth.models import ACTIVE_STATUSES, Participation
from posterbooth.participations import by_public_id, progress_fields
from posterbooth.providers import concurrency
from posterbooth.versions import pending
from posterbooth.views import campaigns
from posterbooth.views.drafts import save_draft
from posterbooth.views.edits import edit_context, edit_progress

bp = Blueprint("result", __name__, url_prefix="/r")


def _participation(public_id: str) -> Participation:
    participation = by_public_id(get_db(), public_id)
    if participation is None:
        abort(404)
    return participation


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _progress(participation: Participation | Any) -> Progress | None:
    """Return the queue position of a participation (or of its progress fields)."""
    limit = concurrency(current_app.config["SETTINGS"], participation.provider)
    try:
        if limit is None:
            return progress(get_queue(), participation.id, _timestamp(participation.started_at))
        return progress(get_queue(), participation.id, _timestamp(participation.submitted_at),
                        provider=participation.provider, concurrency=limit)
    except redis.exceptions.RedisError:
        return None


@bp.get("/<token:public_id>")
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

        editing = pending(get_db(), participation.id) if loaded.definition.edits else None
        if editing is not None and participation.device_id == device_id():  # a "change it" edit is being made
            return render_template("result/waiting.html", editing=editing,
                                   progress=_progress(edit_progress(participation, editing)), **context)
        return poster_page(loaded, participation, **edit_context(loaded, participation))
    message = FAILURE_MESSAGES.get(participation.error_code, FAILURE_MESSAGES["internal"])
    if participation.hidden:
        message = FAILURE_MESSAGES["expired" if participation.poster_deleted_at else "removed"]
        if participation.poster_deleted_at and participation.inputs_deleted_at == participation.poster_deleted_at:
            message = FAILURE_MESSAGES["photo_deleted"]
    can_edit = not participation.hidden and participation.device_id == device_id() and bool(participation.answers)
    return render_template("result/failed.html", message=message, can_edit=can_edit, **context)


@bp.get("/<token:public_id>/status.json")
def status(public_id: str) -> Any:
    """Return the participation's status for the waiting page's polling script."""
    fields = progress_fields(get_db(), public_id[:40])
    if fields is None:
        abort(404)
    data: dict[str, Any] = {"status": fields.status}
    editing = pending(get_db(), fields.id) if fields.status == "done" else None
    if editing is not None:  # a "change it" edit: the page waits for the new version
        data["status"] = editing.status
        fields = edit_progress(fields, editing)
    if data["status"] in ACTIVE_STATUSES:
        info = _progress(fields)
        if info is not None:
            data.update(ahead=info.ahead, estimate_seconds=info.estimate_seconds, started=info.started,
                        paused=info.paused)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<token:public_id>/answers")
def edit_answers(public_id: str) -> Any:
    """Put a failed or refused participation's answers back into the attendee's draft, to change them."""
    participation = _participation(public_id)
    loaded = campaigns().get(participation.campaign)
    if loaded is None or participation.active or participation.status == "done":
        abort(404)
    if participation.device_id != device_id() or participation.hidden:
        abort(403)
    slug = loaded.slug
    save_draft(slug, new_draft(answers=participation.answers, style=participation.style,
                               channel=participation.channel))
    first = visible_questions(loaded.definition, participation.answers)
    target = (url_for("campaign.question", slug=slug, question_id=first[0].id) if first
              else url_for("campaign.landing", slug=slug, again=1))
    return redirect(target, code=303)
