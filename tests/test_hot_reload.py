"""Campaign changes without a restart: the registry follows the campaigns folder, keeps the last good version
when a change is broken, and a participation's poster is made with the campaign version it was submitted under."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.campaign_registry import CampaignRegistry
from posterbooth.campaigns import CampaignError
from posterbooth.models import CampaignVersion, Participation
from tests.attendee import SPRING, complete
from tests.conftest import CAMPAIGNS, ROOT
from tests.live_server import free_port

SLUG = "spring-outing"
OLD_TITLE = "AI 测测您最适合去哪春游"
OLD_BACKGROUND = 'background: "#F4F1E8"\n  image:'


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def copy_campaigns(root: Path, *slugs: str) -> Path:
    """Copy demo campaigns into a campaigns folder of the test's own."""
    root.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        shutil.copytree(CAMPAIGNS / slug, root / slug)
    return root


def edit(root: Path, old: str, new: str, slug: str = SLUG) -> None:
    """Replace text in a campaign.yaml, as an editor saving the file would."""
    path = root / slug / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return copy_campaigns(tmp_path / "campaigns", SLUG)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the registry, with a fake clock -------------------------------------------------------------------

def test_an_edit_is_live_after_the_interval_and_not_before(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    first = registry[SLUG]
    assert first.definition.title == OLD_TITLE and len(first.version) == 16
    edit(folder, f"title: {OLD_TITLE}", "title: 春游新标题")
    clock.advance(1.9)
    assert registry[SLUG] is first  # not looked at yet: reading is one clock call
    clock.advance(0.2)
    second = registry[SLUG]
    assert second.definition.title == "春游新标题"
    assert second.version != first.version and second.source.count("春游新标题") == 1
    assert registry.problems() == {}


def test_touching_a_file_or_saving_the_same_content_keeps_the_version(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    first = registry[SLUG]
    path = folder / SLUG / "campaign.yaml"
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(time.time_ns() + 5_000_000_000,) * 2)
    clock.advance(2.1)
    assert registry[SLUG] is first  # same object: caches keyed by it stay warm


def test_an_asset_change_is_a_new_version(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    first = registry[SLUG]
    image = Image.new("RGB", (64, 48), "#3355AA")
    out = io.BytesIO()
    image.save(out, format="PNG")
    (folder / SLUG / "logo.png").write_bytes(out.getvalue())
    clock.advance(2.1)
    assert registry[SLUG].version != first.version


def test_a_broken_change_keeps_the_last_good_version_and_is_logged_once(folder, clock, caplog):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    good = registry[SLUG]
    edit(folder, "  width: 1080\n  height: 1920", "  width: wide\n  height: 1920")
    caplog.set_level(logging.INFO, logger="posterbooth")
    path = folder / SLUG / "campaign.yaml"
    for second in range(5):
        os.utime(path, ns=(time.time_ns() + second * 1_000_000_000,) * 2)  # saved again, unchanged
        clock.advance(2.1)
        assert registry[SLUG] is good
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    problem = registry.problems()[SLUG]
    assert problem.field == "poster.width" and problem.file.endswith("spring-outing/campaign.yaml")
    lines = (folder / SLUG / "campaign.yaml").read_text(encoding="utf-8").splitlines()
    assert problem.line is not None and "width: wide" in lines[problem.line - 1]
    assert f"line {problem.line}" in errors[0].getMessage() and good.version in errors[0].getMessage()
    # Another broken content is logged once more; fixing it clears the problem and goes live.
    edit(folder, "  width: wide", "  width: [")
    clock.advance(2.1)
    assert registry[SLUG] is good
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2
    edit(folder, "  width: [", "  width: 1080")  # put back as it was: the live version, no problem left
    clock.advance(2.1)
    assert registry[SLUG] is good and registry.problems() == {}
    edit(folder, "  height: 1920", "  height: 2000")
    clock.advance(2.1)
    assert registry[SLUG].definition.poster.height == 2000


def test_new_folders_appear_and_removed_ones_disappear(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    assert set(registry) == {SLUG}
    shutil.copytree(CAMPAIGNS / "dream-weekend", folder / "dream-weekend")
    clock.advance(2.1)
    assert set(registry) == {SLUG, "dream-weekend"}
    shutil.rmtree(folder / SLUG)
    clock.advance(2.1)
    assert set(registry) == {"dream-weekend"} and registry.get(SLUG) is None


def test_a_broken_new_folder_is_reported_and_not_live(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    (folder / "half-copied").mkdir()
    clock.advance(2.1)
    assert set(registry) == {SLUG}
    assert "missing" in registry.problems()["half-copied"].message
    shutil.rmtree(folder / "half-copied")
    clock.advance(2.1)
    assert registry.problems() == {}


def test_a_broken_campaign_at_start_stops_the_start(folder, clock):
    edit(folder, "  width: 1080", "  width: wide")
    with pytest.raises(CampaignError):
        CampaignRegistry(folder, interval=2.0, clock=clock)


def test_interval_zero_loads_once(folder, clock):
    registry = CampaignRegistry(folder, interval=0, clock=clock)
    first = registry[SLUG]
    edit(folder, f"title: {OLD_TITLE}", "title: 不会加载")
    clock.advance(3600)
    assert registry[SLUG] is first


def test_an_earlier_version_is_rebuilt_from_its_stored_definition_and_kept(folder, clock):
    registry = CampaignRegistry(folder, interval=2.0, clock=clock)
    old = registry[SLUG]
    edit(folder, f"title: {OLD_TITLE}", "title: 第二版")
    clock.advance(2.1)
    assert registry[SLUG].definition.title == "第二版"
    calls = []

    def stored() -> str:
        calls.append(1)
        return old.source

    for _ in range(3):
        earlier = registry.for_version(SLUG, old.version, stored)
        assert earlier is not None and earlier.definition.title == OLD_TITLE and earlier.version == old.version
    assert len(calls) == 1  # rebuilt once, then kept
    live = registry[SLUG]
    assert registry.for_version(SLUG, live.version, stored) is live
    assert registry.for_version(SLUG, "", stored) is live
    assert registry.for_version(SLUG, "0" * 16, lambda: None) is live  # not stored: the live version
    assert registry.for_version("gone", old.version, stored) is None


# --- the web app and a real worker ---------------------------------------------------------------------

def _wait_for(predicate, seconds: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _poster_corner(app, public_id: str) -> tuple[int, int, int]:
    from posterbooth.storage import MediaStore

    with app.extensions["posterbooth.db"].session() as session:
        participation = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
    assert participation.status == "done", (participation.status, participation.error_detail)
    path = MediaStore(app.config["MEDIA_DIR"]).path(participation.poster_path)
    with Image.open(path) as poster:
        return poster.convert("RGB").getpixel((12, poster.height - 12))


def _close(color: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(color, expected, strict=True))


@pytest.fixture
def live_app(app_env, monkeypatch, tmp_path):
    root = copy_campaigns(tmp_path / "live-campaigns", SLUG)
    monkeypatch.setenv("CAMPAIGNS_DIR", str(root))
    monkeypatch.setenv("CAMPAIGN_RELOAD_SECONDS", "0.2")
    from posterbooth import create_app

    application = create_app({"TESTING": True})
    application.config["ROOT_FOR_TEST"] = root
    yield application
    application.extensions["posterbooth.db"].dispose()


def test_a_participation_submitted_before_an_edit_gets_the_poster_of_its_own_version(live_app, run_worker):
    app, root = live_app, live_app.config["ROOT_FOR_TEST"]
    before = complete(app.test_client(), SLUG, SPRING).rsplit("/", 1)[-1]
    edit(root, OLD_BACKGROUND, 'background: "#C81E1E"\n  image:')
    edit(root, f"title: {OLD_TITLE}", "title: 春游第二版")
    web = app.test_client()
    _wait_for(lambda: "春游第二版" in web.get(f"/c/{SLUG}").get_data(as_text=True), what="the new title")
    after = complete(web, SLUG, SPRING).rsplit("/", 1)[-1]
    run_worker()  # a worker that starts after the edit: its live version is the new one
    assert _close(_poster_corner(app, before), (0xF4, 0xF1, 0xE8))
    assert _close(_poster_corner(app, after), (0xC8, 0x1E, 0x1E))
    with app.extensions["posterbooth.db"].session() as session:
        versions = dict(session.execute(select(Participation.public_id, Participation.campaign_version)).all())
        stored = session.scalars(select(CampaignVersion).where(CampaignVersion.campaign == SLUG)).all()
    assert versions[before] != versions[after]
    assert {s.version for s in stored} == {versions[before], versions[after]}
    assert f"title: {OLD_TITLE}" in next(s for s in stored if s.version == versions[before]).definition


def test_the_console_shows_a_broken_change_and_the_landing_page_keeps_the_old_version(live_app, caplog):
    from posterbooth.console.accounts import add_operator
    from tests.console_helpers import ClosingClient, login

    app, root = live_app, live_app.config["ROOT_FOR_TEST"]
    app.test_client_class = ClosingClient
    add_operator(app.extensions["posterbooth.db"], "mia", "admin", "mia-password-1")
    console = app.test_client()
    assert login(console, "mia", "mia-password-1").status_code == 303
    assert 'class="alert problem"' not in console.get("/admin/").get_data(as_text=True)
    caplog.set_level(logging.INFO, logger="posterbooth")
    edit(root, "outcome_by: scores", "outcome_by: <b>dice</b>")
    attendee = app.test_client()

    def banner() -> bool:
        return 'class="alert problem"' in console.get("/admin/").get_data(as_text=True)

    _wait_for(banner, what="the console's banner")
    page = console.get("/admin/").get_data(as_text=True)
    assert "spring-outing/campaign.yaml" in page and "outcome_by" in page and "第 43 行" in page
    assert "<b>dice</b>" not in page  # what the file says is escaped
    overview = console.get(f"/admin/c/{SLUG}").get_data(as_text=True)
    assert 'class="alert problem"' in overview and "outcome_by" in overview
    for _ in range(5):
        landing = attendee.get(f"/c/{SLUG}")
        assert landing.status_code == 200 and OLD_TITLE in landing.get_data(as_text=True)
        time.sleep(0.25)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR and SLUG in r.getMessage()]) == 1


# --- against a running `python app.py` (and a `python -m workers` process) -----------------------------



def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _post_answers(http: httpx.Client, answers: list[tuple[str, str]]) -> str:
    response = None
    for step, value in answers:
        page = http.get(f"/c/{SLUG}/q/{step}")
        assert page.status_code == 200, page.text[:300]
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page.text))
        response = http.post(f"/c/{SLUG}/q/{step}", data={**fields, "answer": value})
        assert response.status_code == 302, response.text[:300]
    assert response is not None
    return response.headers["location"]


def _served_poster_corner(http: httpx.Client, result: str) -> tuple[int, int, int]:
    deadline = time.monotonic() + 90
    while http.get(f"{result}/status.json").json()["status"] in {"queued", "running"}:
        assert time.monotonic() < deadline, "poster not made in time"
        time.sleep(0.3)
    poster = re.search(r'id="poster" class="poster" src="([^"]+)"', http.get(result).text)
    assert poster, "no poster on the result page"
    with Image.open(io.BytesIO(http.get(poster.group(1)).content)) as image:
        return image.convert("RGB").getpixel((12, image.height - 12))


def _within(seconds: float, predicate, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < seconds, f"not within {seconds} s: {what}"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.slow
def test_a_running_app_follows_campaign_changes(tmp_path, redis_conn, redis_url):
    root = copy_campaigns(tmp_path / "campaigns", SLUG)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MEDIA_DIR"}}
    env.update(INSTANCE_DIR=str(tmp_path / "instance"), CAMPAIGNS_DIR=str(root), REDIS_URL=redis_url,
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", ADMIN_PASSWORD="bootstrap-pass-123",
               SECRET_KEY="test-secret-0123456789abcdef0123456789", IMAGE_PROVIDER="offline", PYTHONUNBUFFERED="1")
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = _start(["app.py", "--port", str(port)], env, web_log)
    worker = None
    clients: list[httpx.Client] = []
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as probe:
            def up() -> bool:
                assert web.poll() is None, web_log.read_text()
                try:
                    return probe.get("/healthz").status_code == 200
                except httpx.TransportError:
                    return False

            _within(90, up, "the app starts")
        attendee, first, second, console = (httpx.Client(base_url=base, timeout=20) for _ in range(4))
        clients.extend((attendee, first, second, console))
        landing = lambda: attendee.get(f"/c/{SLUG}").text  # noqa: E731
        assert OLD_TITLE in landing()
        # Submitted before the edit, while no worker runs: its poster is made after the edit, with its version.
        before = _post_answers(first, SPRING)
        edit(root, OLD_BACKGROUND, 'background: "#C81E1E"\n  image:')
        edit(root, f"title: {OLD_TITLE}", "title: 春游第二版")
        took = _within(10, lambda: "春游第二版" in landing(), "the edited title on the landing page")
        print(f"edit live on the landing page after {took:.1f} s")
        worker = _start(["-m", "workers", "--name", "reload-test"], env, worker_log)
        assert _close(_served_poster_corner(first, before), (0xF4, 0xF1, 0xE8))
        after = _post_answers(second, SPRING)
        assert _close(_served_poster_corner(second, after), (0xC8, 0x1E, 0x1E))
        # The running worker follows a further change too.
        edit(root, 'background: "#C81E1E"', 'background: "#1E3CC8"')
        _within(10, lambda: "reloaded: version" in worker_log.read_text(), "the worker reloads")
        # A broken save: the last good version stays, the error is logged once and shown on the console.
        edit(root, "outcome_by: scores", "outcome_by: dice")
        _within(10, lambda: "春游第二版" in landing() and "was not loaded" in web_log.read_text(),
                "the error in the web log (the web app looks when it serves a request)")
        for _ in range(10):
            assert "春游第二版" in landing()
            time.sleep(0.5)
        errors = [line for line in web_log.read_text().splitlines() if " ERROR " in line and SLUG in line]
        assert len(errors) == 1 and "line 43" in errors[0] and "outcome_by" in errors[0], errors
        token = re.search(r'name="csrf_token" value="([^"]+)"', console.get("/admin/login").text).group(1)
        console.post("/admin/login", data={"csrf_token": token, "username": "admin",
                                           "password": "bootstrap-pass-123"})
        page = console.get("/admin/").text
        assert 'class="alert problem"' in page and "outcome_by" in page, page[:2000]
        # A new folder appears; a removed one disappears.
        shutil.copytree(CAMPAIGNS / "dream-weekend", root / "dream-weekend")
        _within(10, lambda: attendee.get("/c/dream-weekend").status_code == 200, "the new campaign")
        shutil.rmtree(root / "dream-weekend")
        _within(10, lambda: attendee.get("/c/dream-weekend").status_code == 404, "the removed campaign")
    finally:
        for client in clients:
            client.close()
        _stop(web)
        if worker is not None:
            _stop(worker)
