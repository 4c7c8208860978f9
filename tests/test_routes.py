"""Routes with no other test: entry QR codes, campaign assets, schedules, `flask campaigns list`, limits, headers."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.attendee import form_fields
from tests.conftest import CAMPAIGNS
from tests.qr_decode import decode_poster_qr

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
pytestmark = SQLITE_ONLY


def _scheduled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: datetime, end: datetime) -> None:
    """Serve spring-outing alone, with this schedule."""
    root = tmp_path / "scheduled"
    shutil.copytree(CAMPAIGNS / "spring-outing", root / "spring-outing")
    definition = root / "spring-outing" / "campaign.yaml"
    text = definition.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  start: .+$", f"  start: {start.isoformat()}", text)
    text = re.sub(r"(?m)^  end: .+$", f"  end: {end.isoformat()}", text)
    definition.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CAMPAIGNS_DIR", str(root))


@pytest.fixture
def make_app(app_env):
    from posterbooth import create_app

    made = []

    def build():
        application = create_app({"TESTING": True})
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["posterbooth.db"].dispose()


# --- entry QR codes and assets ------------------------------------------------------------------------


def test_entry_qr_codes_lead_to_the_campaign(client) -> None:
    with client.get("/c/spring-outing/qr.png?ch=booth") as png:
        assert png.status_code == 200 and png.mimetype == "image/png"
        image = Image.open(io.BytesIO(png.data))
        assert decode_poster_qr(image.convert("RGB")) == "https://event.example.com/c/spring-outing?ch=booth"
    with client.get("/c/spring-outing/qr.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data and b"<script" not in svg.data
    assert client.get("/c/no-such-campaign/qr.png").status_code == 404
    assert client.get("/c/no-such-campaign/qr.svg").status_code == 404


def test_campaign_assets_are_served(app, client) -> None:
    loaded = app.extensions["posterbooth.campaigns"]["spring-outing"]
    for kind in ("cover", "logo"):
        name = getattr(loaded.definition.assets, kind)
        assert name, kind
        with client.get(f"/c/spring-outing/asset/{kind}") as response:
            assert response.status_code == 200, kind
            assert response.data == loaded.asset(name).read_bytes()
            assert response.mimetype.startswith("image/")
            assert "max-age=86400" in response.headers["Cache-Control"]
    assert client.get("/c/spring-outing/asset/font").status_code == 404
    assert client.get("/c/no-such-campaign/asset/cover").status_code == 404


# --- the schedule -------------------------------------------------------------------------------------


def test_a_campaign_that_has_not_opened_yet(tmp_path, monkeypatch, make_app) -> None:
    now = datetime.now(UTC)
    _scheduled(tmp_path, monkeypatch, now + timedelta(days=2), now + timedelta(days=30))
    client = make_app().test_client()
    page = client.get("/c/spring-outing/q/scenery")
    assert page.status_code == 403
    assert "尚未开始" in page.get_data(as_text=True) or "Not open yet" in page.get_data(as_text=True)
    assert client.get("/c/spring-outing/style").status_code == 403
    landing = client.get("/c/spring-outing")
    assert landing.status_code == 200 and 'href="/c/spring-outing/q/scenery"' not in landing.get_data(as_text=True)


def test_a_campaign_that_has_ended(tmp_path, monkeypatch, make_app) -> None:
    now = datetime.now(UTC)
    _scheduled(tmp_path, monkeypatch, now - timedelta(days=30), now - timedelta(minutes=1))
    app = make_app()
    client = app.test_client()
    page = client.get("/c/spring-outing/q/scenery")
    assert page.status_code == 403
    body = page.get_data(as_text=True)
    assert "已结束" in body or "has ended" in body
    # A post made from a page opened before the end is refused too, and nothing is recorded.
    response = client.post("/c/spring-outing/q/scenery", data={**form_fields(body), "answer": "lake"})
    assert response.status_code in (400, 403)
    assert app.extensions["posterbooth.queue"].count == 0


def test_the_same_campaign_while_open(tmp_path, monkeypatch, make_app) -> None:
    now = datetime.now(UTC)
    _scheduled(tmp_path, monkeypatch, now - timedelta(days=1), now + timedelta(days=1))
    client = make_app().test_client()
    assert client.get("/c/spring-outing/q/scenery").status_code == 200
    assert 'href="/c/spring-outing/q/scenery"' in client.get("/c/spring-outing").get_data(as_text=True)


# --- flask campaigns list -----------------------------------------------------------------------------


def test_flask_campaigns_list_prints_each_campaign_with_its_state_and_url(tmp_path, monkeypatch, make_app) -> None:
    now = datetime.now(UTC)
    _scheduled(tmp_path, monkeypatch, now - timedelta(days=30), now - timedelta(days=1))
    shutil.copytree(CAMPAIGNS / "dream-weekend", tmp_path / "scheduled" / "dream-weekend")
    result = make_app().test_cli_runner().invoke(args=["campaigns", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines()]
    assert [line[:3] for line in lines] == [
        ["dream-weekend", "open", "https://event.example.com/c/dream-weekend"],
        ["spring-outing", "closed", "https://event.example.com/c/spring-outing"],
    ]
    assert lines[1][3] == "AI 测测您最适合去哪春游"


# --- rate limits not tested elsewhere -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/wechat/signature?url=https://event.example.com/c/spring-outing", 60),
     ("/wechat/oauth/spring-outing?code=x&state=y", 30)],
)
def test_wechat_endpoints_answer_429_past_their_limit(client, url: str, limit: int) -> None:
    statuses = [client.get(url).status_code for _ in range(limit + 1)]
    assert 429 not in statuses[:limit], statuses
    assert statuses[limit] == 429


# --- security headers ---------------------------------------------------------------------------------


def test_security_headers_on_pages_errors_and_images(client) -> None:
    for url in ("/c/spring-outing", "/c/spring-outing/q/scenery", "/c/no-such-campaign", "/c/spring-outing/qr.png"):
        with client.get(url) as response:
            headers = response.headers
            assert headers["X-Content-Type-Options"] == "nosniff", url
            assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
            assert headers["X-Frame-Options"] == "SAMEORIGIN", url
            policy = dict(
                (part.strip().split(" ", 1) + [""])[:2] for part in headers["Content-Security-Policy"].split(";")
            )
            assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'", url
            assert policy["frame-ancestors"] == "'self'" and policy["base-uri"] == "'none'", url
            assert policy["form-action"] == "'self'" and "unsafe" not in policy["script-src"], url
