"""Health endpoints for load balancers and operators.

``/readyz`` answers 503 only when this web process cannot serve attendees (the
database or Redis is down). A paused image provider (its circuit is open after
an account or billing error) does not make the web unready: attendees can still
submit and keep their place in line, so the answer stays 200 with status
``degraded`` and the provider's state, for operators and monitoring.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from posterbooth.db import get_db
from posterbooth.queue import get_redis
from posterbooth.views import campaigns

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """Answer 200 while the process is up."""
    return jsonify(status="ok")


def _providers_in_use() -> list[str]:
    names = {current_app.config["IMAGE_PROVIDER"]}
    names.update(c.definition.generation.provider for c in campaigns().values())
    return sorted(n for n in names if n)


@bp.get("/readyz")
def readyz() -> Any:
    """Report the database, Redis and each image provider's circuit; 503 when the database or Redis is down."""
    from workers.circuit import read_state
    from workers.limits import Semaphore

    checks: dict[str, str] = {}
    try:
        with get_db().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    providers: dict[str, dict[str, object]] = {}
    try:
        connection = get_redis()
        connection.ping()
        checks["redis"] = "ok"
        settings = current_app.config["SETTINGS"]
        for name in _providers_in_use():
            providers[name] = read_state(connection, name).as_json()
            limit = settings.provider_concurrency(name)
            if limit is not None:
                semaphore = Semaphore(connection, name, limit)
                providers[name].update(concurrency=limit, in_flight=semaphore.in_use(), waiting=semaphore.waiting())
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    paused = any(state["state"] != "closed" for state in providers.values())
    status = "unavailable" if not ready else "degraded" if paused else "ok"
    return jsonify(status=status, checks=checks, providers=providers), 200 if ready else 503
