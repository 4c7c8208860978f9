"""Photo questions on the web: taking the upload, signed links to stored photos, deleting them.

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
from posterbooth.db import get_db
from posterbooth.devices import device_id
from posterbooth.i18n import UPLOAD_MESSAGES, use_locale
from posterbooth.participations import by_public_id
from posterbooth.photos import MB, forget_photos, is_upload_path, read_upload_token, upload_url
from posterbooth.schema import PHOTO_ANSWER, Question
from posterbooth.storage import MediaStore
from posterbooth.uploads import UploadError, clean_upload
from posterbooth.views import campaigns

log = logging.getLogger(__name__)

bp = Blueprint("photos", __name__)

#: Room for the form's other fields and the multipart framing on top of the photo itself.
FORM_OVERHEAD = 64 * 1024
FILE_FIELD = "photo"


def media() -> MediaStore:
    """Return the media store of the current app."""
    return MediaStore(current_app.config["MEDIA_DIR"])


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
        from posterbooth.errors import _http_error

        return _http_error(exc)
    loaded, question = found
    use_locale(loaded.definition.locale)
    from posterbooth.views import campaign as pages

    draft = pages._draft(loaded.slug)
    message = UPLOAD_MESSAGES["too_large"] % {"mb": question.max_mb}
    return pages._render_question(loaded, draft, question.id, error=message, status=413)


def init_app(app: Flask) -> None:
    """Raise the request size limit for photo answers; call before the CSRF protection is set up."""
    app.before_request(_raise_limit)
    app.register_error_handler(413, _too_large)


# --- the photo question -------------------------------------------------------------------------

def stored_photo(draft: dict[str, Any], question_id: str) -> str | None:
    """Return the draft's stored upload for a photo question, if the file still exists."""
    relative = (draft.get("uploads") or {}).get(question_id)
    if not relative or not is_upload_path(relative) or media().path(relative) is None:
        return None
    return relative


def photo_context(loaded: LoadedCampaign, draft: dict[str, Any], question: Question) -> dict[str, Any]:
    """Return what the photo question's page shows: the current photo (signed link), consent, retention."""
    relative = stored_photo(draft, question.id)
    return {
        "photo_url": upload_url("", current_app.config["SECRET_KEY"], relative) if relative else "",
        "consented": bool((draft.get("consent") or {}).get(question.id)) or _posted_consent(),
        "retention_days": loaded.definition.privacy.photo_retention_days,
        "too_large_message": UPLOAD_MESSAGES["too_large"] % {"mb": question.max_mb},
    }


def _posted_consent() -> bool:
    """Tell whether this request posted the consent tick (an oversized body is not read)."""
    if request.method != "POST":
        return False
    try:
        return request.form.get("consent") == "yes"
    except RequestEntityTooLarge:
        return False


def _chosen_file() -> Any:
    """Return the first non-empty file posted (the camera and the album inputs share one name)."""
    # A browser sends an unused file input as a part with an empty file name.
    return next((upload for upload in request.files.getlist(FILE_FIELD) if upload.filename), None)


def store_photo(loaded: LoadedCampaign, draft: dict[str, Any], question: Question) -> str | None:
    """Check, clean and store the posted photo in the draft; return the attendee's error message, if any.

    Nothing is written for a refused file. A replaced photo is deleted. Posting without a new file
    keeps the photo already chosen for this question.
    """
    if request.form.get("consent") != "yes":
        return str(UPLOAD_MESSAGES["consent"])
    upload = _chosen_file()
    previous = stored_photo(draft, question.id)
    if upload is None:
        if previous is None:
            return str(UPLOAD_MESSAGES["missing"])
        _remember(draft, question, previous)
        return None
    limit = question.max_mb * MB
    data = upload.read(limit + 1)
    try:
        if len(data) > limit:
            raise UploadError("too_large", f"more than {limit} bytes")
        clean = clean_upload(data, max_bytes=limit)
    except UploadError as exc:
        log.info("photo for %s/%s refused: %s", loaded.slug, question.id, exc)
        if exc.code == "too_large":
            return UPLOAD_MESSAGES["too_large"] % {"mb": question.max_mb}
        return str(UPLOAD_MESSAGES.get(exc.code, UPLOAD_MESSAGES["broken"]))
    finally:
        upload.close()
    relative = media().save("uploads", clean.data, clean.extension)
    if previous is not None and previous != relative:
        media().delete(previous)
    _remember(draft, question, relative)
    return None


def _remember(draft: dict[str, Any], question: Question, relative: str) -> None:
    draft.setdefault("uploads", {})[question.id] = relative
    draft.setdefault("consent", {})[question.id] = True
    draft["answers"][question.id] = PHOTO_ANSWER


def draft_inputs(loaded: LoadedCampaign, draft: dict[str, Any]) -> dict[str, str]:
    """Return the draft's photos by input name (photo, garment...), for the participation."""
    campaign = loaded.definition
    inputs: dict[str, str] = {}
    for question in campaign.photo_questions:
        relative = stored_photo(draft, question.id)
        if relative is not None:
            inputs[campaign.photo_role(question) or question.id] = relative
    return inputs


# --- signed links and deletion -------------------------------------------------------------------

@bp.get("/u/<token>/<name>")
def upload(token: str, name: str) -> Response:
    """Serve a stored photo to whoever holds a fresh signed link (the attendee's page, an image API)."""
    relative = read_upload_token(current_app.config["SECRET_KEY"], token[:400])
    path = media().path(relative) if relative else None
    if path is None or not name.endswith(path.suffix):
        abort(404)
    response = send_file(path, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/r/<public_id>/photo/delete")
def forget(public_id: str) -> Any:
    """Delete the attendee's uploaded photo(s) at once; only from the device that made the poster."""
    participation = by_public_id(get_db(), public_id[:40])
    if participation is None:
        abort(404)
    if participation.device_id != device_id():
        abort(403)
    forget_photos(get_db(), media(), participation.id)
    return redirect(url_for("result.show", public_id=participation.public_id), code=303)
