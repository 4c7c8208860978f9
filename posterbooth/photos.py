"""Attendees' photos: where the cleaned uploads live, signed links to them, and deleting them.

A photo question's upload is cleaned (:func:`posterbooth.uploads.clean_upload`) and stored under the
media store's ``uploads`` kind. Until submission only the attendee's draft (the signed session) holds
its relative path; the participation then records the paths in ``Participation.inputs`` (input name →
path). Upload files are never served by the public media route: the attendee's own pages and the
image providers that only take URLs get short-lived signed links (``/u/<token>/<name>``).

Photos are deleted at once when the attendee asks (result page), by the retention job after the
campaign's ``privacy.photo_retention_days`` (:mod:`posterbooth.retention`), and uploads that never became
part of a participation after :data:`DRAFT_UPLOAD_HOURS`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import object_session

from posterbooth.db import Database
from posterbooth.models import Participation, utcnow
from posterbooth.storage import MediaStore
from posterbooth.versions import take_files

log = logging.getLogger(__name__)

UPLOADS = "uploads"
#: How long a signed link to an upload works: long enough for a provider to fetch it, no longer.
UPLOAD_URL_MAX_AGE = 15 * 60
#: Uploads that no participation refers to (abandoned drafts) are deleted after this many hours.
DRAFT_UPLOAD_HOURS = 24
MB = 1024 * 1024
_SALT = "posterbooth.upload-link"


class MissingPhoto(LookupError):
    """A participation's stored photo is gone (deleted by the attendee or by retention)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the {name!r} photo is no longer stored")
        self.name = name


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def is_upload_path(relative: str) -> bool:
    """Tell whether a media path names a stored upload (and nothing else)."""
    parts = relative.split("/")
    return len(parts) == 3 and parts[0] == UPLOADS and ".." not in parts and all(parts)


def sign_upload(secret: str, relative: str) -> str:
    """Return a URL-safe token that names one stored upload."""
    if not is_upload_path(relative):
        raise ValueError(f"not an upload path: {relative!r}")
    return _serializer(secret).dumps(relative)


def read_upload_token(secret: str, token: str, max_age: int = UPLOAD_URL_MAX_AGE) -> str | None:
    """Return the upload path a token names, or None when it is forged, expired or names something else."""
    try:
        relative = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    return relative if isinstance(relative, str) and is_upload_path(relative) else None


def upload_url(base_url: str, secret: str, relative: str) -> str:
    """Return the signed link to an upload under ``base_url`` (absolute) or the site root (base '')."""
    extension = relative.rsplit(".", 1)[-1]
    return f"{base_url.rstrip('/')}/u/{sign_upload(secret, relative)}/photo.{extension}"


def read_inputs(media: MediaStore, inputs: Mapping[str, str]) -> dict[str, bytes]:
    """Return the bytes of a participation's stored photos; raise MissingPhoto when one is gone."""
    found: dict[str, bytes] = {}
    for name, relative in inputs.items():
        path = media.path(relative) if is_upload_path(relative) else None
        if path is None:
            raise MissingPhoto(name)
        found[name] = path.read_bytes()
    return found


def input_urls(base_url: str, secret: str, inputs: Mapping[str, str]) -> dict[str, str]:
    """Return signed links to a participation's photos, or nothing without a public base URL."""
    if not base_url.startswith(("http://", "https://")):
        return {}
    return {name: upload_url(base_url, secret, relative) for name, relative in inputs.items()}


@dataclass(frozen=True)
class ProviderInputs:
    """The photos of one generation request, as bytes and as signed links."""

    data: dict[str, bytes]
    urls: dict[str, str]


def provider_inputs(media: MediaStore, participation: Participation, *, secret: str,
                    base_url: str) -> ProviderInputs:
    """Return what a provider needs of a participation's photos (raise MissingPhoto when one is gone)."""
    inputs = dict(participation.inputs or {})
    if not inputs and participation.inputs_deleted_at is not None:
        raise MissingPhoto("photo")  # deleted (by the attendee) before the poster was made
    if not inputs:
        return ProviderInputs({}, {})
    return ProviderInputs(read_inputs(media, inputs), input_urls(base_url, secret, inputs))


def delete_files(media: MediaStore, paths: Mapping[str, str] | list[str]) -> int:
    """Delete stored uploads; return how many files existed. Only paths under uploads/ are touched."""
    values = list(paths.values()) if isinstance(paths, Mapping) else list(paths)
    return sum(1 for relative in values if is_upload_path(relative) and media.delete(relative))


def erase_photos(participation: Participation, *, derived: bool) -> list[str]:
    """Mark a participation's photos deleted, and with ``derived`` the images made from them (its generated
    picture, poster and share card: it is then hidden); return the media files to delete after the commit."""
    doomed = [str(v) for v in (participation.inputs or {}).values()]
    now = utcnow()
    if participation.inputs:
        participation.inputs = {}
        participation.inputs_deleted_at = now
    made = [p for p in (participation.image_path, participation.poster_path, participation.share_card_path) if p]
    if derived and made:
        doomed += made
        participation.image_path = participation.poster_path = participation.share_card_path = ""
        participation.hidden = True
        participation.poster_deleted_at = now
        session = object_session(participation)
        if session is not None:  # every "change it" version of the poster goes with it
            doomed += take_files(session, participation.id)
    return list(dict.fromkeys(doomed))


def delete_media(media: MediaStore, paths: list[str]) -> int:
    """Delete stored files (uploads, and images with their share thumbnails); return how many existed."""
    return sum(1 for relative in paths if media.delete(relative))


def forget_photos(db: Database, media: MediaStore, participation_id: int, *, derived: bool = True) -> int:
    """Delete a participation's photos now, and (``derived``) every image made from them; record it and
    return how many files were deleted."""
    with db.session() as session:
        participation = session.get(Participation, participation_id, with_for_update=True)
        if participation is None or not participation.inputs:
            return 0
        doomed = erase_photos(participation, derived=derived)
    deleted = delete_media(media, doomed)
    log.info("deleted %d photo file(s) and images made from them of participation %s", deleted, participation_id)
    return deleted
