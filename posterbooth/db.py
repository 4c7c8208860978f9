"""The database: SQLAlchemy engine and sessions, SQLite by default, PostgreSQL by URL (schema: posterbooth.migrate)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            prepare_sqlite_file(url)
            options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()


def prepare_sqlite_file(url: str) -> None:
    """Create a SQLite database's folder (0700) and empty file (0600) first, so neither is ever world-readable."""
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or not url.startswith("sqlite"):
        return
    file = Path(path)
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
