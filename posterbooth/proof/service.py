"""Making proof sheets for the command line and the console: languages, provider, runs kept in MEDIA_DIR/proofs.

A console run lives in ``MEDIA_DIR/proofs/<slug>/<run>/`` (the posters, cards, index.html, report.json and
``status.json``, which the worker rewrites after each poster so the page can show progress). ``/media/`` never
serves that folder; the console serves its files to signed-in admins only.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from posterbooth.campaigns import LoadedCampaign
from posterbooth.config import Settings, load_settings
from posterbooth.proof.run import LANGUAGES, Progress, ProofReport, campaign_languages, run_proof
from posterbooth.proof.sheet import read_report, text_report, write_sheet
from posterbooth.providers import PROVIDER_NAMES, make_provider
from posterbooth.providers.base import Provider
from posterbooth.schema import Campaign

__all__ = ["DEFAULT_BASE_URL", "JOB_FUNCTION", "RunStatus", "build_provider", "latest_run", "make_sheet",
           "new_run", "pick_languages", "read_report", "run_file", "run_job", "text_report"]

log = logging.getLogger(__name__)

#: Base URL of the QR codes when PUBLIC_BASE_URL is unset (as ``campaigns list`` prints).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
#: The rq job function that renders a console run (a thin entry point in workers/jobs.py).
JOB_FUNCTION = "workers.jobs.proof"
#: Longest a console run may take.
JOB_TIMEOUT = 3600
#: Folder of MEDIA_DIR that holds the console's runs (never served by /media/).
PROOFS = "proofs"
STATUS_FILE = "status.json"
#: Runs kept per campaign; older ones are deleted when a new one starts.
KEEP_RUNS = 3
_RUN_RE = re.compile(r"\d{14}-[0-9a-f]{8}")
_FILE_RE = re.compile(r"[a-z]{2}-[a-z0-9_]+-[a-z0-9_]+(?:-card)?\.jpg")


def pick_languages(campaign: Campaign, lang: str) -> list[str]:
    """Return the languages to render for ``--lang`` (zh, en or all); raise ValueError for one it lacks."""
    have = campaign_languages(campaign)
    if lang == "all":
        return have
    if lang not in LANGUAGES.values():
        raise ValueError(f"--lang must be zh, en or all (got {lang!r})")
    if lang not in have:
        raise ValueError(f"campaign {campaign.slug!r} is written in {', '.join(have)} only (locale: {campaign.locale})")
    return [lang]


def build_provider(name: str, settings: Settings | None = None) -> Provider:
    """Return the named image provider (offline needs nothing; others need their credentials)."""
    if name not in PROVIDER_NAMES:
        raise ValueError(f"--provider must be one of {', '.join(PROVIDER_NAMES)} (got {name!r})")
    return make_provider(name, settings or load_settings())


def make_sheet(loaded: LoadedCampaign, out: Path, provider: Provider, *, base_url: str, text: str | None = None,
               languages: list[str] | None = None, progress: Progress | None = None) -> tuple[ProofReport, Path]:
    """Render the proof sheet into ``out`` and write its index.html and report.json."""
    report = run_proof(loaded, out, provider, base_url=base_url, text=text, languages=languages,
                       progress=progress)
    return report, write_sheet(report, out)


# --------------------------------------------------------------------------- console runs


@dataclass
class RunStatus:
    """Where a console run stands (status.json)."""

    run: str
    provider: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    problems: int = 0
    error: str = ""
    started_at: str = ""
    finished_at: str = ""

    @property
    def active(self) -> bool:
        """Tell whether the run is still waiting or rendering."""
        return self.state in {"queued", "running"}


def _runs(media_root: Path, slug: str) -> Path:
    return media_root / PROOFS / slug


def run_dir(media_root: Path, slug: str, run: str) -> Path | None:
    """Return the folder of a run, or None for a malformed run id or a run that does not exist."""
    if not _RUN_RE.fullmatch(run):
        return None
    folder = _runs(media_root, slug) / run
    return folder if folder.is_dir() else None


def _write_status(folder: Path, status: RunStatus) -> None:
    temporary = folder / f".{STATUS_FILE}.tmp"
    temporary.write_text(json.dumps(asdict(status)), encoding="utf-8")
    temporary.replace(folder / STATUS_FILE)


def read_status(folder: Path) -> RunStatus | None:
    """Return a run's status, if its status.json can be read."""
    try:
        data = json.loads((folder / STATUS_FILE).read_text(encoding="utf-8"))
        return RunStatus(**data)
    except (OSError, ValueError, TypeError):
        return None


def new_run(media_root: Path, slug: str, provider: str) -> str:
    """Create a queued run's folder (deleting the oldest finished runs beyond KEEP_RUNS); return its id."""
    run = f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    root = _runs(media_root, slug)
    folder = root / run
    folder.mkdir(parents=True, mode=0o700)
    _write_status(folder, RunStatus(run=run, provider=provider, started_at=datetime.now(UTC).isoformat()))
    older = sorted((p for p in root.iterdir() if _RUN_RE.fullmatch(p.name) and p.name != run), reverse=True)
    for stale in older[KEEP_RUNS - 1:]:
        status = read_status(stale)
        if status is None or not status.active:
            shutil.rmtree(stale, ignore_errors=True)
    return run


def latest_run(media_root: Path, slug: str) -> RunStatus | None:
    """Return the status of the campaign's newest run, if any."""
    root = _runs(media_root, slug)
    if not root.is_dir():
        return None
    runs = sorted((p for p in root.iterdir() if _RUN_RE.fullmatch(p.name)), reverse=True)
    return read_status(runs[0]) if runs else None


def fail_run(media_root: Path, slug: str, run: str, error: str) -> None:
    """Mark a run failed (its job is gone or broke before it could say so)."""
    folder = run_dir(media_root, slug, run)
    status = read_status(folder) if folder else None
    if folder is not None and status is not None and status.active:
        status.state, status.error = "failed", error
        status.finished_at = datetime.now(UTC).isoformat()
        _write_status(folder, status)


def run_file(media_root: Path, slug: str, run: str, name: str) -> Path | None:
    """Return one poster or card file of a run, or None when the names are not those of a run's file."""
    folder = run_dir(media_root, slug, run)
    if folder is None or not _FILE_RE.fullmatch(name):
        return None
    path = folder / name
    return path if path.is_file() else None


def run_job(loaded: LoadedCampaign | None, media_root: Path, slug: str, run: str, provider: Provider,
            base_url: str) -> str:
    """Render a console run (the worker's job), keeping status.json up to date; return the final state."""
    folder = run_dir(media_root, slug, run)
    status = read_status(folder) if folder else None
    if folder is None or status is None:
        return "missing"
    if loaded is None:
        fail_run(media_root, slug, run, f"campaign {slug!r} is not loaded")
        return "failed"
    status.state = "running"
    _write_status(folder, status)

    def progress(done: int, total: int) -> None:
        status.done, status.total = done, total
        _write_status(folder, status)

    try:
        report, _index = make_sheet(loaded, folder, provider, base_url=base_url, progress=progress)
    except Exception as exc:  # noqa: BLE001 - the page must say the run broke, whatever broke it
        log.exception("proof sheet of %s failed", slug)
        status.state, status.error = "failed", f"{type(exc).__name__}: {exc}"
    else:
        status.state, status.problems = "done", len(report.problems)
    status.finished_at = datetime.now(UTC).isoformat()
    _write_status(folder, status)
    return status.state
