"""The event wall in the console: its secret URL, and the approval queue of campaigns with wall.moderation approve."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for

from posterbooth.extensions import get_db
from posterbooth.urls import wall_url
from posterbooth.views import public_base_url
from posterbooth.views.admin.access import (
    admin_required,
    campaign_or_404,
    console_blueprint,
    operator_required,
    record,
    safe_next,
)
from posterbooth.views.wall import forget_feed
from posterbooth.wall import APPROVED, DECISIONS, REJECTED, decide, queue, queue_counts, wall_key

bp = console_blueprint("admin_wall")

#: The queue's tabs: name → wall status of the posters listed.
TABS = {"waiting": "", APPROVED: APPROVED, REJECTED: REJECTED}


def campaign_wall_url(slug: str) -> str:
    """Return the absolute secret URL of the campaign's wall (for the console's pages)."""
    return wall_url(public_base_url(), slug, wall_key(current_app.config["SECRET_KEY"], slug))


@bp.get("/c/<slug>/wall")
@operator_required
def wall_queue(slug: str) -> Any:
    """List the campaign's finished posters waiting for the wall (or approved, or rejected), newest first."""
    loaded = campaign_or_404(slug)
    tab = request.args.get("tab", "waiting")
    if tab not in TABS:
        tab = "waiting"
    db = get_db()
    return render_template("admin/wall.html", loaded=loaded, tab=tab, tabs=list(TABS),
                           items=queue(db, slug, TABS[tab]), counts=queue_counts(db, slug),
                           wall_url=campaign_wall_url(slug))


@bp.post("/c/<slug>/wall/<token>/<decision>")
@admin_required
def wall_decide(slug: str, token: str, decision: str) -> Any:
    """Approve a poster for the wall, or keep it off (reject); recorded in the audit log."""
    campaign_or_404(slug)
    participation = decide(get_db(), slug, token, decision) if decision in DECISIONS else None
    if participation is None:
        abort(404)
    forget_feed(slug)
    record(f"wall_{decision}", campaign=slug, target=participation.share_token)
    return redirect(safe_next(url_for("admin_wall.wall_queue", slug=slug)), code=303)
