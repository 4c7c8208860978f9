"""Worker-kill soak: N participations while a worker is SIGKILLed every few seconds; count lost and paid twice.

    TEST_REDIS_URL=redis://127.0.0.1:6379/8 python bench/worker_kill_soak.py --count 200 --every 2

``--workers`` real ``python -m workers`` processes on the fake Tencent Cloud (1 s jobs, concurrency 4); every
``--every`` seconds the oldest one is killed (its whole process tree, like a crashed machine) and a new
one started. At the end: every participation must be done, and the fake must have been paid once per
participation (plus at most one per kill that hit a submission in flight, which the participation counts).
Progress is printed to stderr every five kills. ``SOAK_LOG_LEVEL=INFO`` makes the workers log more, and
``SOAK_KEEP=1`` keeps the work folder (worker logs, database) for a look afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from posterbooth.campaigns import load_all  # noqa: E402
from posterbooth.db import Database  # noqa: E402
from posterbooth.generation.keys import usual_key  # noqa: E402
from posterbooth.generation.queue import make_queue  # noqa: E402
from posterbooth.migrate import upgrade  # noqa: E402
from tests.fakes.tencent_server import FakeTencentCloud  # noqa: E402
from tests.generation_harness import FINAL, WorkerProcess, add_participations, enqueue_all, hunyuan_env, rows  # noqa: E402


def main() -> int:
    """Run the soak and print its numbers; exit 1 if a participation was lost."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--workers", type=int, default=4, help="worker processes (the oldest is killed each time)")
    args = parser.parse_args()
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    work = Path(tempfile.mkdtemp(prefix="kill-soak-"))
    shutil.copytree(ROOT / "campaigns" / "spring-outing", work / "campaigns" / "spring-outing")
    with FakeTencentCloud(latency=1.0, concurrency=4) as fake:
        env = hunyuan_env(fake.url, PROVIDER_CONCURRENCY=4, PROVIDER_RETRY_DELAY=0.05)
        env.update(DATABASE_URL=f"sqlite:///{work / 'soak.db'}", REDIS_URL=url, INSTANCE_DIR=str(work / "i"),
                   MEDIA_DIR=str(work / "media"), CAMPAIGNS_DIR=str(work / "campaigns"),
                   SECRET_KEY=secrets.token_hex(32), PUBLIC_BASE_URL="https://event.example.com",
                   LOG_LEVEL=os.environ.get("SOAK_LOG_LEVEL", "WARNING"), PYTHONUNBUFFERED="1")
        connection.hset(usual_key("hunyuan"), mapping={"time": 0.5, "step": 0.02})
        upgrade(env["DATABASE_URL"])
        db = Database(env["DATABASE_URL"])
        ids = add_participations(db, load_all(work / "campaigns")["spring-outing"], args.count)
        serial = 0

        def start() -> WorkerProcess:
            nonlocal serial
            serial += 1
            return WorkerProcess(env, f"soak-{serial}", work / f"w{serial}.log")

        workers = [start() for _ in range(args.workers)]
        enqueue_all(make_queue(connection, "posterbooth"), ids)
        began = time.monotonic()
        kills = 0
        while time.monotonic() - began < args.timeout:
            time.sleep(args.every)
            found = rows(db, ids)
            finished = sum(1 for p in found.values() if p.status in FINAL)
            if finished == len(ids):
                break
            if kills % 5 == 0:
                print(f"  {time.monotonic() - began:5.0f}s: {finished}/{len(ids)} finished, {kills} kills",
                      file=sys.stderr, flush=True)
            workers.pop(0).kill()
            kills += 1
            workers.append(start())
        for worker in workers:
            worker.stop()
        found = rows(db, ids)
        lost = [pid for pid, p in found.items() if p.status not in FINAL]
        for pid in lost:
            p = found[pid]
            print(f"  not finished: participation {pid} status {p.status}, provider job {p.provider_job_id!r}, "
                  f"{p.provider_submissions} submissions, {p.retries} retries", file=sys.stderr)
        done = sum(1 for p in found.values() if p.status == "done")
        paid = fake.submissions["SubmitHunyuanImageJob"]
        counted = sum(p.provider_submissions for p in found.values())
        twice = sum(1 for p in found.values() if p.provider_submissions > 1)
        print(f"worker-kill soak: {args.count} participations, {kills} kills every {args.every}s, "
              f"{time.monotonic() - began:.0f}s: {done} done, {len(lost)} lost, {paid} paid submissions "
              f"({counted} counted by participations), {twice} participations paid more than once")
        db.dispose()
    if not os.environ.get("SOAK_KEEP"):
        connection.flushdb()
    if os.environ.get("SOAK_KEEP"):
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
