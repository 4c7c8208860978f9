"""Pausing and resuming a campaign, and exporting its participations as CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, redirect, stream_with_context, url_for
from flask_login import current_user

from posterbooth.console.controls import set_paused
from posterbooth.console.export import export_rows
from posterbooth.extensions import get_db
from posterbooth.views.admin.access import admin_required, campaign_or_404, console_blueprint, record, safe_next
from posterbooth.views.admin.dashboard import forget_overview

bp = console_blueprint("admin_control")


def _switch(slug: str, paused: bool) -> Any:
    campaign_or_404(slug)
    set_paused(get_db(), current_app.extensions.get("posterbooth.redis"), slug, paused, current_user.username)
    record("pause" if paused else "resume", campaign=slug)
    forget_overview(slug)
    return redirect(safe_next(url_for("admin_dashboard.campaign", slug=slug)), code=303)


@bp.post("/c/<slug>/pause")
@admin_required
def pause(slug: str) -> Any:
    """Pause a campaign: attendees see a friendly page, queued posters still finish."""
    return _switch(slug, True)


@bp.post("/c/<slug>/resume")
@admin_required
def resume(slug: str) -> Any:
    """Open a paused campaign again."""
    return _switch(slug, False)


@bp.get("/c/<slug>/export.csv")
@admin_required
def export(slug: str) -> Response:
    """Stream every participation as a UTF-8 CSV with a BOM (answers as columns, no photos, no prompts)."""
    loaded = campaign_or_404(slug)
    record("export", campaign=slug)
    rows = export_rows(get_db(), loaded, current_app.config["SECRET_KEY"])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.csv"'
    return response
