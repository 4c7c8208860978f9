"""The database: SQLAlchemy engine and sessions, SQLite by default, PostgreSQL by URL (schema: posterbooth.migrate)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

#: Seconds a pooled PostgreSQL connection may sit unused before its next checkout pings it first.
PING_AFTER_IDLE = 10.0


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            prepare_sqlite_file(url)
            options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine, "checkout", self._ping_if_idle)
            event.listen(self.engine, "checkin", _note_checkin)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Lookups that change nothing: no BEGIN, no COMMIT, just the query (one round trip).
        self.reader: Engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.reads = sessionmaker(self.reader, expire_on_commit=False)

    def _ping_if_idle(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        """Ping a pooled connection that sat idle (the server may have closed it); a busy one needs no ping."""
        idle_since = record.info.get("checked_in_at")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            self.engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error types differ; the pool reconnects on this one
            raise DisconnectionError(str(exc)) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reading only, without a transaction."""
        session = self.reads()
        try:
            yield session
        finally:
            session.close()

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


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


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
