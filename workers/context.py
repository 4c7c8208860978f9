"""What a worker process loads once: settings, database, campaigns, media store, Redis, providers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import redis
from rq import Queue

from posterbooth.campaigns import LoadedCampaign, load_all
from posterbooth.config import Settings, load_settings
from posterbooth.db import Database
from posterbooth.queue import connect, make_queue
from posterbooth.storage import MediaStore
from workers.providers import make_provider
from workers.providers.base import Provider


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
        """Return the named provider, built once per process."""
        if name not in self.providers:
            self.providers[name] = make_provider(name, os.environ)
        return self.providers[name]


@lru_cache(maxsize=1)
def get_context() -> WorkerContext:
    """Return this process's worker context, loading it on first use."""
    settings = load_settings()
    database = Database(settings.DATABASE_URL)
    database.create_tables()
    connection = connect(settings.REDIS_URL)
    return WorkerContext(
        settings=settings,
        db=database,
        campaigns=load_all(settings.CAMPAIGNS_DIR),
        media=MediaStore(settings.MEDIA_DIR),
        redis=connection,
        queue=make_queue(connection, settings.QUEUE_NAME),
    )
