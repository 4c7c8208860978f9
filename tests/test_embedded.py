"""Embedded mode: `python app.py` runs Redis and workers itself, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.attendee import SPRING
from tests.conftest import ROOT
from tests.live_server import free_port

pytestmark = pytest.mark.slow


def _workers(pid: int) -> list[psutil.Process]:
    found = []
    for child in _descendants(pid):
        try:
            if "workers" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _within(seconds: float, condition, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.2)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _posterbooth_processes(instance: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            environ = process.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(instance) in cmdline or environ.get("INSTANCE_DIR") == str(instance):
            found.append(process)
    return found


def _post_step(http: httpx.Client, url: str, value: str) -> httpx.Response:
    page = http.get(url)
    assert page.status_code == 200, page.text[:300]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page.text))
    return http.post(url, data={**fields, "answer": value})


def test_python_app_py_serves_a_participation_and_stops_cleanly(tmp_path):
    port = free_port()
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "MEDIA_DIR"}}
    env.update(INSTANCE_DIR=str(instance), EMBEDDED_WORKERS="2", PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "app did not come up"
            time.sleep(0.2)
        # A worker just forked still shows the app's command line until it has started: wait for both.
        _within(30, lambda: len(_workers(process.pid)) == 2, "two worker processes")
        with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as http:
            assert http.get("/").status_code == 200
            response = None
            for step, value in SPRING:
                response = _post_step(http, f"/c/spring-outing/q/{step}", value)
                assert response.status_code == 302, response.text[:300]
            result = response.headers["location"]
            deadline = time.monotonic() + 60
            while http.get(f"{result}/status.json").json()["status"] in {"queued", "running"}:
                assert time.monotonic() < deadline, "poster not made in time"
                time.sleep(0.3)
            page = http.get(result).text
            assert 'id="poster"' in page
            poster = re.search(r'id="poster" class="poster" src="([^"]+)"', page).group(1)
            image = http.get(poster)
            assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
            assert "immutable" in image.headers["cache-control"]
        redis_pids = [p.pid for p in _posterbooth_processes(instance) if "redis" in " ".join(p.cmdline())]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode == 0, output
    assert "Posterbooth stopped" in output
    time.sleep(0.5)
    left = [p for p in _posterbooth_processes(instance) if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [" ".join(p.cmdline()) for p in left]
    for pid in redis_pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (instance / "posterbooth.db").exists()


def test_a_worker_refuses_to_start_on_a_database_that_was_not_migrated(tmp_path, redis_url):
    """`python -m workers` on an empty database says what to run instead of failing on its first query."""
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
           "INSTANCE_DIR": str(tmp_path / "instance"), "MEDIA_DIR": str(tmp_path / "media"),
           "SECRET_KEY": "s" * 40, "PUBLIC_BASE_URL": "https://event.example.com", "IMAGE_PROVIDER": "offline"}
    done = subprocess.run([sys.executable, "-m", "workers", "--burst"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "flask --app app db upgrade" in done.stderr and "Traceback" not in done.stderr
