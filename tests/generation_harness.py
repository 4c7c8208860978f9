"""Helpers for generation tests and benches: provider settings for the fake, participations, workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.generation.queue import enqueue_generation
from posterbooth.models import Participation
from posterbooth.submit import Submission, record
from tests.fakes.tencent_server import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
SPRING_ANSWERS = {"scenery": "lake", "pace": "stroll", "companion": "friends"}
FINAL = {"done", "failed", "rejected"}


def hunyuan_env(endpoint: str, **extra: object) -> dict[str, str]:
    """Return the settings that point the Hunyuan provider at a fake Tencent Cloud."""
    env = {
        "IMAGE_PROVIDER": "hunyuan",
        "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
        "HUNYUAN_ENDPOINT": endpoint,
        "AIART_ENDPOINT": endpoint,
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def add_participations(db: Database, loaded: LoadedCampaign, count: int, provider: str = "hunyuan",
                       answers: Mapping[str, object] = SPRING_ANSWERS) -> list[int]:
    """Record ``count`` participations as the web does (without enqueueing them); return their ids."""
    ids = []
    for _ in range(count):
        submission = Submission(answers=answers, style_id=None, device_id=uuid.uuid4().hex,
                                submission_key=uuid.uuid4().hex)
        participation, _created = record(db, loaded, submission, default_provider=provider)
        ids.append(participation.id)
    return ids


def enqueue_all(queue: Queue, ids: Iterable[int]) -> None:
    """Enqueue the first job of each participation, as the web does after recording it."""
    for participation_id in ids:
        enqueue_generation(queue, participation_id)


def rows(db: Database, ids: Iterable[int]) -> dict[int, Participation]:
    """Return the participations by id."""
    wanted = list(ids)
    with db.session() as session:
        found = session.scalars(select(Participation).where(Participation.id.in_(wanted))).all()
        return {p.id: p for p in found}


def all_final(db: Database, ids: Iterable[int]) -> bool:
    """Tell whether every participation has ended."""
    wanted = list(ids)
    with db.session() as session:
        unfinished = session.scalar(
            select(func.count()).select_from(Participation)
            .where(Participation.id.in_(wanted), Participation.status.not_in(FINAL))
        )
        found = session.scalar(select(func.count()).select_from(Participation).where(Participation.id.in_(wanted)))
    return unfinished == 0 and found == len(wanted)


class BurstWorker(SimpleWorker):
    """An rq worker for loops of burst runs in a test: without the command channel (a pub/sub thread
    that takes up to a second to stop after every run)."""

    def subscribe(self) -> None:
        """Listen to no commands."""

    def unsubscribe(self) -> None:
        """Listen to no commands."""


def work(queue: Queue) -> None:
    """Run the jobs in the queue with a real rq worker in this process, until it is empty."""
    if queue.count:
        BurstWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def drive(queue: Queue, tick: Callable[[], object], until: Callable[[], bool], timeout: float = 30.0) -> float:
    """Run burst rq workers in this process, and the clock beside them in a thread as ``python -m workers``
    does, until ``until()``; return the seconds it took."""
    stop = threading.Event()

    def clock() -> None:
        while not stop.wait(0.005):
            tick()

    ticking = threading.Thread(target=clock, daemon=True)
    began = time.monotonic()
    ticking.start()
    try:
        while not until():
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"not done after {timeout}s")
            work(queue)
            time.sleep(0.01)
    finally:
        stop.set()
        ticking.join(5)
    return time.monotonic() - began


def _descendants(pid: int) -> list[int]:
    """Return the ids of a process's children, grandchildren… (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class WorkerProcess:
    """A real ``python -m workers`` process (or ``python <command>``) in its own process group."""

    def __init__(self, env: Mapping[str, str], name: str, log_path: Path,
                 command: tuple[str, ...] = ("-m", "workers")) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            [sys.executable, *command, "--name", name],
            cwd=str(ROOT),
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and every process it started, like a machine crash.

        rq runs each job in a child that moves to a process group of its own, so the
        whole tree is found through /proc and killed, not just the worker's group.
        """
        for pid in [*_descendants(self.process.pid), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the worker warmly (SIGTERM), then kill what is left."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()

    def output(self) -> str:
        """Return what the worker logged so far."""
        return self.log_path.read_text(errors="replace")
