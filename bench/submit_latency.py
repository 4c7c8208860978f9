"""Submit-to-poster latency in embedded mode with the offline provider.

Run: python bench/submit_latency.py [--runs 20] [--burst 10]
Starts ``python app.py`` (embedded Redis, 2 workers, SQLite) on a free port with a temporary instance
directory, then, like an attendee's browser, answers the spring-outing campaign and measures the time
from the final answer's POST to the moment the status endpoint says ``done``. It prints the median and
p95 for one attendee at a time, the same for a burst of simultaneous attendees, and the floor measured in
the same run: painting the image and composing the poster in-process (the work no queue can avoid).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS = [("scenery", "lake"), ("pace", "stroll"), ("companion", "friends")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_attendee(base: str) -> float:
    """Answer every question; return seconds from the last POST until the poster is done."""
    with httpx.Client(base_url=base, timeout=30) as http:
        response = None
        started = 0.0
        for step, value in ANSWERS:
            page = http.get(f"/c/spring-outing/q/{step}")
            fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page.text))
            started = time.perf_counter()
            response = http.post(f"/c/spring-outing/q/{step}", data={**fields, "answer": value})
        assert response is not None and response.status_code == 302, response
        result = response.headers["location"]
        while True:
            status = http.get(f"{result}/status.json").json()["status"]
            if status == "done":
                return time.perf_counter() - started
            if status not in {"queued", "running"}:
                raise RuntimeError(f"participation ended {status}")
            time.sleep(0.05)


def floor(runs: int) -> float:
    """Return the median in-process time to paint the image and compose the poster."""
    from PIL import Image

    from posterbooth.aigc import AigcRecord
    from posterbooth.campaigns import load_all
    from posterbooth.poster import PosterAssets, compose_poster
    from posterbooth.prompt import render, template_context
    from posterbooth.providers.base import GenerationRequest
    from posterbooth.providers.offline import OfflineProvider

    loaded = load_all(ROOT / "campaigns")["spring-outing"]
    campaign = loaded.definition
    context = template_context(campaign, dict(ANSWERS), campaign.outcomes[0], campaign.styles[0])
    provider = OfflineProvider()
    times = []
    for seed in range(runs):
        began = time.perf_counter()
        image = provider.start(GenerationRequest(prompt="春天的杭州西湖，湖光山色", seed=seed, style="watercolor"))
        compose_poster(
            campaign.poster, Image.open(io.BytesIO(image.data)).convert("RGB"),
            render_text=lambda source: render(source, context),
            assets=PosterAssets(background_image=None, logo=loaded.asset(campaign.assets.logo), brand_font=None),
            qr_url="https://event.example.com/c/spring-outing?ref=abcdefabcdef",
            aigc=AigcRecord(produce_id=str(seed), producer="bench"),
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="attendees one after another")
    parser.add_argument("--burst", type=int, default=10, help="attendees at the same moment")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as instance:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "MEDIA_DIR"}}
        env.update(INSTANCE_DIR=instance, LOG_LEVEL="WARNING", SUBMIT_RATE_LIMIT="1000 per minute")
        app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
                if time.monotonic() > deadline:
                    raise SystemExit("app did not start")
            one_attendee(base)  # warm-up: fonts, campaign load in the work horses
            sequential = [one_attendee(base) for _ in range(args.runs)]
            with ThreadPoolExecutor(args.burst) as pool:
                burst = list(pool.map(lambda _: one_attendee(base), range(args.burst)))
        finally:
            app.send_signal(signal.SIGINT)
            app.wait(30)
    work = floor(5)
    print(f"floor: paint + compose in-process, median        {work * 1000:8.0f} ms")
    print(f"one attendee at a time ({args.runs}): median {statistics.median(sequential) * 1000:8.0f} ms"
          f"   p95 {p95(sequential) * 1000:8.0f} ms   median/floor {statistics.median(sequential) / work:5.2f}")
    print(f"burst of {args.burst} at once:       median {statistics.median(burst) * 1000:8.0f} ms"
          f"   p95 {p95(burst) * 1000:8.0f} ms   median/floor {statistics.median(burst) / work:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
