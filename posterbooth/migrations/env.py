"""Alembic environment: runs Posterbooth's migrations on the connection :mod:`posterbooth.migrate` hands it."""

from __future__ import annotations

from alembic import context

from posterbooth.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `flask --app app db upgrade` (posterbooth.migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
