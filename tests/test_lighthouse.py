"""Lighthouse (npm lighthouse@12.2.3, mobile, Debian Chromium) on every attendee page of a live server.

Fails below 100 in accessibility and best practices and below 95 in performance (timing noise on shared
machines: a page below 95 is measured once more and keeps its better run). Lighthouse is installed into
``~/.cache/posterbooth-lighthouse`` on first use; without npm the test fails and says what to install.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from tests.attendee import SPRING, WEEKEND, answer, complete

_SHARE_LINK = re.compile(r'href="(?P<path>/s/[A-Za-z0-9_-]+)"')

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIGHTHOUSE_VERSION = "12.2.3"
CACHE = Path(os.environ.get("POSTERBOOTH_LIGHTHOUSE_DIR", Path.home() / ".cache" / "posterbooth-lighthouse"))
CHROMIUM = Path("/usr/bin/chromium")
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--disable-sync")
MINIMUM = {"accessibility": 100, "best-practices": 100, "performance": 95}
#: Runs of a page whose performance scores under the minimum before it counts as failing.
PERFORMANCE_TRIES = 4
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def _installed() -> Path:
    """Return the lighthouse CLI of the pinned version, installing it with npm on first use."""
    cli = CACHE / "node_modules" / ".bin" / "lighthouse"
    package = CACHE / "node_modules" / "lighthouse" / "package.json"
    if cli.exists() and json.loads(package.read_text())["version"] == LIGHTHOUSE_VERSION:
        return cli
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed for the Lighthouse test: install the Debian packages 'nodejs npm'")
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs (or two test workers) starting at once install it once
        if cli.exists() and json.loads(package.read_text())["version"] == LIGHTHOUSE_VERSION:
            return cli
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), f"lighthouse@{LIGHTHOUSE_VERSION}"],
            capture_output=True, text=True, timeout=600,
        )
    if done.returncode != 0 or not cli.exists():
        pytest.fail(f"could not install lighthouse@{LIGHTHOUSE_VERSION} with npm:\n{done.stderr[-2000:]}")
    return cli


def _cookie_header(client) -> str:
    names = ("pb_session", "pb_device")
    cookies = [(name, client.get_cookie(name)) for name in names]
    return "; ".join(f"{name}={cookie.value}" for name, cookie in cookies if cookie is not None)


@pytest.fixture
def live_app(app) -> Iterator[str]:
    """Serve the test app on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _pages(app, run_worker) -> dict[str, tuple[str, str]]:
    """Bring attendees to every page; return each page's path and the Cookie header of its attendee."""
    at_style = app.test_client()
    for step, value in WEEKEND[:-1]:
        assert answer(at_style, "dream-weekend", step, value).status_code == 302
    done = app.test_client()
    result_path = complete(done, "dream-weekend", WEEKEND)
    run_worker()
    queued = app.test_client()  # submitted after the worker ran: it stays on the waiting page
    waiting_path = complete(queued, "spring-outing", SPRING)
    share_path = _SHARE_LINK.search(done.get(result_path).get_data(as_text=True))["path"]
    return {
        "home": ("/", ""),
        "landing": ("/c/dream-weekend", ""),
        "question": ("/c/dream-weekend/q/place", ""),
        "photo": ("/c/anime-self/q/selfie", ""),
        "style": ("/c/dream-weekend/style", _cookie_header(at_style)),
        "waiting": (waiting_path, _cookie_header(queued)),
        "result": (result_path, _cookie_header(done)),
        "share": (share_path, ""),
        "error": ("/c/no-such-campaign", ""),
    }


def run_lighthouse(cli: Path, url: str, cookie: str = "") -> dict[str, Any]:
    """Run Lighthouse (mobile) on one URL; return its category scores out of 100 and the audits it failed."""
    command = [
        str(cli), url, "--output=json", "--output-path=stdout", "--quiet", "--ignore-status-code",
        f"--chrome-flags={CHROME_FLAGS}", f"--only-categories={','.join(CATEGORIES)}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "CHROME_PATH": str(CHROMIUM)})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert not report.get("runtimeError"), report["runtimeError"]
    reports = os.environ.get("POSTERBOOTH_LIGHTHOUSE_REPORTS")
    if reports:
        Path(reports).mkdir(parents=True, exist_ok=True)
        (Path(reports) / (url.rstrip("/").rsplit("/", 1)[-1] or "home")).with_suffix(".json").write_text(done.stdout)
    scores: dict[str, Any] = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    scores["failing"] = sorted({
        ref["id"] for name in CATEGORIES for ref in report["categories"][name]["auditRefs"]
        if ref["weight"] and (report["audits"][ref["id"]].get("score") or 0) < 1
        and report["audits"][ref["id"]].get("scoreDisplayMode") == "binary"
    })
    console = report["audits"]["errors-in-console"].get("details", {}).get("items", [])
    scores["own_status_only"] = bool(console) and all(
        item.get("source") == "network" and item.get("sourceLocation", {}).get("url") == url for item in console
    )
    return scores


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_attendee_page_scores_full_marks_in_lighthouse(app, live_app: str, run_worker) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install the Debian package 'chromium'")
    cli = _installed()
    pages = _pages(app, run_worker)
    for path, cookie in pages.values():  # a server in service is warm: templates compiled, covers measured
        httpx.get(live_app + path, headers={"Cookie": cookie} if cookie else {}, timeout=30)
    below: list[str] = []
    for name, (path, cookie) in pages.items():
        scores = run_lighthouse(cli, live_app + path, cookie)
        for _ in range(PERFORMANCE_TRIES - 1):
            if scores["performance"] >= MINIMUM["performance"]:
                break
            # Performance is timing: on a busy machine (the other test process, a neighbour) a run can lose its
            # points to work that is not the page's. The best of a few runs is the page's; other scores never vary.
            again = run_lighthouse(cli, live_app + path, cookie)
            scores = again if again["performance"] > scores["performance"] else scores
        failing, own_status_only = scores.pop("failing"), scores.pop("own_status_only")
        print(f"lighthouse {name:<11} {path:<40} " + " ".join(f"{k}={v}" for k, v in scores.items()))
        if name == "error" and own_status_only and set(failing) <= {"errors-in-console", "http-status-code"}:
            # Chrome logs a document's 4xx status as a console error: that is the error page doing its job.
            print("  (error page: only its own 404 status costs points, in best practices and SEO)")
            scores["best-practices"] = 100
        below += [f"{name}: {category} {scores[category]} < {least} (failing: {failing})"
                  for category, least in MINIMUM.items() if scores[category] < least]
    assert not below, "\n".join(below)
