"""Schema migrations with Alembic: bring a database to the newest revision, adopting pre-migration ones.

``flask --app app db upgrade`` runs :func:`upgrade` in scaled mode; ``python app.py`` runs it once at
start in embedded mode, before any worker starts. Web processes and workers never migrate: they only
check (:func:`pending`) and say so. Revisions live in ``posterbooth/migrations/versions/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from posterbooth.db import prepare_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001_baseline"
#: Columns Posterbooth 0.1 added to older databases at start-up; a database adopted at the baseline gets any
#: it lacks first, so that the baseline's description of it is true.
_LEGACY_COLUMNS = {
    "participations": {
        "provider_submissions": "INTEGER NOT NULL DEFAULT 0",
        "retries": "INTEGER NOT NULL DEFAULT 0",
        "inputs": "JSON NOT NULL DEFAULT '{}'",
        "inputs_deleted_at": "TIMESTAMP WITH TIME ZONE",
        "poster_deleted_at": "TIMESTAMP WITH TIME ZONE",
    },
}
#: PostgreSQL advisory lock key held while migrating, so two upgrades never run at once.
_LOCK = 7_061_993


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head() -> str:
    """Return the newest revision."""
    return ScriptDirectory.from_config(_config()).get_current_head() or BASELINE


def current(engine: Engine) -> str | None:
    """Return the database's revision (None for an empty or pre-migration database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending(engine: Engine) -> bool:
    """Tell whether the database needs ``flask --app app db upgrade``."""
    return current(engine) != head()


def _adopt_legacy(connection: Connection) -> None:
    """Stamp a database made before migrations at the baseline, after adding the columns 0.1 added itself."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if "alembic_version" in tables or "participations" not in tables:
        return
    for table, columns in _LEGACY_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        for name, ddl in columns.items():
            if name not in present:
                if connection.dialect.name == "sqlite":
                    ddl = ddl.replace(" WITH TIME ZONE", "")
                connection.execute(text(f'ALTER TABLE {table} ADD COLUMN "{name}" {ddl}'))
    command.stamp(_config(connection), BASELINE)


def upgrade(url: str, revision: str = "head") -> str:
    """Migrate the database at ``url`` to ``revision``; return the revision it is at."""
    prepare_sqlite_file(url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            _adopt_legacy(connection)
            command.upgrade(_config(connection), revision)
        return current(engine) or ""
    finally:
        engine.dispose()
