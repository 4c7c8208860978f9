"""Run an rq worker for Posterbooth's queue: ``python -m workers`` (embedded mode uses this)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time

import redis
from rq import worker_registration
from sqlalchemy.exc import SQLAlchemyError

from posterbooth.config import PUBLIC_BASE_URL_MISSING, ConfigError, load_settings
from posterbooth.fonts import find_cjk_font
from posterbooth.generation.clock import start_clock
from posterbooth.generation.queue import connect, make_queue
from posterbooth.migrate import pending
from workers.context import get_context, warm
from workers.registration import RegisteringSimpleWorker, RegisteringWorker

log = logging.getLogger("posterbooth.worker")


def main(argv: list[str] | None = None) -> int:
    """Start a worker that processes generation jobs until stopped."""
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--name", default=None, help="worker name shown by rq")
    parser.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    parser.add_argument("--parent-pid", type=int, default=0, help="stop when this process (the app) is gone")
    parser.add_argument("--fork", action="store_true",
                        help="run each job in a forked child (rq's default; slower, isolates crashes)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"posterbooth worker: cannot start: {exc}", file=sys.stderr)
        return 2
    if not settings.REDIS_URL:
        print("REDIS_URL is not set: start the app with `python app.py`, or set REDIS_URL.", file=sys.stderr)
        return 2
    if not settings.PUBLIC_BASE_URL:
        print(f"posterbooth worker: cannot start: {PUBLIC_BASE_URL_MISSING}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.LOG_LEVEL, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    connection = connect(settings.REDIS_URL)
    queue = make_queue(connection, settings.QUEUE_NAME)
    ctx = get_context()  # load campaigns and check the database before taking jobs
    try:
        behind = pending(ctx.db.engine)
    except SQLAlchemyError as exc:
        print(f"posterbooth worker: cannot start: the database is not reachable ({type(exc).__name__})",
              file=sys.stderr)
        return 2
    if behind:
        print("posterbooth worker: cannot start: the database schema is not up to date; "
              "run `flask --app app db upgrade` first", file=sys.stderr)
        return 2
    warm(ctx)
    find_cjk_font()  # a forked work horse inherits the font lookup instead of repeating it
    # Steps are short and the context is loaded once, so running them in this process (no fork per job)
    # is what keeps many provider jobs in flight with a few workers (bench/provider_throughput.py).
    worker_class = RegisteringWorker if args.fork else RegisteringSimpleWorker
    name = args.name or f"posterbooth-{os.getpid()}"
    current = [worker_class([queue], connection=connection, name=name)]
    if args.parent_pid:
        _exit_with_parent(args.parent_pid)
    stop = start_clock(settings, ctx.providers_in_use, on_tick=lambda: current[0].ensure_registered())
    log.info("worker %s takes jobs from queue %r (%d campaigns)", name, settings.QUEUE_NAME, len(ctx.campaigns))
    try:
        while True:
            try:
                # The clock drives delayed steps and housekeeping; rq's own scheduler is not needed here. rq's
                # per-job lines ("Job OK", every 3 s for the sweep) are shown only at DEBUG.
                current[0].work(burst=args.burst, with_scheduler=False,
                                logging_level=_rq_log_level(settings.LOG_LEVEL))
                return 0
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # rq gives up when Redis goes away in the middle of a job (its heartbeat fails). The job's
                # participation is in the database; the sweep gives it a new job once Redis is back.
                if args.burst:
                    raise
                log.warning("Redis is unreachable (%s); worker %s waits for it, then takes jobs again",
                            type(exc).__name__, name)
                _wait_for(connection)
                _forget(current[0])
                current[0] = worker_class([queue], connection=connection, name=name)
    finally:
        stop.set()


def _wait_for(connection: redis.Redis) -> None:
    """Block until Redis answers again (checking every 0.5-5 s); SIGTERM or Ctrl-C ends the process meanwhile."""
    # rq's handlers only note a stop request for its own loop, which is not running: no job is in hand here, so
    # the default handlers let the app (embedded mode), the parent watch or an operator stop this worker at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    delay = 0.5
    while True:
        try:
            if connection.ping():
                return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass
        time.sleep(delay)
        delay = min(5.0, delay * 2)


def _forget(worker: RegisteringWorker | RegisteringSimpleWorker) -> None:
    """Remove this process's old registration, which rq could not close while Redis was away."""
    with contextlib.suppress(redis.exceptions.RedisError):
        worker_registration.unregister(worker)
        worker.connection.delete(worker.key)


def _rq_log_level(level: str) -> str:
    """Return the level for rq's own worker log: WARNING, unless the app logs at DEBUG."""
    return level if level.upper() == "DEBUG" else "WARNING"


def _exit_with_parent(parent_pid: int) -> None:
    """Stop this worker (warm) if the app that started it disappears, e.g. after SIGKILL."""

    def watch() -> None:
        while True:
            time.sleep(2)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


if __name__ == "__main__":
    raise SystemExit(main())
