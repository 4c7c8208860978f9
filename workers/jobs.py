"""The rq job functions: thin entry points that hand this process's context to the engine.

Their names are part of what is stored in Redis (``workers.jobs.generate`` is every generation
step's function), so they stay put across upgrades.
"""

from __future__ import annotations

from rq import get_current_job

from posterbooth.generation.edits import run_step
from posterbooth.generation.sweep import requeue_orphans
from posterbooth.proof.service import DEFAULT_BASE_URL, run_job
from posterbooth.retention import purge_expired
from workers.context import get_context


def generate(participation_id: int) -> str:
    """Run the participation's next generation step."""
    job = get_current_job()
    return run_step(get_context(), participation_id, job.id if job is not None else None)


def sweep() -> int:
    """Give a new job to each unfinished participation that has none."""
    ctx = get_context()
    return requeue_orphans(ctx.db, ctx.queue)


def purge() -> str:
    """Delete the photos and posters whose retention has passed."""
    ctx = get_context()
    return str(purge_expired(ctx.db, ctx.media, ctx.campaigns))


def proof(slug: str, run: str, provider: str) -> str:
    """Render a proof sheet the console asked for (posters of every outcome × style, checked)."""
    ctx = get_context()
    return run_job(ctx.campaigns.get(slug), ctx.media.root, slug, run, ctx.provider(provider),
                   ctx.settings.PUBLIC_BASE_URL or DEFAULT_BASE_URL)
