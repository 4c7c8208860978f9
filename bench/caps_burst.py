"""Caps under a burst across processes: 50 attendees submit at the same moment against limits.total 20.

Run: python bench/caps_burst.py [--attendees 50] [--total 20] [--workers 4] [--port 5180]
Needs the local PostgreSQL (TEST_PG_URL, default postgresql://postgres@127.0.0.1:5432/test) and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/7, which it FLUSHES). Starts gunicorn with several worker
processes on a throwaway database and a copy of the spring demo with ``limits: {total: N}``; every attendee
answers the first questions with its own cookies, then all post the last answer behind one barrier. Prints how
many posters were made (the database's count), the statuses, how far apart the posts started, and the time
from the barrier to the last answer.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "spring-outing"
FIELDS = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def prepare(base: str) -> tuple[httpx.Client, dict[str, str]]:
    """Answer the first two questions as one browser; return it and the last question's filled form."""
    # a new connection per request: an idle kept-alive one may have been closed by gunicorn meanwhile
    http = httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_keepalive_connections=0))
    for step, value in (("scenery", "lake"), ("pace", "stroll")):
        fields = dict(FIELDS.findall(http.get(f"/c/{SLUG}/q/{step}").text))
        assert http.post(f"/c/{SLUG}/q/{step}", data={**fields, "answer": value}).status_code == 302
    fields = dict(FIELDS.findall(http.get(f"/c/{SLUG}/q/companion").text))
    return http, {**fields, "answer": "friends"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=50)
    parser.add_argument("--total", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5180)
    args = parser.parse_args()
    pg = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    name = f"pb_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    redis.Redis.from_url(redis_url).flushdb()
    work = Path(tempfile.mkdtemp(prefix="pb-caps-"))
    shutil.copytree(ROOT / "campaigns" / SLUG, work / "campaigns" / SLUG)
    yaml = work / "campaigns" / SLUG / "campaign.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + f"limits: {{total: {args.total}}}\n", encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis_url, CAMPAIGNS_DIR=str(work / "campaigns"),
               INSTANCE_DIR=str(work / "instance"), SECRET_KEY=uuid.uuid4().hex, IMAGE_PROVIDER="offline",
               SUBMIT_IP_RATE_LIMIT="100000 per minute", LOG_LEVEL="WARNING")
    from posterbooth.migrate import upgrade

    upgrade(database)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", "8", "--bind",
         f"127.0.0.1:{args.port}", "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        browsers = [prepare(base) for _ in range(args.attendees)]
        gate = threading.Barrier(args.attendees)
        starts: list[float] = [0.0] * args.attendees

        def post(index: int) -> tuple[int, str]:
            http, form = browsers[index]
            gate.wait()
            starts[index] = time.perf_counter()
            response = http.post(f"/c/{SLUG}/q/companion", data=form)
            return response.status_code, response.text

        began = time.perf_counter()
        with ThreadPoolExecutor(args.attendees) as pool:
            results = list(pool.map(post, range(args.attendees)))
        elapsed = time.perf_counter() - began
        with psycopg.connect(pg.rsplit("/", 1)[0] + f"/{name}") as conn:
            made = conn.execute("SELECT count(*) FROM participations").fetchone()[0]
        statuses = Counter(status for status, _ in results)
        full_pages = sum(1 for status, text in results if status == 403 and "本活动名额已满" in text)
        print(f"{args.attendees} attendees, limits.total {args.total}, gunicorn {args.workers} processes")
        print(f"participations in the database: {made}; statuses: {dict(statuses)}; full pages: {full_pages}")
        print(f"posts started within {1000 * (max(starts) - min(starts)):.1f} ms of each other; "
              f"last answer after {1000 * elapsed:.0f} ms")
        for http, _form in browsers:
            http.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
