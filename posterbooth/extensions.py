"""The web app's services, attached with ``init_app`` and reached from views: database, Redis, queue, campaigns."""

from __future__ import annotations

from collections.abc import Mapping

import redis
from flask import Flask, current_app
from rq import Queue

from posterbooth.campaign_registry import CampaignRegistry
from posterbooth.campaigns import CampaignError, LoadedCampaign
from posterbooth.db import Database
from posterbooth.generation.queue import connect, make_queue


def init_app(app: Flask) -> None:
    """Attach the database and, when REDIS_URL is set, the Redis connection and the generation queue."""
    app.extensions["posterbooth.db"] = Database(app.config["DATABASE_URL"])
    if not app.config["REDIS_URL"]:
        return  # command-line tools that need no queue
    connection = connect(app.config["REDIS_URL"])
    app.extensions["posterbooth.redis"] = connection
    app.extensions["posterbooth.queue"] = make_queue(connection, app.config["QUEUE_NAME"])


def get_db() -> Database:
    """Return the current app's database."""
    return current_app.extensions["posterbooth.db"]


def get_queue() -> Queue:
    """Return the current app's generation queue."""
    return current_app.extensions["posterbooth.queue"]


def get_redis() -> redis.Redis:
    """Return the current app's Redis connection."""
    return current_app.extensions["posterbooth.redis"]


def campaigns() -> Mapping[str, LoadedCampaign]:
    """Return the live campaigns by slug (a :class:`CampaignRegistry`: it follows the campaigns folder)."""
    return current_app.extensions["posterbooth.campaigns"]


def campaign_problems() -> dict[str, CampaignError]:
    """Return the error of each campaign folder whose latest change did not load (its last good version is live)."""
    registry = current_app.extensions["posterbooth.campaigns"]
    return registry.problems() if isinstance(registry, CampaignRegistry) else {}
