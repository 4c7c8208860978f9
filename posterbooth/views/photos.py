"""Photo questions on the web: the upload size limit, signed links to stored photos, deleting them.

The photo question's POST is multipart and may be larger than the app's 2 MB request limit: a
``before_request`` hook (registered ahead of the CSRF check, which reads the form) raises the limit
for that route only, to the question's ``max_mb``. A body over it gets the question page back with a
translated message (413), like any other refused file; earlier answers stay in the draft.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import device_id
from posterbooth.errors import http_error
from posterbooth.extensions import campaigns, get_db
from posterbooth.i18n import UPLOAD_MESSAGES, use_locale
from posterbooth.participations import by_public_id
from posterbooth.photos import MB, forget_photos, read_upload_token
from posterbooth.schema import Question
from posterbooth.views.drafts import get_draft
from posterbooth.views.pages import render_question
from posterbooth.views.photo_answers import media

log = logging.getLogger(__name__)

bp = Blueprint("photos", __name__)

#: Room for the form's other fields and the multipart framing on top of the photo itself.
FORM_OVERHEAD = 64 * 1024


def _photo_question(endpoint: str | None, view_args: dict[str, Any] | None) -> tuple[LoadedCampaign, Question] | None:
    """Return the campaign and photo question a request to campaign.answer is for, if it is one."""
    if endpoint != "campaign.answer" or not view_args:
        return None
    loaded = campaigns().get(str(view_args.get("slug", "")))
    question = loaded.definition.question(str(view_args.get("question_id", ""))) if loaded else None
    if loaded is None or question is None or question.type != "photo":
        return None
    return loaded, question


def _raise_limit() -> None:
    """Let a photo answer be as large as its question allows (other requests keep the 2 MB limit)."""
    if request.method != "POST":
        return
    found = _photo_question(request.endpoint, request.view_args)
    if found is not None:
        request.max_content_length = found[1].max_mb * MB + FORM_OVERHEAD


def _too_large(exc: RequestEntityTooLarge) -> Any:
    """Answer an oversized photo with its question page and a clear message; other 413s as usual."""
    found = _photo_question(request.endpoint, request.view_args)
    if found is None:
        return http_error(exc)
    loaded, question = found
    use_locale(loaded.definition.locale)
    message = UPLOAD_MESSAGES["too_large"] % {"mb": question.max_mb}
    return render_question(loaded, get_draft(loaded.slug), question.id, error=message, status=413)


def init_app(app: Flask) -> None:
    """Raise the request size limit for photo answers; call before the CSRF protection is set up."""
    app.before_request(_raise_limit)
    app.register_error_handler(413, _too_large)


# --- signed links and deletion -------------------------------------------------------------------

@bp.get("/u/<upload_token:token>/<name>")
def upload(token: str, name: str) -> Response:
    """Serve a stored photo to whoever holds a fresh signed link (the attendee's page, an image API)."""
    relative = read_upload_token(current_app.config["SECRET_KEY"], token)
    path = media().path(relative) if relative else None
    if path is None or not name.endswith(path.suffix):
        abort(404)
    response = send_file(path, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/r/<token:public_id>/photo/delete")
def forget(public_id: str) -> Any:
    """Delete the attendee's uploaded photo(s) at once; only from the device that made the poster."""
    participation = by_public_id(get_db(), public_id)
    if participation is None:
        abort(404)
    if participation.device_id != device_id():
        abort(403)
    loaded = campaigns().get(participation.campaign)
    # Images made from the photo go with it (unknown campaign: assume they show it).
    forget_photos(get_db(), media(), participation.id, derived=loaded is None or loaded.definition.shows_photo)
    return redirect(url_for("result.show", public_id=participation.public_id), code=303)
