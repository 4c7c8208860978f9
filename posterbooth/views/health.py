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

from posterbooth.extensions import get_db, get_redis
from posterbooth.generation.circuit import read_state
from posterbooth.generation.context import providers_in_use
from posterbooth.generation.slots import Semaphore
from posterbooth.migrate import pending
from posterbooth.providers import concurrency, missing_credentials
from posterbooth.views import campaigns

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """Answer 200 while the process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Report the database, Redis and each image provider's circuit; 503 when the database or Redis is down."""
    checks: dict[str, str] = {}
    try:
        with get_db().engine.connect() as db_connection:
            db_connection.execute(text("SELECT 1"))
        checks["database"] = "ok" if not pending(get_db().engine) else "error: run flask --app app db upgrade"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    providers: dict[str, dict[str, object]] = {}
    try:
        connection = get_redis()
        connection.ping()
        checks["redis"] = "ok"
        settings = current_app.config["SETTINGS"]
        for name in sorted(providers_in_use(settings, campaigns())):
            providers[name] = read_state(connection, name).as_json()
            if missing_credentials(settings, name):
                providers[name]["configured"] = False
            limit = concurrency(settings, name)
            if limit is not None:
                semaphore = Semaphore(connection, name, limit)
                providers[name].update(concurrency=limit, in_flight=semaphore.in_use(), waiting=semaphore.waiting())
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    paused = any(state["state"] != "closed" for state in providers.values())
    status = "unavailable" if not ready else "degraded" if paused else "ok"
    return jsonify(status=status, checks=checks, providers=providers), 200 if ready else 503
