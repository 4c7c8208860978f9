"""Serving stored images with long cache headers."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file

from posterbooth.storage import MediaStore, is_personal

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<media_path:relative>")
def file(relative: str) -> Response:
    """Serve a stored image; names are random, so it may be cached for a year (unless made from a photo).

    Attendees' uploaded photos are not served here: only through short-lived signed links.
    """
    store = MediaStore(current_app.config["MEDIA_DIR"])
    path = store.path(relative)
    if path is None or path.suffix.lower() not in {".jpg", ".png", ".gif", ".webp"}:
        abort(404)
    if path.relative_to(store.root.resolve()).parts[0] in {"uploads", "removed", "proofs"}:
        # removed: taken down; proofs: the console's proof sheets, for signed-in admins only
        abort(404)
    if is_personal(relative):
        # Made from an attendee's photo: deleted with it, so caches must ask again (and soon get a 404).
        response = send_file(path, max_age=0, conditional=True)
        response.headers["Cache-Control"] = "public, max-age=300, must-revalidate"
        return response
    response = send_file(path, max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
