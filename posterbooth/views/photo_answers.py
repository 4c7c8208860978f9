"""Answering a photo question: checking, cleaning and keeping the upload in the draft, and what the page shows."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from posterbooth.campaigns import LoadedCampaign
from posterbooth.i18n import UPLOAD_MESSAGES
from posterbooth.photos import MB, is_upload_path, upload_url
from posterbooth.schema import PHOTO_ANSWER, Question
from posterbooth.storage import MediaStore
from posterbooth.uploads import UploadError, clean_upload, upload_side

log = logging.getLogger(__name__)

FILE_FIELD = "photo"


def media() -> MediaStore:
    """Return the media store of the current app."""
    return MediaStore(current_app.config["MEDIA_DIR"])


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
        clean = clean_upload(data, max_bytes=limit, max_side=upload_side(loaded.definition.generation.kind))
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
