"""What a worker process loads once: settings, database, campaigns, media store, Redis, providers, limits."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis
from rq import Queue

from posterbooth.campaign_registry import CampaignRegistry
from posterbooth.campaign_versions import stored_definition
from posterbooth.campaigns import LoadedCampaign
from posterbooth.config import Settings
from posterbooth.db import Database
from posterbooth.generation.circuit import Circuit
from posterbooth.generation.queue import connect, make_queue
from posterbooth.generation.slots import Semaphore
from posterbooth.models import Participation
from posterbooth.providers import PROVIDER_NAMES, concurrency, make_provider
from posterbooth.providers.base import Provider, ProviderError
from posterbooth.storage import MediaStore

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    """Long-lived objects a job uses, shared by the jobs of one process."""

    settings: Settings
    db: Database
    #: The live campaigns: they follow the campaigns folder (looked at when read, at most every few seconds).
    campaigns: CampaignRegistry
    media: MediaStore
    redis: redis.Redis
    queue: Queue
    providers: dict[str, Provider] = field(default_factory=dict)

    def provider(self, name: str) -> Provider:
        """Return the named provider, built once per process; missing credentials pause the provider."""
        if name not in self.providers:
            try:
                self.providers[name] = make_provider(name, self.settings)
            except ValueError as exc:
                # e.g. TENCENTCLOUD_SECRET_KEY unset: an account problem, fixed by the operator.
                raise ProviderError("account", "NotConfigured", str(exc)) from None
        return self.providers[name]

    def semaphore(self, name: str) -> Semaphore | None:
        """Return the concurrency semaphore of a provider account, or None when it has no limit."""
        limit = concurrency(self.settings, name)
        return None if limit is None else Semaphore(self.redis, name, limit)

    def circuit(self, name: str) -> Circuit:
        """Return a provider's circuit breaker."""
        return Circuit(self.redis, name, cooldown=self.settings.PROVIDER_PAUSE_SECONDS)

    def campaign_for(self, participation: Participation) -> LoadedCampaign | None:
        """Return the campaign as it was when the participation was submitted (the live one when that version
        is live or unknown); None when the campaign is gone."""
        slug, version = participation.campaign, participation.campaign_version
        return self.campaigns.for_version(slug, version, lambda: stored_definition(self.db, slug, version))

    def close(self) -> None:
        """Close the providers' HTTP clients, the database pool and the Redis connections."""
        close_providers(self.providers)
        self.db.dispose()
        self.redis.close()

    def providers_in_use(self) -> set[str]:
        """Return the providers the default setting and the loaded campaigns name."""
        return providers_in_use(self.settings, self.campaigns)


def providers_in_use(settings: Settings, campaigns: Mapping[str, LoadedCampaign]) -> set[str]:
    """Return the providers the default setting and the campaigns name."""
    names = {settings.IMAGE_PROVIDER}
    names.update(c.definition.generation.provider or settings.IMAGE_PROVIDER for c in campaigns.values())
    return {n for n in names if n in PROVIDER_NAMES}


def close_providers(providers: dict[str, Provider]) -> None:
    """Close the HTTP clients of providers that have any, and forget the providers."""
    for provider in providers.values():
        close = getattr(provider, "close", None)
        if close is not None:
            close()
    providers.clear()


def build_context(settings: Settings) -> WorkerContext:
    """Load a worker context from settings."""
    connection = connect(settings.REDIS_URL)
    context = WorkerContext(
        settings=settings,
        db=Database(settings.DATABASE_URL),
        campaigns=CampaignRegistry(settings.CAMPAIGNS_DIR, interval=settings.CAMPAIGN_RELOAD_SECONDS),
        media=MediaStore(settings.MEDIA_DIR),
        redis=connection,
        queue=make_queue(connection, settings.QUEUE_NAME),
    )
    # A context dropped without close() (tests load several) still closes its providers' connections.
    weakref.finalize(context, close_providers, context.providers)
    return context
