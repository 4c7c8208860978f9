"""Real worker processes: `python -m workers --burst` and `--fork`, exiting with their parent, the embedded watchdog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from posterbooth.models import Participation
from tests.attendee import SPRING, complete
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_until(check, timeout: float, what: str) -> None:  # noqa: ANN001 - a predicate
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _worker(app_env: dict[str, str], *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers", *args], cwd=str(ROOT),
        env={**os.environ, **app_env, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


@pytest.mark.parametrize("fork", [False, True])
def test_burst_worker_finishes_the_queue_and_exits(app, client, app_env, fork: bool) -> None:
    import posix

    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    queue = app.extensions["posterbooth.queue"]
    probe = queue.enqueue(posix.getpid)  # tells which process ran a job: the worker, or a forked work horse
    worker = _worker(app_env, "--burst", *(["--fork"] if fork else []))
    try:
        output, _ = worker.communicate(timeout=240)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    assert worker.returncode == 0, output.decode(errors="replace")[-3000:]
    with app.extensions["posterbooth.db"].session() as session:
        row = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
    assert row.status == "done", row.error_detail
    assert queue.count == 0
    probe.refresh()
    ran_in = probe.return_value()
    assert isinstance(ran_in, int)
    assert (ran_in != worker.pid) is fork, (ran_in, worker.pid)


def test_a_worker_refuses_to_start_without_redis(app_env) -> None:
    worker = _worker(app_env, "--burst", env={"REDIS_URL": ""})
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 2 and b"REDIS_URL is not set" in output


def test_a_worker_exits_when_its_parent_dies(app_env, tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import os, subprocess, sys, time\n"
         "w = subprocess.Popen([sys.executable, '-m', 'workers', '--parent-pid', str(os.getpid())])\n"
         "print(w.pid, flush=True)\n"
         "time.sleep(600)\n"],
        cwd=str(ROOT), env={**os.environ, **app_env, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE, start_new_session=True,
    )
    worker_pid = 0
    try:
        assert parent.stdout is not None
        worker_pid = int(parent.stdout.readline())
        time.sleep(3)  # the worker is up and watching
        assert not _gone(worker_pid)
        os.kill(parent.pid, signal.SIGKILL)  # the app is killed: nobody will stop the worker
        parent.wait(10)
        _wait_until(lambda: _gone(worker_pid), 90, "the orphaned worker to exit")
    finally:
        for pid in (worker_pid, parent.pid):
            if pid and not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.stdout is not None:
            parent.stdout.close()


def test_the_embedded_watchdog_restarts_a_dead_worker(app_env, tmp_path: Path) -> None:
    from posterbooth.config import load_settings
    from posterbooth.embedded import EmbeddedServices

    settings = load_settings({**os.environ, **app_env, "REDIS_URL": "", "INSTANCE_DIR": str(tmp_path / "embedded")})
    services = EmbeddedServices(settings, workers=2)
    services.start()
    try:
        before = [process.pid for process in services.workers]
        services.check_workers()
        assert [process.pid for process in services.workers] == before  # all alive: nothing restarted
        os.kill(before[0], signal.SIGKILL)
        _wait_until(lambda: services.workers[0].poll() is not None, 30, "the killed worker to be reaped")
        services.check_workers()
        after = [process.pid for process in services.workers]
        assert after[0] != before[0] and after[1] == before[1]
        assert services.workers[0].poll() is None  # the new one runs
        assert services.workers[0].args == [sys.executable, "-m", "workers", "--name",
                                            f"embedded-{os.getpid()}-0", "--parent-pid", str(os.getpid())]
    finally:
        services.stop()
    assert all(_gone(pid) for pid in after)
