"""Health endpoints for load balancers and operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from posterbooth.db import get_db
from posterbooth.queue import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """Answer 200 while the process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Report whether the database and Redis answer; 503 when one does not."""
    checks: dict[str, str] = {}
    try:
        with get_db().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
