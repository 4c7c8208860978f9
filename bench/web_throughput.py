"""Attendee pages under gunicorn and wrk, against a Flask hello-world floor of the same size in the same run.

Run: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/pb_bench REDIS_URL=redis://127.0.0.1:6379/12 \\
     python bench/web_throughput.py [--rounds 3] [--duration 5] [--connections 64] [--port 5120]

Starts the app (``gunicorn 'app:create_app()'``, 2 workers x 4 threads, PostgreSQL and Redis from the
environment) and a one-route Flask app answering a page as large as the landing page under the same
gunicorn settings, prepares attendees in-process (a finished poster, a queued one, signed sessions for
submits), then runs ``wrk`` on each page in turn, round after round, floor first in every round. It
prints each page's requests/s, p99 latency and ratio to the floor's requests/s of the same round, with
the medians over the rounds, the gunicorn workers' CPU time per request (which a machine shared with
other work disturbs less than requests/s), and whether the targets are met (pages at >= 0.5 of the floor and p99 <=
100 ms; the share page and the waiting page's status JSON at >= 0.4). Submits use a fresh device and
draft per request, so each one records a participation and enqueues its job; the rq queue is emptied
at the end, the database keeps the rows (use a throwaway database).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "spring-outing"
ANSWERS = [("scenery", "lake"), ("pace", "stroll"), ("companion", "friends")]
GUNICORN = ["--worker-class", "gthread", "--workers", "2", "--threads", "4", "--log-level", "warning"]
TARGETS = {"landing, new device": (0.5, 100), "landing, returning device": (0.5, 100), "question": (0.5, 100),
           "share page": (0.4, None), "status JSON": (0.4, None)}

FLOOR_APP = '''
from flask import Flask
app = Flask(__name__)
PAGE = open({page!r}, encoding="utf-8").read()

@app.get("/")
def hello():
    return PAGE
'''


@dataclass
class Page:
    """One page under load: its path, and an optional wrk script (cookies, POST bodies)."""

    name: str
    path: str
    script: str = ""


def _serve(args: list[str], port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}", *args],
        cwd=cwd, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz" if "app:" in args[-1] else f"http://127.0.0.1:{port}/",
                         timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn on port {port} did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(folder: Path, name: str, method: str, path: str, items: list[tuple[str, str]]) -> str:
    """Write a wrk script that sends each (cookie, body) once, split between wrk's threads."""
    rows = ",\n".join(f"{{{_lua_string(cookie)}, {_lua_string(body)}}}" for cookie, body in items)
    target = folder / f"{name}.lua"
    target.write_text(textwrap.dedent(f"""
        local items = {{
        {rows}
        }}
        local threads, counter = 2, 0
        function setup(thread) thread:set("tid", counter); counter = counter + 1 end
        function init(args) i = tid end
        function request()
          local item = items[(i % #items) + 1]
          i = i + threads
          local headers = {{["Cookie"] = item[1]}}
          if item[2] ~= "" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
          return wrk.format({_lua_string(method)}, {_lua_string(path)}, headers, item[2] ~= "" and item[2] or nil)
        end
    """))
    return str(target)


def _prepare(env: dict[str, str], folder: Path, rounds: int, per_round: int) -> tuple[list[Page], str]:
    """Make the attendees the pages need, in-process against the same database and Redis; return the pages."""
    os.environ.update(env)
    from flask import session
    from flask_wtf.csrf import generate_csrf
    from rq import SimpleWorker

    from posterbooth import create_app
    from posterbooth.migrate import upgrade
    from tests.attendee import complete

    upgrade(env["DATABASE_URL"])  # scaled mode: `flask --app app db upgrade` before the web starts
    app = create_app()
    done = app.test_client()
    result = complete(done, SLUG, ANSWERS)
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    share = re.search(r'href="(/s/[A-Za-z0-9_-]+)"', done.get(result).get_data(as_text=True))
    assert share, "the finished poster has no share link"
    waiting = complete(app.test_client(), SLUG, ANSWERS)
    landing_html = app.test_client().get(f"/c/{SLUG}").get_data(as_text=True)

    serializer = app.session_interface.get_signing_serializer(app)
    submits: list[list[tuple[str, str]]] = [[] for _ in range(rounds)]
    for index in range(rounds * per_round):
        device = secrets.token_urlsafe(16)
        with app.test_request_context(f"/c/{SLUG}/q/companion"):
            session["drafts"] = {SLUG: {"key": secrets.token_urlsafe(12), "answers": dict(ANSWERS[:2]),
                                        "style": "", "ref": "", "ch": ""}}
            token = generate_csrf()
            cookie = f"pb_device={device}; {app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
        body = urlencode({"csrf_token": token, "answer": ANSWERS[2][1]})
        submits[index % rounds].append((cookie, body))
    returning = [(f"pb_device={secrets.token_urlsafe(16)}", "") for _ in range(2000)]
    pages = [
        Page("landing, new device", f"/c/{SLUG}"),
        Page("landing, returning device", f"/c/{SLUG}", _script(folder, "returning", "GET", f"/c/{SLUG}", returning)),
        Page("question", f"/c/{SLUG}/q/scenery", _script(folder, "question", "GET", f"/c/{SLUG}/q/scenery",
                                                           returning)),
        Page("status JSON", f"{waiting}/status.json"),
        Page("share page", share.group(1)),
        Page("QR code", f"/c/{SLUG}/qr.png"),
    ]
    pages += [Page(f"submit #{n}", f"/c/{SLUG}/q/companion",
                   _script(folder, f"submit{n}", "POST", f"/c/{SLUG}/q/companion", items))
              for n, items in enumerate(submits)]
    app.extensions["posterbooth.db"].dispose()
    return pages, landing_html


