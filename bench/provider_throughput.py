"""Measure how much of a provider account's capacity the queue uses.

Runs the fake Tencent Cloud as its own process (jobs take ``--latency`` seconds,
``--concurrency`` at a time), records ``--participations`` participations in a
temporary SQLite database, starts ``--workers`` real ``python -m workers``
processes with ``PROVIDER_CONCURRENCY`` set to the fake's concurrency, enqueues
every participation at once and waits until all have a poster.

Prints the achieved throughput divided by the provider's capacity
(concurrency ÷ latency; the target is at least 0.9) and the median time each job
spends outside the provider: from just before its Submit request to its poster
being stored, minus the provider's latency (submit round trip, poll delay,
download, poster, database writes).

Run: python bench/provider_throughput.py [--participations 160] [--workers 2] [--fork] [--profile DIR]
It uses a Redis database of its own (``--redis-url``, default DB 9) and refuses
to touch one that holds keys unless ``--flush`` is given. ``--fork`` runs the
workers with rq's forking Worker (one child process per job) instead of running
steps in-process, to measure what the forks cost.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rq import Worker  # noqa: E402

from posterbooth.campaigns import load_all  # noqa: E402
from posterbooth.db import Database  # noqa: E402
from posterbooth.generation.queue import make_queue  # noqa: E402
from posterbooth.migrate import upgrade  # noqa: E402
from tests.generation_harness import (  # noqa: E402
    WorkerProcess,
    add_participations,
    all_final,
    enqueue_all,
    hunyuan_env,
    rows,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """Return the CPU time of a process and its reaped children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _seconds(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participations", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--flush", action="store_true", help="empty the Redis database first")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--fork", action="store_true",
                        help="run each step in a forked child (rq's Worker), to compare")
    parser.add_argument("--profile", type=Path, default=None,
                        help="run the workers under cProfile and write DIR/worker-N.prof")
    args = parser.parse_args(argv)

    connection = redis.Redis.from_url(args.redis_url)
    if connection.dbsize() and not args.flush:
        print(f"{args.redis_url} holds keys; pass --flush to empty it", file=sys.stderr)
        return 2
    connection.flushdb()
    temp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    campaigns = temp / "campaigns"
    shutil.copytree(ROOT / "campaigns" / "spring-outing", campaigns / "spring-outing")
    port = _free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.tencent_server", "--port", str(port), "--latency", str(args.latency),
         "--concurrency", str(args.concurrency)],
        cwd=str(ROOT), stdout=subprocess.PIPE, text=True,
    )
    workers: list[WorkerProcess] = []
    try:
        assert fake.stdout is not None
        print("fake:", fake.stdout.readline().strip(), flush=True)
        env = {
            **hunyuan_env(f"http://127.0.0.1:{port}", PROVIDER_CONCURRENCY=args.concurrency),
            "DATABASE_URL": f"sqlite:///{temp / 'bench.db'}",
            "REDIS_URL": args.redis_url,
            "INSTANCE_DIR": str(temp / "instance"),
            "MEDIA_DIR": str(temp / "media"),
            "CAMPAIGNS_DIR": str(campaigns),
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_BASE_URL": "https://event.example.com",
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        os.environ.update(env)
        upgrade(env["DATABASE_URL"])
        db = Database(env["DATABASE_URL"])
        loaded = load_all(campaigns)["spring-outing"]
        ids = add_participations(db, loaded, args.participations)
        queue = make_queue(connection, "posterbooth")
        command: tuple[str, ...] = ("-m", "workers", "--fork") if args.fork else ("-m", "workers")
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        for index in range(args.workers):
            profiled = ("-m", "cProfile", "-o", str(args.profile / f"worker-{index}.prof")) if args.profile else ()
            workers.append(WorkerProcess(env, f"bench-{index}", temp / f"worker-{index}.log", (*profiled, *command)))
        deadline = time.monotonic() + 60
        while Worker.count(queue=queue) < args.workers:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start: " + workers[0].output()[-2000:])
            time.sleep(0.1)
        time.sleep(1.0)  # let them settle (warm-up poster, timers)

        began = time.time()
        enqueue_all(queue, ids)
        deadline = time.monotonic() + args.timeout
        while not all_final(db, ids):
            if time.monotonic() > deadline:
                raise RuntimeError("not finished in time")
            time.sleep(0.2)
        final = rows(db, ids)
        cpu = {"fake": _cpu_seconds(fake.pid), **{f"worker {i}": _cpu_seconds(w.process.pid)
                                                  for i, w in enumerate(workers)}}
    finally:
        for worker in workers:
            worker.stop()
        fake.terminate()
        stats = fake.communicate(timeout=20)[0]
        connection.flushdb()

    done = [p for p in final.values() if p.status == "done"]
    last = max(_seconds(p.finished_at) for p in final.values())
    elapsed = last - began
    capacity = args.concurrency / args.latency
    outside = [_seconds(p.finished_at) - _seconds(p.submitted_at) - args.latency for p in done]
    waited = [_seconds(p.submitted_at) - began for p in done]
    fake_stats = json.loads(stats.strip().splitlines()[-1]) if stats.strip() else {}
    print(f"participations: {len(final)}  done: {len(done)}  other: {len(final) - len(done)}")
    print(f"provider: latency {args.latency:g} s, concurrency {args.concurrency}, capacity {capacity:g} jobs/s")
    print(f"workers: {args.workers} processes ({'python -m workers --fork' if args.fork else 'python -m workers'}); "
          "submissions seen by the provider: "
          f"{fake_stats.get('submissions', {}).get('SubmitHunyuanImageJob')}, queries: "
          f"{fake_stats.get('calls', {}).get('QueryHunyuanImageJob')}")
    print(f"elapsed: {elapsed:.1f} s (ideal {len(final) / capacity:.1f} s)")
    print(f"throughput / capacity: {len(done) / elapsed / capacity:.3f}")
    print(f"time outside the provider per job: median {statistics.median(outside):.3f} s, "
          f"p90 {statistics.quantiles(outside, n=10)[-1]:.3f} s")
    print("CPU seconds: " + ", ".join(f"{name} {value:.1f}" for name, value in cpu.items())
          + f" (machine: {os.cpu_count()} CPUs)")
    print(f"time waiting for a provider slot: median {statistics.median(waited):.1f} s, max {max(waited):.1f} s")
    return 0 if len(done) == len(final) else 1


if __name__ == "__main__":
    raise SystemExit(main())
