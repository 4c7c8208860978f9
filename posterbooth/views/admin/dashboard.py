"""The console's front page (every campaign) and a campaign's live overview with its JSON twin."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from posterbooth.console import charts, stats
from posterbooth.console.controls import is_paused
from posterbooth.console.overview import campaign_list, overview
from posterbooth.events import flush_now
from posterbooth.extensions import campaign_problems, get_db
from posterbooth.views.admin.access import campaign_or_404, console_blueprint, operator_required
from posterbooth.views.admin.wall import campaign_wall_url

bp = console_blueprint("admin_dashboard")

#: How often the overview's script asks for fresh numbers (seconds).
POLL_SECONDS = 5
#: Several operators polling one campaign share one computation per this many seconds (per process).
CACHE_SECONDS = 3.0
_cache_lock = threading.Lock()


def _cache() -> dict[tuple[str, str, str | None], tuple[float, dict[str, Any]]]:
    return current_app.extensions.setdefault("posterbooth.console_cache", {})


def _redis() -> Any:
    return current_app.extensions.get("posterbooth.redis")


def step_label(step: dict[str, Any], loaded: Any) -> str:
    """Return the funnel step's name in the console's language."""
    names = {
        "landing_view": _("Landing page"), "start": _("Started"), "submit": _("Submitted"),
        "done": _("Poster made"), "share_view": _("Share page viewed"), "referred_visit": _("Referred visit"),
    }
    if step["kind"] == "answer":
        question = loaded.definition.question(step["step"])
        index = [q.id for q in loaded.definition.questions].index(step["step"]) + 1
        return f"Q{index} {question.title}" if question else step["step"]
    return names.get(step["kind"], step["kind"])


def _charts(data: dict[str, Any], loaded: Any) -> dict[str, Any]:
    funnel_rows = []
    for step in data["funnel"]:
        note = f"−{step['drop_off'] * 100:.0f}%" if step["drop_off"] else ""
        funnel_rows.append((step_label(step, loaded), step["devices"], note))
    timeline = data["timeline"]
    return {
        "funnel": charts.hbars(funnel_rows, title=_("Funnel")),
        "answers": [
            charts.hbars([(o["label"], o["count"], "") for o in q["options"]], title=q["title"])
            for q in data["answers"]["questions"]
        ],
        "outcomes": charts.hbars([(o["title"], o["count"], "") for o in data["answers"]["outcomes"]],
                                 title=_("Outcomes")),
        "timeline": charts.columns(
            [b["done"] for b in timeline], [b["failed"] for b in timeline],
            [datetime.fromisoformat(b["at"]).strftime("%H:%M") for b in timeline],
            title=_("Posters and failures, last 3 hours")),
    }


def problem_banners(slug: str | None = None) -> list[dict[str, Any]]:
    """Return what the console shows of campaign changes that did not load (all, or one campaign's)."""
    live = current_app.extensions["posterbooth.campaigns"]
    root = current_app.config["CAMPAIGNS_DIR"]
    banners = []
    for name, error in sorted(campaign_problems().items()):
        if slug is not None and name != slug:
            continue
        try:
            file = str(Path(error.file).relative_to(root))
        except ValueError:
            file = Path(error.file).name
        banners.append({"slug": name, "live": name in live, "file": file, "line": error.line,
                        "field": error.field, "message": error.message})
    return banners


def _overview_data(slug: str) -> tuple[Any, dict[str, Any]]:
    loaded = campaign_or_404(slug)
    time_range = request.args.get("range", "all")
    if time_range not in stats.RANGES:
        time_range = "all"
    channel = request.args.get("ch")
    channel = channel[:40] if channel is not None and channel != "*" else None
    key = (slug, time_range, channel)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache().get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return loaded, cached[1]
    flush_now()
    data = overview(get_db(), _redis(), loaded, paused=is_paused(get_db(), _redis(), slug),
                    default_provider=current_app.config["IMAGE_PROVIDER"], time_range=time_range, channel=channel)
    with _cache_lock:
        cache = _cache()
        if len(cache) > 200:
            cache.clear()
        cache[key] = (now, data)
    return loaded, data


def forget_overview(slug: str) -> None:
    """Drop the cached overview of a campaign (after an operator changed it)."""
    with _cache_lock:
        cache = _cache()
        for key in [k for k in cache if k[0] == slug]:
            cache.pop(key, None)


@bp.get("/")
@operator_required
def index() -> Any:
    """List every campaign with its state, posters, waiting line, failures and provider."""
    campaigns = current_app.extensions["posterbooth.campaigns"]
    paused = {slug: is_paused(get_db(), _redis(), slug) for slug in campaigns}
    rows = campaign_list(get_db(), _redis(), campaigns, paused, current_app.config["IMAGE_PROVIDER"])
    return render_template("admin/index.html", rows=rows, problems=problem_banners())


@bp.get("/c/<slug>")
@operator_required
def campaign(slug: str) -> Any:
    """Show a campaign's live overview (refreshed by a small script, complete without it)."""
    loaded, data = _overview_data(slug)
    poll_url = url_for("admin_dashboard.campaign_json", slug=slug, range=data["range"],
                       ch="*" if data["channel"] is None else data["channel"])
    return render_template("admin/overview.html", loaded=loaded, o=data, charts=_charts(data, loaded),
                           problems=problem_banners(slug),
                           ranges=list(stats.RANGES), poll=POLL_SECONDS, poll_url=poll_url, step_label=step_label,
                           wall_url=campaign_wall_url(slug))


@bp.get("/c/<slug>/overview.json")
@operator_required
def campaign_json(slug: str) -> Any:
    """Return the overview's numbers, and its live section as HTML for the page's script."""
    loaded, data = _overview_data(slug)
    html = render_template("admin/_live.html", loaded=loaded, o=data, charts=_charts(data, loaded),
                           step_label=step_label)
    return jsonify({**data, "html": html})
