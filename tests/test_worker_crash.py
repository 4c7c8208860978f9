"""A worker SIGKILLed mid-job: the participation still completes, without paying for a second generation.

Real ``python -m workers`` processes (each in its own process group, killed whole
like a crashed machine), real Redis, a SQLite file shared with them, and the
fake Tencent Cloud in this process.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from posterbooth.campaigns import load_all
from posterbooth.db import Database
from posterbooth.generation.keys import usual_key
from posterbooth.generation.queue import make_queue
from posterbooth.migrate import upgrade
from tests.conftest import CAMPAIGNS, time_allowance
from tests.fakes.tencent_server import DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.generation_harness import WorkerProcess, add_participations, enqueue_all, hunyuan_env, rows

pytestmark = pytest.mark.slow


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{what}: not after {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - began


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Yield a fake Tencent Cloud whose jobs take one second."""
    with FakeTencentCloud(latency=1.0, concurrency=2) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, redis_conn: redis.Redis, redis_url: str, fake: FakeTencentCloud) -> dict[str, str]:
    """Return the workers' settings: a SQLite file, the test Redis, one campaign, Hunyuan on the fake."""
    shutil.copytree(CAMPAIGNS / "spring-outing", tmp_path / "campaigns" / "spring-outing")
    settings = hunyuan_env(fake.url, PROVIDER_CONCURRENCY=2, PROVIDER_RETRY_DELAY=0.05)
    settings.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'crash.db'}",
        REDIS_URL=redis_url,
        INSTANCE_DIR=str(tmp_path / "instance"),
        MEDIA_DIR=str(tmp_path / "media"),
        CAMPAIGNS_DIR=str(tmp_path / "campaigns"),
        SECRET_KEY="test-secret-0123456789abcdef0123456789",
        PUBLIC_BASE_URL="https://event.example.com",
        LOG_LEVEL="INFO",
    )
    redis_conn.hset(usual_key("hunyuan"), mapping={"time": 0.5, "step": 0.02})  # first poll after 0.5 s
    return settings


def _participation(env: dict[str, str]) -> tuple[Database, int]:
    upgrade(env["DATABASE_URL"])
    db = Database(env["DATABASE_URL"])
    [pid] = add_participations(db, load_all(Path(env["CAMPAIGNS_DIR"]))["spring-outing"], 1)
    return db, pid


def test_a_worker_killed_during_a_poll_resumes_the_recorded_job(
    env: dict[str, str], fake: FakeTencentCloud, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    fake.fail_next("QueryHunyuanImageJob", "http_502", delay=60)  # the first poll hangs: the worker is mid-step
    db, pid = _participation(env)
    doomed = WorkerProcess(env, "doomed", tmp_path / "doomed.log")
    survivor: WorkerProcess | None = None
    try:
        enqueue_all(make_queue(redis_conn, "posterbooth"), [pid])
        _wait(lambda: fake.calls["QueryHunyuanImageJob"] == 1, 30, "the first poll")
        in_flight = rows(db, [pid])[pid]
        assert in_flight.status == "running" and in_flight.provider_job_id in fake.jobs
        doomed.kill()
        killed = time.monotonic()

        survivor = WorkerProcess(env, "survivor", tmp_path / "survivor.log")
        _wait(lambda: rows(db, [pid])[pid].status != "running", 40 * time_allowance(), "recovery")
        recovered_in = time.monotonic() - killed
        participation = rows(db, [pid])[pid]
        assert participation.status == "done", participation.error_detail
        assert fake.submissions["SubmitHunyuanImageJob"] == 1 == participation.provider_submissions
        assert participation.provider_job_id == ""  # kept until the result was in, then let go
        assert recovered_in < 25 * time_allowance(), f"recovery took {recovered_in:.1f}s"
        assert "has no live job" in survivor.output()  # the sweeper found it, without waiting for rq's cleanup
        for log in (doomed.output(), survivor.output()):
            assert DEFAULT_SECRET_KEY not in log
    finally:
        if survivor is not None:
            survivor.stop()
        db.dispose()


def test_a_worker_killed_inside_the_submit_request_costs_at_most_one_more_submission(
    env: dict[str, str], fake: FakeTencentCloud, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    # The provider takes the request, is slow to answer, then creates the job anyway: the one window in
    # which the job id cannot be recorded. The resumed participation submits again, says so, and counts it.
    fake.fail_next("SubmitHunyuanImageJob", "drop_after", delay=1.5)
    db, pid = _participation(env)
    doomed = WorkerProcess(env, "doomed", tmp_path / "doomed.log")
    survivor: WorkerProcess | None = None
    try:
        enqueue_all(make_queue(redis_conn, "posterbooth"), [pid])
        _wait(lambda: fake.calls["SubmitHunyuanImageJob"] == 1, 30, "the submission")
        doomed.kill()
        assert rows(db, [pid])[pid].provider_submissions == 1  # counted before it was sent
        _wait(lambda: fake.submissions["SubmitHunyuanImageJob"] == 1, 10, "the orphan job")

        survivor = WorkerProcess(env, "survivor", tmp_path / "survivor.log")
        _wait(lambda: rows(db, [pid])[pid].status == "done", 40, "recovery")
        participation = rows(db, [pid])[pid]
        assert fake.submissions["SubmitHunyuanImageJob"] == 2 == participation.provider_submissions
        assert "a worker stopped while submitting it" in survivor.output()
    finally:
        if survivor is not None:
            survivor.stop()
        db.dispose()
