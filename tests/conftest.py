"""Shared fixtures: real Redis and real databases, started or failed loudly, never skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "redis://127.0.0.1:6379"
#: Runs on one host take different Redis databases: a run claims one with a key in database 0.
_CLAIM_PREFIX = "posterbooth:test-run:"
_RUN = uuid.uuid4().hex


def time_allowance() -> float:
    """Return how much longer timed work may take now: 3 under a tracer (coverage, a debugger), else 1.

    For the few tests that bound a duration (performance checks, the soak's deadline): line tracing slows
    Python code down two to three times, which says nothing about the code.
    """
    return 3.0 if sys.gettrace() is not None else 1.0


def _run_slow() -> bool:
    return os.environ.get("RUN_SLOW_TESTS_TOO", "") not in {"", "0"} or os.environ.get("CI", "") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests of a quick run, saying how to run them."""
    if _run_slow():
        return
    skip = pytest.mark.skip(reason="slow: set RUN_SLOW_TESTS_TOO=1 to run it")
    for item in items:
        if "slow" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)
TEST_PG_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def _ensure_redis(url: str) -> None:
    """Start the local redis-server if it is down; fail loudly if that is impossible."""
    if _redis_up(url):
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(f"Redis at {url} is down and no redis-server binary is installed to start it")
    subprocess.run(
        [server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
         "--appendonly", "no"],
        check=False,
    )
    for _ in range(50):
        if _redis_up(url):
            return
        time.sleep(0.1)
    pytest.fail(f"Redis at {url} is down and could not be started")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Return the URL of a Redis database of this run's own (TEST_REDIS_URL, or a free one it claims)."""
    chosen = os.environ.get("TEST_REDIS_URL")
    if chosen:
        _ensure_redis(chosen)
        yield chosen
        return
    _ensure_redis(f"{REDIS_SERVER}/0")
    claims = redis.Redis.from_url(f"{REDIS_SERVER}/0")
    for number in range(15, 0, -1):
        if claims.set(f"{_CLAIM_PREFIX}{number}", _RUN, nx=True, ex=3 * 3600):
            break
    else:
        pytest.fail("every Redis database 1-15 is claimed by another test run; set TEST_REDIS_URL")
    try:
        yield f"{REDIS_SERVER}/{number}"
    finally:
        if claims.get(f"{_CLAIM_PREFIX}{number}") == _RUN.encode():
            claims.delete(f"{_CLAIM_PREFIX}{number}")
        claims.close()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    """Yield a connection to the test Redis database, flushed around each test."""
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def _pg_admin_url() -> str:
    return TEST_PG_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a throwaway PostgreSQL database for this run and drop it afterwards."""
    import psycopg

    name = f"pb_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pg_ctl = shutil.which("pg_ctlcluster")
        if pg_ctl is None:
            pytest.fail(f"PostgreSQL at {TEST_PG_URL} is down and cannot be started: {exc}")
        versions = sorted(os.listdir("/etc/postgresql"))
        subprocess.run([pg_ctl, "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
        try:
            admin = psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc2:
            pytest.fail(f"PostgreSQL at {TEST_PG_URL} is down and could not be started: {exc2}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = TEST_PG_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(_pg_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return a database URL: a fresh SQLite file, or the run's PostgreSQL database (emptied)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


# --- the web app, its worker and an attendee's browser --------------------------------------------

#: The demo campaigns as shipped (their schedules end on a fixed date).
DEMO_CAMPAIGNS = ROOT / "campaigns"


def _relative_schedule_copy(source: Path) -> Path:
    """Copy the demo campaigns with schedules relative to now (opened 30 days ago, closing in a year).

    The demos close on a fixed date; tests of the flow must not start failing on that date. Only the two
    schedule lines change, so line numbers in validation errors stay those of the shipped files.
    """
    import atexit
    import re
    import tempfile
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    start, end = (now - timedelta(days=30)).isoformat(), (now + timedelta(days=365)).isoformat()
    target = Path(tempfile.mkdtemp(prefix="posterbooth-test-campaigns-")) / "campaigns"
    atexit.register(shutil.rmtree, target.parent, True)
    shutil.copytree(source, target)
    for definition in target.glob("*/campaign.yaml"):
        text = definition.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(  start: ).+$", lambda m: m[1] + start, text)
        text = re.sub(r"(?m)^(  end: ).+$", lambda m: m[1] + end, text)
        definition.write_text(text, encoding="utf-8")
    return target


#: What the tests use: the demo campaigns, open from 30 days ago to a year from now, whatever the date.
CAMPAIGNS = _relative_schedule_copy(DEMO_CAMPAIGNS)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file upgraded to the newest revision once per run, to copy instead of migrating again."""
    from posterbooth.migrate import upgrade

    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


def _upgrade(database_url: str, request: pytest.FixtureRequest) -> None:
    """Bring the test database to the newest revision: a copy of the migrated file for a new SQLite one."""
    from posterbooth.migrate import upgrade

    prefix = "sqlite:///"
    if database_url.startswith(prefix) and not Path(database_url[len(prefix):]).exists():
        shutil.copy2(request.getfixturevalue("migrated_sqlite"), database_url[len(prefix):])
        return
    upgrade(database_url)


@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, redis_conn: redis.Redis, redis_url: str,
    request: pytest.FixtureRequest,
) -> dict[str, str]:
    """Point the settings (web and worker alike) at the test database, Redis and a temporary media dir."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "CAMPAIGNS_DIR": str(CAMPAIGNS),
        "SECRET_KEY": "test-secret-0123456789abcdef0123456789",
        "PUBLIC_BASE_URL": "https://event.example.com",
        "IMAGE_PROVIDER": "offline",
        # Each response's events leave when it closes: a test's app is gone before a later batch would be sent
        # (tests/test_events.py checks the batches).
        "EVENTS_BATCH_SECONDS": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from workers.context import close_context

    _upgrade(database_url, request)  # as `python app.py` and `flask --app app db upgrade` do
    close_context()
    yield env
    close_context()  # providers' HTTP clients, the database pool and Redis: nothing left open


@pytest.fixture
def app(app_env: dict[str, str]):
    """Return the web app configured for tests (CSRF on, as in production)."""
    from posterbooth import create_app

    application = create_app({"TESTING": True})
    yield application
    application.extensions["posterbooth.db"].dispose()


@pytest.fixture
def client(app):
    """Return a test client: one attendee's browser."""
    return app.test_client()


@pytest.fixture
def run_worker(app):
    """Return a function that runs a real rq worker (SimpleWorker, burst) over the queue."""
    from rq import SimpleWorker

    def run() -> None:
        queue = app.extensions["posterbooth.queue"]
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")

    return run


@pytest.fixture
def console_app(app_env):
    """Return the app with a bootstrap admin password and two operator accounts (the console's tests)."""
    from tests.console_helpers import console_app_with_operators

    yield from console_app_with_operators()
