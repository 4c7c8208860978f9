"""The proof sheet page of a campaign: start a render in a worker, watch its progress, see the posters and report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from rq.exceptions import NoSuchJobError
from rq.job import Job

from posterbooth.extensions import get_queue
from posterbooth.proof import service
from posterbooth.views.admin.access import admin_required, campaign_or_404, console_blueprint, console_error, record

bp = console_blueprint("admin_proof")

#: How often the page asks for progress while a sheet renders (seconds).
POLL_SECONDS = 2
#: rq job statuses after which a run that still says queued or running will never finish.
_DEAD = {"failed", "stopped", "canceled"}


def _media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def job_id(slug: str, run: str) -> str:
    """Return the rq job id of a console run."""
    return f"proof-{slug}-{run}"


def _providers(loaded: Any) -> list[str]:
    """Return the providers an admin may render with: offline, and the campaign's own when it is another."""
    own = loaded.definition.generation.provider or current_app.config.get("IMAGE_PROVIDER", "offline")
    return ["offline"] + ([own] if own != "offline" else [])


def _status(slug: str) -> service.RunStatus | None:
    """Return the newest run's status, marking it failed when its job died without saying so."""
    status = service.latest_run(_media_root(), slug)
    if status is None or not status.active:
        return status
    queue = get_queue()
    try:
        state = Job.fetch(job_id(slug, status.run), connection=queue.connection).get_status(refresh=True)
    except NoSuchJobError:
        state = None
    if state is None or str(getattr(state, "value", state)) in _DEAD:
        service.fail_run(_media_root(), slug, status.run, "the worker's job ended without finishing the sheet")
        status = service.latest_run(_media_root(), slug)
    return status


def _context(slug: str) -> dict[str, Any]:
    loaded = campaign_or_404(slug)
    status = _status(slug)
    report = None
    if status is not None and status.state == "done":
        folder = service.run_dir(_media_root(), slug, status.run)
        report = service.read_report(folder) if folder else None
    return {"loaded": loaded, "status": status, "report": report, "providers": _providers(loaded),
            "kinds": {"cut": _("Cut text"), "overflow": _("Text past its box"), "contrast": _("Low contrast"),
                      "qr": _("QR code"), "unreachable": _("Unreachable outcome"),
                      "never shown": _("Question never shown"), "generation": _("Image failed")}}


@bp.get("/c/<slug>/preview")
@admin_required
def preview(slug: str) -> Any:
    """Show the campaign's newest proof sheet (or its progress) and the button to render a new one."""
    context = _context(slug)
    return render_template("admin/preview.html", poll=POLL_SECONDS, **context)


@bp.get("/c/<slug>/preview.json")
@admin_required
def preview_json(slug: str) -> Any:
    """Return the sheet's live part as HTML, and whether to stop asking (the run ended)."""
    context = _context(slug)
    status = context["status"]
    return jsonify(html=render_template("admin/_preview.html", **context),
                   stop=status is None or not status.active)


@bp.post("/c/<slug>/preview")
@admin_required
def start(slug: str) -> Any:
    """Queue a new proof sheet for a worker to render (one at a time per campaign)."""
    loaded = campaign_or_404(slug)
    provider = request.form.get("provider", "offline")
    if provider not in _providers(loaded):
        return console_error(400, _("Unknown image provider"), _("Choose one of the providers listed on the page."),
                             back_url=url_for("admin_proof.preview", slug=slug))
    status = _status(slug)
    if status is None or not status.active:
        run = service.new_run(_media_root(), slug, provider)
        get_queue().enqueue(service.JOB_FUNCTION, slug, run, provider, job_id=job_id(slug, run),
                            job_timeout=service.JOB_TIMEOUT, result_ttl=24 * 3600, failure_ttl=24 * 3600)
        record("proof", campaign=slug, target=run, detail=provider)
    return redirect(url_for("admin_proof.preview", slug=slug), code=303)


@bp.get("/c/<slug>/preview/<run>/<name>")
@admin_required
def image(slug: str, run: str, name: str) -> Any:
    """Serve a poster or share card of a proof sheet to admins."""
    campaign_or_404(slug)
    path = service.run_file(_media_root(), slug, run, name)
    if path is None:
        abort(404)
    return send_file(path, max_age=0)
