"""Posters of a campaign, newest first, a participation's detail, and taking a poster down or back up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from posterbooth.console.accounts import audit_entries
from posterbooth.console.takedown import can_restore, hide, restore
from posterbooth.extensions import get_db
from posterbooth.models import Participation
from posterbooth.storage import MediaStore
from posterbooth.views.admin.access import (
    admin_required,
    campaign_or_404,
    console_blueprint,
    console_error,
    operator_required,
    record,
    safe_next,
)
from posterbooth.views.share import forget_share_page

bp = console_blueprint("admin_gallery")

PAGE_SIZE = 24
#: Gallery filters: name → condition on the participations.
FILTERS = {
    "all": None,
    "done": (Participation.status == "done") & (Participation.hidden.is_(False)),
    "active": Participation.status.in_(("queued", "running")),
    "failed": Participation.status == "failed",
    "refused": Participation.status == "rejected",
    "hidden": Participation.hidden.is_(True),
}


def _media() -> MediaStore:
    return MediaStore(current_app.config["MEDIA_DIR"])


def _by_token(token: str) -> Participation:
    with get_db().session() as session:
        participation = session.scalar(select(Participation).where(Participation.share_token == token[:40]))
    if participation is None:
        abort(404)
    return participation


@bp.get("/c/<slug>/gallery")
@operator_required
def gallery(slug: str) -> Any:
    """Show a page of the campaign's participations, newest first, filtered by status."""
    loaded = campaign_or_404(slug)
    status = request.args.get("status", "all")
    if status not in FILTERS:
        status = "all"
    page = request.args.get("page", "1")
    page_number = max(1, min(int(page) if page.isdigit() else 1, 100_000))
    query = select(Participation).where(Participation.campaign == slug)
    counter = select(func.count(Participation.id)).where(Participation.campaign == slug)
    condition = FILTERS[status]
    if condition is not None:
        query, counter = query.where(condition), counter.where(condition)
    with get_db().session() as session:
        total = session.scalar(counter) or 0
        items = list(session.scalars(query.order_by(Participation.id.desc())
                                     .offset((page_number - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("admin/gallery.html", loaded=loaded, items=items, status=status, filters=list(FILTERS),
                           page=page_number, pages=pages, total=total)


@bp.get("/p/<token>")
@operator_required
def participation(token: str) -> Any:
    """Show one participation: answers, outcome, prompt, provider, timings, job id and error detail."""
    item = _by_token(token)
    loaded = campaign_or_404(item.campaign)
    media = _media()
    photos = {name: path for name, path in (item.inputs or {}).items() if media.path(path) is not None}
    history = [e for e in audit_entries(get_db(), item.campaign, limit=500) if e.target == item.share_token]
    return render_template("admin/participation.html", loaded=loaded, p=item, photos=photos,
                           restorable=can_restore(Path(media.root), item), history=history[:20])


@bp.get("/p/<token>/image/<kind>")
@operator_required
def image(token: str, kind: str) -> Any:
    """Serve a participation's poster or picture to operators (hidden ones included)."""
    item = _by_token(token)
    relative = {"poster": item.poster_path, "picture": item.image_path or item.poster_path}.get(kind)
    path = _media().path(relative or "")
    if path is None:
        abort(404)
    return send_file(path, max_age=0)


@bp.get("/p/<token>/photo/<name>")
@admin_required
def photo(token: str, name: str) -> Any:
    """Serve an attendee's uploaded photo to admins, while it still exists."""
    item = _by_token(token)
    path = _media().path((item.inputs or {}).get(name, ""))
    if path is None:
        abort(404)
    return send_file(path, max_age=0)


@bp.post("/p/<token>/hide")
@admin_required
def hide_poster(token: str) -> Any:
    """Take a poster down: its share page says removed, its files answer 404."""
    item = _by_token(token)
    if item.active:
        return console_error(409, _("This poster is still being made"),
                             _("Wait until it is finished, then hide it."),
                             back_url=url_for("admin_gallery.participation", token=token))
    hide(get_db(), Path(current_app.config["MEDIA_DIR"]), token)
    forget_share_page(token)
    record("hide", campaign=item.campaign, target=item.share_token, detail=request.form.get("reason", "")[:200])
    return redirect(safe_next(url_for("admin_gallery.participation", token=token)), code=303)


@bp.post("/p/<token>/restore")
@admin_required
def restore_poster(token: str) -> Any:
    """Put a hidden poster back while its files still exist."""
    item = _by_token(token)
    forget_share_page(token)
    if restore(get_db(), Path(current_app.config["MEDIA_DIR"]), token) is None:
        return console_error(409, _("This poster cannot be restored"),
                             _("It is not hidden, or its files were deleted when the storage period ended."),
                             back_url=url_for("admin_gallery.participation", token=token))
    record("restore", campaign=item.campaign, target=item.share_token)
    return redirect(safe_next(url_for("admin_gallery.participation", token=token)), code=303)


def is_admin() -> bool:
    """Tell whether the signed-in operator may act."""
    return bool(current_user.is_authenticated and current_user.is_admin)
