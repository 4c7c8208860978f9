"""Redis stops in the middle of a campaign and comes back empty: no 5xx, the waiting page, every poster made.

A redis-server of the test's own (on a spare port, not the shared one) serves the web app and a real
``python -m workers`` process. Attendees submit before, during and after the outage; the rate limiter fails
open, a submit during the outage is kept in the database, the sweep enqueues it once Redis is back, and the
worker registers with rq again.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq import Worker
from sqlalchemy import select

from posterbooth.models import Participation
from tests.attendee import SPRING, answer
from tests.generation_harness import FINAL, WorkerProcess
from tests.live_server import free_port

BEFORE, DURING, AFTER = 4, 6, 2


class RedisServer:
    """A private redis-server without persistence: a restart brings it back empty."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.up, 10, "redis-server to start")

    def up(self) -> bool:
        """Return True when the server answers PING."""
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        """Kill the server (like a crash): everything it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout}s")
        time.sleep(0.1)


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """Run a redis-server of this test's own."""
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_redis_restart_loses_nothing_and_shows_no_error(app_env, private_redis: RedisServer, monkeypatch,
                                                           tmp_path: Path) -> None:
    from posterbooth import create_app

    url = f"redis://127.0.0.1:{private_redis.port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    app = create_app({"TESTING": True})
    worker = WorkerProcess({**app_env, "REDIS_URL": url}, "restart-survivor", tmp_path / "worker.log")
    statuses: list[int] = []

    def attend() -> str:
        client = app.test_client()
        response = None
        for step, value in SPRING:
            response = answer(client, "spring-outing", step, value)
            statuses.append(response.status_code)
        assert response is not None and response.status_code == 302, response.get_data(as_text=True)[:300]
        page = client.get(response.headers["Location"])
        statuses.append(page.status_code)
        assert page.status_code == 200
        return page.get_data(as_text=True)

    def registered() -> bool:
        try:
            return any(w.name == "restart-survivor" for w in Worker.all(connection=redis.Redis.from_url(url)))
        except redis.ConnectionError:
            return False

    try:
        _wait(registered, 30, "the worker to register")
        for _ in range(BEFORE):
            attend()
        private_redis.stop()
        for _ in range(DURING):
            page = attend()
            assert 'class="waiting"' in page  # the waiting page, with its place kept
        private_redis.start()  # empty
        for _ in range(AFTER):
            attend()
        db = app.extensions["posterbooth.db"]

        def all_final() -> bool:
            with db.session() as session:
                found = list(session.scalars(select(Participation.status)))
            return len(found) == BEFORE + DURING + AFTER and set(found) <= FINAL

        _wait(all_final, 60, "every participation to reach a final state")
        with db.session() as session:
            final = list(session.scalars(select(Participation.status)))
        _wait(registered, 15, "the worker to register again with the empty Redis")
        server_errors = [status for status in statuses if status >= 500]
        print(f"redis restart: {len(statuses)} requests, {len(server_errors)} 5xx, "
              f"{len(final)} participations, {final.count('done')} done, "
              f"{len([s for s in final if s not in FINAL])} lost")
        assert server_errors == []
        assert final == ["done"] * (BEFORE + DURING + AFTER)
    finally:
        worker.stop()
        app.extensions["posterbooth.db"].dispose()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_outlives_redis_going_away_in_the_middle_of_a_job(app_env, private_redis: RedisServer,
                                                                  tmp_path: Path) -> None:
    from rq import Queue

    url = f"redis://127.0.0.1:{private_redis.port}/0"
    worker = WorkerProcess({**app_env, "REDIS_URL": url}, "outage-survivor", tmp_path / "worker.log")
    connection = redis.Redis.from_url(url)

    def registered() -> bool:
        try:
            return any(w.name == "outage-survivor" for w in Worker.all(connection=connection))
        except redis.ConnectionError:
            return False

    try:
        _wait(registered, 30, "the worker to register")
        queue = Queue(app_env.get("QUEUE_NAME", "posterbooth"), connection=connection)
        job = queue.enqueue("time.sleep", 3)  # a job still running when Redis goes away
        _wait(lambda: job.get_status(refresh=True) == "started", 30, "the worker to start the job")
        private_redis.stop()  # rq's heartbeat after the job fails: before, the worker process died here
        _wait(lambda: "waits for it, then takes jobs again" in worker.output(), 60, "the worker to wait for Redis")
        assert worker.process.poll() is None, worker.output()[-3000:]
        private_redis.start()  # empty
        _wait(registered, 30, "the worker to register with Redis again")
        done = Queue(app_env.get("QUEUE_NAME", "posterbooth"), connection=connection).enqueue("math.sqrt", 16)
        _wait(lambda: done.get_status(refresh=True) == "finished", 30, "a new job to run")
    finally:
        worker.stop()