def _cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """Return the CPU time (user + system) used so far by the gunicorn master's worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _wrk(url: str, duration: int, connections: int, script: str = "",
         server: subprocess.Popen[bytes] | None = None) -> tuple[float, float, int, float]:
    """Run wrk; return requests/s, p99 in ms, answers neither 2xx nor 3xx, and server CPU ms per request."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    before = _cpu_seconds(server) if server else 0.0
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used = _cpu_seconds(server) - before if server else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", out, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, p99, int(errors.group(1)) if errors else 0, used * 1000 / max(1, requests)


def main() -> int:
    """Start both servers, run the interleaved rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page and round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=5120, help="the app's port; the floor uses the next one")
    args = parser.parse_args()
    database, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database.startswith("postgresql") or not redis_url:
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the bench measures the scaled mode")
    with tempfile.TemporaryDirectory(prefix="pb-web-bench-") as temp:
        folder = Path(temp)
        env = {**os.environ, "INSTANCE_DIR": str(folder / "instance"), "MEDIA_DIR": str(folder / "media"),
               "SECRET_KEY": "bench-" + secrets.token_hex(24), "IMAGE_PROVIDER": "offline",
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}",
               "LOG_LEVEL": "WARNING"}
        pages, landing_html = _prepare(env, folder, args.rounds, args.duration * 2000)
        (folder / "page.html").write_text(landing_html, encoding="utf-8")
        (folder / "floor_app.py").write_text(FLOOR_APP.format(page=str(folder / "page.html")))
        app_server = _serve(["app:create_app()"], args.port, env, ROOT)
        floor_server = _serve(["floor_app:app"], args.port + 1, env, folder)
        results: dict[str, list[tuple[float, float, int, float, float]]] = {}
        try:
            for _page in pages:  # warm up every page once (imports, caches, connection pools)
                httpx.get(f"http://127.0.0.1:{args.port}{_page.path}", timeout=10)
            for number in range(args.rounds):
                floor = _wrk(f"http://127.0.0.1:{args.port + 1}/", args.duration, args.connections,
                             server=floor_server)
                results.setdefault("hello-world floor", []).append((*floor[:3], 1.0, floor[3]))
                for page in pages:
                    if page.name.startswith("submit #") and page.name != f"submit #{number}":
                        continue
                    name = "submit" if page.name.startswith("submit #") else page.name
                    rps, p99, errors, cpu = _wrk(f"http://127.0.0.1:{args.port}{page.path}", args.duration,
                                                 args.connections, page.script, app_server)
                    results.setdefault(name, []).append((rps, p99, errors, rps / floor[0], cpu))
                print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            _stop(app_server)
            _stop(floor_server)
            import redis

            redis.Redis.from_url(redis_url).delete("rq:queue:" + os.environ.get("QUEUE_NAME", "posterbooth"))
    print(f"\n{args.connections} connections, {args.duration} s per page, {args.rounds} rounds, page size "
          f"{len(landing_html.encode())} bytes; gunicorn {' '.join(GUNICORN[:6])}")
    print(f"{'page':<28}{'req/s (median)':>16}{'p99 ms (median)':>17}{'vs floor':>10}{'errors':>8}"
          f"{'CPU ms/req':>12}{'floor CPU/page CPU':>20}  per round req/s | p99 | ratio  target")
    floor_cpu = statistics.median(r[4] for r in results["hello-world floor"])
    all_met = True
    for name, rows in results.items():
        rps = statistics.median(r[0] for r in rows)
        p99 = statistics.median(r[1] for r in rows)
        ratio = statistics.median(r[3] for r in rows)
        errors = sum(r[2] for r in rows)
        cpu = statistics.median(r[4] for r in rows)
        target = ""
        if name in TARGETS:
            least, slowest = TARGETS[name]
            met = ratio >= least and (slowest is None or p99 <= slowest) and not errors
            all_met &= met
            target = f">= {least}" + (f", p99 <= {slowest} ms" if slowest else "") + (" met" if met else " MISSED")
        rounds = " ".join(f"{r[0]:.0f}|{r[1]:.0f}|{r[3]:.2f}" for r in rows)
        print(f"{name:<28}{rps:>16.0f}{p99:>17.1f}{ratio:>10.2f}{errors:>8}{cpu:>12.2f}{floor_cpu / cpu:>20.2f}  "
              f"{rounds}  {target}")
    print("\nall targets met" if all_met else "\nsome targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
