"""Funnel events (landing view, start, submit, done, share view, referred visit), off the attendee's path.

A request only notes its events in memory. Once its response has been sent (the WSGI ``close()`` of the
response), they are handed to the process's outbox, which sends the events of every request finishing
within ``EVENTS_BATCH_SECONDS`` (0.25 s) to a Redis stream in one pipelined round trip, from a thread of its
own: an attendee never waits for them, a busy process pays one round trip per batch instead of one per
page, and an outage of Redis or the database never breaks a page. ``EVENTS_BATCH_SECONDS=0`` sends each
response's events when it closes. A process that exits sends what is waiting; one that is killed loses
at most one batch. The stream is copied to the ``events`` table
in batches through a consumer group:

- at most every ``FLUSH_INTERVAL`` seconds, by whichever request finishes first (again after its response);
- before the operator's funnel and referral reports are computed (flush on read);
- by ``flask --app app events flush``.

An entry is acknowledged and deleted only after its row is committed; entries of a flusher that died are
claimed by the next one after ``CLAIM_IDLE_MS``, and the stream id is a unique column, so every event is
stored exactly once. ``MAXLEN`` bounds the stream's memory if nothing flushes for a long time.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

import click
import redis
from flask import Flask, Response, after_this_request, current_app, g, has_request_context
from flask.cli import AppGroup
from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from posterbooth import formats
from posterbooth.db import Database
from posterbooth.models import EVENT_KINDS, Event, Participation

log = logging.getLogger(__name__)

STREAM = "posterbooth:events"
GROUP = "db"
FLUSH_DUE_KEY = "posterbooth:events:flush-due"
FLUSH_INTERVAL = 15
MAXLEN = 1_000_000
BATCH = 500
CLAIM_IDLE_MS = 60_000

_FIELDS = ("kind", "campaign", "device", "participation", "ref", "channel", "step")


def _entry(kind: str, campaign: str, device_id: str, participation_id: int | None, ref: str,
           channel: str, step: str = "") -> dict[str, str]:
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    entry = {
        "kind": kind, "campaign": campaign[:64], "device": device_id[:64],
        "participation": "" if participation_id is None else str(participation_id),
        "ref": ref[:16], "channel": channel[:40],
    }
    if step:
        entry["step"] = step[:40]
    return entry


def record(kind: str, campaign: str, *, participation_id: int | None = None, ref: str = "",
           channel: str = "", step: str = "") -> None:
    """Note an event of this request; it reaches Redis after the response has been sent."""
    from posterbooth.devices import device_id

    if not has_request_context():
        raise RuntimeError("events.record() needs a request; use events.emit() elsewhere")
    entry = _entry(kind, campaign, device_id(), participation_id, ref, channel, step)
    pending: list[dict[str, str]] | None = g.get("pb_events")
    if pending is None:
        pending = g.pb_events = []
        connection = current_app.extensions.get("posterbooth.redis")
        database = current_app.extensions.get("posterbooth.db")
        if connection is None or database is None:
            return

        delay = float(current_app.config.get("EVENTS_BATCH_SECONDS", 0.0))

        @after_this_request
        def _later(response: Response) -> Response:
            response.call_on_close(lambda: _outbox.send(connection, database, pending, delay))
            return response

    pending.append(entry)


class _Outbox:
    """Combine the events of requests that finish close together into one round trip to Redis.

    With a delay, a thread of the process's own sends what has gathered every ``delay`` seconds while
    events come in, and sleeps otherwise. Without one, the first request thread to finish pushes; requests
    that finish while it does leave their events to it and return at once, and it pushes those too.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Start empty, with new locks and no thread (also in a forked child, which inherits no thread)."""
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._waiting: list[tuple[redis.Redis, Database | None, list[dict[str, str]]]] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, connection: redis.Redis, database: Database | None, entries: list[dict[str, str]],
             delay: float = 0.0) -> None:
        """Push these entries now, hand them to the push in progress, or to the next batch."""
        with self._lock:
            self._waiting.append((connection, database, entries))
            if delay > 0:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, args=(delay,), name="posterbooth-events",
                                                    daemon=True)
                    self._thread.start()
                self._wake.set()
                return
        self.drain()

    def _run(self, delay: float) -> None:
        while True:
            self._wake.wait()
            time.sleep(delay)  # let the batch gather
            self._wake.clear()
            try:
                self.drain(wait=True)
            except Exception:  # push() never raises; anything else must not end the thread
                log.exception("sending funnel events failed")

    def drain(self, wait: bool = False, timeout: float = -1) -> None:
        """Push every entry waiting now; without ``wait``, leave them to a push already in progress."""
        if not self._sending.acquire(blocking=wait, timeout=timeout if wait else -1):
            return  # the thread pushing now takes these too: it stops only when nothing waits
        while True:
            with self._lock:
                batch, self._waiting = self._waiting, []
                if not batch:
                    self._sending.release()  # under the lock: an entry added after this finds it free
                    return
            try:
                targets: dict[tuple[int, int], tuple[redis.Redis, Database | None, list[dict[str, str]]]] = {}
                for target, target_db, items in batch:
                    targets.setdefault((id(target), id(target_db)), (target, target_db, []))[2].extend(items)
                for target, target_db, items in targets.values():
                    push(target, target_db, items)
            except BaseException:
                self._sending.release()
                raise


_outbox = _Outbox()
os.register_at_fork(after_in_child=_outbox._reset)
# A process that exits (gunicorn's graceful restart, Ctrl-C) sends what is waiting.
atexit.register(lambda: _outbox.drain(wait=True, timeout=2.0))


def emit(connection: redis.Redis, kind: str, campaign: str, *, device_id: str = "",
         participation_id: int | None = None, ref: str = "", channel: str = "") -> None:
    """Add one event to the stream now (for workers and scripts; web requests use record())."""
    push(connection, None, [_entry(kind, campaign, device_id, participation_id, ref, channel)])


def push(connection: redis.Redis, database: Database | None, entries: list[dict[str, str]]) -> None:
    """Append entries to the stream in one round trip, then flush if it is due; never raise."""
    if not entries:
        return
    try:
        pipe = connection.pipeline(transaction=False)
        for entry in entries:
            pipe.xadd(STREAM, cast("dict[Any, Any]", entry), maxlen=MAXLEN, approximate=True)
        if database is not None:
            pipe.set(FLUSH_DUE_KEY, "1", nx=True, ex=FLUSH_INTERVAL)
        results = pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not record %d funnel events: %s", len(entries), exc)
        return
    if database is not None and results[-1]:
        flush(database, connection)


def _consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(connection: redis.Redis) -> None:
    try:
        connection.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def flush(database: Database, connection: redis.Redis, *, batch: int = BATCH, budget: float = 2.0) -> int:
    """Copy pending stream entries to the events table; return how many rows were stored. Never raise."""
    stored = 0
    deadline = time.monotonic() + budget
    consumer = _consumer()
    try:
        _ensure_group(connection)
        claimed = connection.xautoclaim(STREAM, GROUP, consumer, min_idle_time=CLAIM_IDLE_MS,
                                        start_id="0-0", count=batch)
        entries = list(claimed[1]) if claimed else []
        while True:
            if not entries:
                answer = cast("list[Any]", connection.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=batch))
                entries = list(answer[0][1]) if answer else []
            entries = [(entry_id, fields) for entry_id, fields in entries if fields]
            if not entries:
                break
            stored += _store(database, entries)
            ids = [entry_id for entry_id, _fields in entries]
            pipe = connection.pipeline(transaction=False)
            pipe.xack(STREAM, GROUP, *ids)
            pipe.xdel(STREAM, *ids)
            pipe.execute()
            entries = []
            if time.monotonic() >= deadline:
                break
    except (redis.RedisError, SQLAlchemyError) as exc:
        # Unacknowledged entries stay pending and are claimed again by a later flush.
        log.warning("flushing funnel events stopped after %d rows: %s", stored, exc)
    return stored


def _text(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return "".join(c for c in text if c.isprintable()) if not text.isprintable() else text


def _row(entry_id: str, fields: dict[Any, Any]) -> dict[str, Any]:
    data = {_text(k): _text(v) for k, v in fields.items()}
    millis = int(entry_id.split("-", 1)[0])
    participation = data.get("participation", "")
    return {
        "stream_id": entry_id,
        "kind": data.get("kind", "")[:20],
        "campaign": data.get("campaign", "")[:64],
        "device_id": data.get("device", "")[:64],
        "participation_id": int(participation) if participation.isdigit() else None,
        "ref_code": formats.referral_code(data.get("ref", "")),
        "referrer_id": None,
        "channel": data.get("channel", "")[:40],
        "step": data.get("step", "")[:40],
        "created_at": datetime.fromtimestamp(millis / 1000, UTC),
    }


def _store(database: Database, entries: Iterable[tuple[Any, dict[Any, Any]]]) -> int:
    rows = []
    for entry_id, fields in entries:
        try:
            rows.append(_row(_text(entry_id), fields))
        except (ValueError, OverflowError, OSError) as exc:
            log.warning("set aside funnel event %s that cannot be read: %s", _text(entry_id), type(exc).__name__)
    rows = [row for row in rows if row["kind"] in EVENT_KINDS and row["campaign"]]
    if not rows:
        return 0
    with database.session() as session:
        known = set(session.scalars(select(Event.stream_id).where(
            Event.stream_id.in_([row["stream_id"] for row in rows]))))
        rows = [row for row in rows if row["stream_id"] not in known]
        codes = {row["ref_code"] for row in rows if row["ref_code"]}
        referrers: dict[tuple[str, str], int] = {}
        if codes:
            for pid, code, campaign in session.execute(
                select(Participation.id, Participation.referral_code, Participation.campaign)
                .where(Participation.referral_code.in_(codes))
            ):
                referrers[(campaign, code)] = pid
    for row in rows:
        row["referrer_id"] = referrers.get((row["campaign"], row["ref_code"]))
    if not rows:
        return 0
    try:
        with database.session() as session:
            session.execute(insert(Event), rows)
        return len(rows)
    except (IntegrityError, DataError):
        # Another flusher stored some of these in the meantime (an entry claimed twice), or one entry does
        # not fit its column: store the others one by one and set those aside.
        return _retry_one_by_one(database, rows)


def flush_now() -> int:
    """Flush pending events with the current app's database and Redis (for reports and the CLI)."""
    connection = current_app.extensions.get("posterbooth.redis")
    if connection is None:
        return 0
    _outbox.drain(wait=True)  # this process's events still gathering for their batch count too
    return flush(current_app.extensions["posterbooth.db"], connection, budget=10.0)


def _retry_one_by_one(database: Database, rows: list[dict[str, Any]]) -> int:
    stored = 0
    for row in rows:
        try:
            with database.session() as session:
                session.execute(insert(Event), [row])
            stored += 1
        except IntegrityError:
            continue
        except DataError as exc:
            log.warning("set aside funnel event %s that the database refused: %s", row["stream_id"],
                        type(exc.orig).__name__ if exc.orig is not None else "DataError")
    return stored


def init_app(app: Flask) -> None:
    """Register ``flask --app app events flush``."""
    group = AppGroup("events", help="Funnel events.")

    @group.command("flush")
    def flush_command() -> None:
        """Copy the funnel events waiting in Redis to the database."""
        click.echo(f"{flush_now()} events stored")

    app.cli.add_command(group)
