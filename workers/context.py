"""This process's worker context: loaded once, warmed before the first job, closed on demand (tests)."""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from posterbooth.config import load_settings
from posterbooth.generation.context import WorkerContext, build_context
from posterbooth.generation.posters import warm_up
from posterbooth.models import Participation
from posterbooth.providers import check_settings
from posterbooth.providers.base import ProviderError

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def get_context() -> WorkerContext:
    """Return this process's worker context, loading it on first use."""
    settings = load_settings()
    check_settings(settings)
    return build_context(settings)


def close_context() -> None:
    """Close and forget this process's worker context, if one was loaded (tests load several)."""
    if get_context.cache_info().currsize:
        get_context().close()
    get_context.cache_clear()


def warm(ctx: WorkerContext) -> None:
    """Load fonts and layers, compile the main query and build the providers once, before the first job."""
    warm_up(ctx.campaigns)
    with ctx.db.session() as session:
        session.get(Participation, 0)  # compiles the statement the jobs use most
    for name in sorted(ctx.providers_in_use()):
        try:
            ctx.provider(name)
        except ProviderError as exc:
            log.error("image provider %s is not usable: %s", name, exc.message)


def _forget_connections_in_child() -> None:
    """Make a forked job open database connections of its own instead of sharing the parent's."""
    if get_context.cache_info().currsize:
        get_context().db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)
