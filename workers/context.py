"""What a worker process loads once: settings, database, campaigns, media store, Redis, providers, limits."""

from __future__ import annotations

import logging
import os
import sys
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import redis
from rq import Queue

from posterbooth.campaigns import LoadedCampaign, load_all
from posterbooth.config import Settings, load_settings
from posterbooth.db import Database
from posterbooth.queue import connect, make_queue
from posterbooth.storage import MediaStore
from workers.circuit import Circuit
from workers.limits import Semaphore
from workers.providers import PROVIDER_NAMES, make_provider
from workers.providers.base import Provider, ProviderError

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    """Long-lived objects a job uses, shared by the jobs of one process."""

    settings: Settings
    db: Database
    campaigns: dict[str, LoadedCampaign]
    media: MediaStore
    redis: redis.Redis
    queue: Queue
    providers: dict[str, Provider] = field(default_factory=dict)

    def provider(self, name: str) -> Provider:
        """Return the named provider, built once per process; missing credentials pause the provider."""
        if name not in self.providers:
            try:
                self.providers[name] = make_provider(name, os.environ)
            except ValueError as exc:
                # e.g. TENCENTCLOUD_SECRET_KEY unset: an account problem, fixed by the operator.
                raise ProviderError("account", "NotConfigured", str(exc)) from None
        return self.providers[name]

    def semaphore(self, name: str) -> Semaphore | None:
        """Return the concurrency semaphore of a provider account, or None when it has no limit."""
        limit = self.settings.provider_concurrency(name)
        return None if limit is None else Semaphore(self.redis, name, limit)

    def circuit(self, name: str) -> Circuit:
        """Return a provider's circuit breaker."""
        return Circuit(self.redis, name, cooldown=self.settings.PROVIDER_PAUSE_SECONDS)

    def close(self) -> None:
        """Close the providers' HTTP clients, the database pool and the Redis connections."""
        _close_providers(self.providers)
        self.db.dispose()
        self.redis.close()

    def providers_in_use(self) -> set[str]:
        """Return the providers the default setting and the loaded campaigns name."""
        names = {self.settings.IMAGE_PROVIDER}
        names.update(c.definition.generation.provider for c in self.campaigns.values())
        return {n for n in names if n in PROVIDER_NAMES}


def _close_providers(providers: dict[str, Provider]) -> None:
    """Close the HTTP clients of providers that have any, and forget the providers."""
    for provider in providers.values():
        close = getattr(provider, "close", None)
        if close is not None:
            close()
    providers.clear()


def build_context(settings: Settings) -> WorkerContext:
    """Load a worker context from settings."""
    database = Database(settings.DATABASE_URL)
    database.create_tables()
    connection = connect(settings.REDIS_URL)
    context = WorkerContext(
        settings=settings,
        db=database,
        campaigns=load_all(settings.CAMPAIGNS_DIR),
        media=MediaStore(settings.MEDIA_DIR),
        redis=connection,
        queue=make_queue(connection, settings.QUEUE_NAME),
    )
    # A context dropped without close() (tests load several) still closes its providers' connections.
    weakref.finalize(context, _close_providers, context.providers)
    return context


def close_context() -> None:
    """Close and forget this process's worker context, if one was loaded (tests load several)."""
    if get_context.cache_info().currsize:
        get_context().close()
    get_context.cache_clear()


@lru_cache(maxsize=1)
def get_context() -> WorkerContext:
    """Return this process's worker context, loading it on first use.

    In the ``python -m workers`` process (which loads it before taking jobs and
    forks one child per job) it also warms what every job needs, so children
    inherit it, and starts the timer thread (:mod:`workers.timer`).
    """
    ctx = build_context(load_settings())
    if _is_worker_command():
        _warm(ctx)
        from workers.timer import start_timer

        start_timer(ctx.settings)
    return ctx


def _forget_connections_in_child() -> None:
    """Make a forked job open database connections of its own instead of sharing the parent's."""
    if get_context.cache_info().currsize:
        get_context().db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)


def _is_worker_command() -> bool:
    """Tell whether this process is ``python -m workers`` (not an rq CLI worker's job child, not a test)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name == "workers.__main__"


def _warm(ctx: WorkerContext) -> None:
    """Import the job code and build the providers once, before forking."""
    from posterbooth.models import Participation
    from workers.jobs import warm_up

    warm_up(ctx)
    with ctx.db.session() as session:
        session.get(Participation, 0)  # compiles the statement the jobs use most, once for all children
    for name in sorted(ctx.providers_in_use()):
        try:
            ctx.provider(name)
        except ProviderError as exc:
            log.error("image provider %s is not usable: %s", name, exc.message)
