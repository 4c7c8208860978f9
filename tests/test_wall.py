"""The event wall: its secret key, its feed in auto and approve moderation, the console's queue, the CLI."""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.models import Participation
from posterbooth.wall import wall_key
from tests.attendee import SPRING, complete
from tests.conftest import CAMPAIGNS
from tests.console_helpers import ADMIN_PASSWORD, audit_actions, csrf, login

SECRET = "test-secret-0123456789abcdef0123456789"
SLUG = "spring-outing"


def wall_path(slug: str = SLUG, *, secret: str = SECRET, suffix: str = "") -> str:
    """Return the wall's path (or its feed's, with suffix /feed.json) with the campaign's key."""
    return f"/wall/{slug}{suffix}?key={wall_key(secret, slug)}"


def approve_campaigns(tmp_path: Path) -> Path:
    """Return a campaigns folder whose spring-outing campaign has wall.moderation approve."""
    root = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS / SLUG, root / SLUG)
    definition = root / SLUG / "campaign.yaml"
    definition.write_text(definition.read_text(encoding="utf-8") + "\nwall:\n  moderation: approve\n",
                          encoding="utf-8")
    return root


def make_posters(app, count: int) -> list[Participation]:
    """Let ``count`` attendees (each their own browser) take part, and a real worker make their posters."""
    from rq import SimpleWorker

    public_ids = [complete(app.test_client(), SLUG, SPRING).rsplit("/", 1)[-1] for _ in range(count)]
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    with app.extensions["posterbooth.db"].session() as session:
        made = list(session.scalars(select(Participation).where(Participation.public_id.in_(public_ids))
                                    .order_by(Participation.id)))
    assert [p.status for p in made] == ["done"] * count, [p.error_detail for p in made]
    return made


def feed_ids(client, slug: str = SLUG) -> list[str]:
    """Return the content ids the wall's feed lists now."""
    response = client.get(wall_path(slug, suffix="/feed.json"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return [p["id"] for p in response.get_json()["posters"]]


def wait_for_feed(client, predicate, slug: str = SLUG, timeout: float = 15.0) -> list[str]:
    """Poll the feed until ``predicate(ids)`` holds (screens share one feed for a second per process)."""
    deadline = time.monotonic() + timeout
    while True:
        ids = feed_ids(client, slug)
        if predicate(ids):
            return ids
        assert time.monotonic() < deadline, ids
        time.sleep(0.2)


def hide(client, participation: Participation) -> None:
    """Take a poster down through the console's gallery, as an admin."""
    token = csrf(client, f"/admin/p/{participation.share_token}")
    response = client.post(f"/admin/p/{participation.share_token}/hide", data={"csrf_token": token})
    assert response.status_code == 303


# --- the key ---------------------------------------------------------------------------------------

def test_the_wall_key_is_long_url_safe_and_differs_per_campaign_and_secret():
    key = wall_key(SECRET, SLUG)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", key)  # 24 bytes: 192 bits
    assert key == wall_key(SECRET, SLUG)
    assert key != wall_key(SECRET, "dream-weekend")
    assert key != wall_key(SECRET + "x", SLUG)


@pytest.mark.parametrize("query", ["", "?key=", "?key=wrong", f"?key={wall_key(SECRET, 'dream-weekend')}",
                                   f"?key={wall_key('another-secret-0123456789abcdef', SLUG)}"])
def test_a_wrong_or_missing_key_gets_a_localized_404(client, query):
    for path in (f"/wall/{SLUG}", f"/wall/{SLUG}/feed.json", f"/wall/{SLUG}/p/abc.jpg"):
        response = client.get(path + query)
        assert response.status_code == 404, path
        assert "页面不存在" in response.get_data(as_text=True)  # the campaign's language, not a traceback
    assert client.get(f"/wall/no-such-campaign?key={wall_key(SECRET, 'no-such-campaign')}").status_code == 404


# --- the feed --------------------------------------------------------------------------------------

def test_auto_moderation_shows_finished_posters_newest_first_and_drops_hidden_ones(console_app):
    app = console_app
    client = app.test_client()
    page = client.get(wall_path())
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "AI 测测您最适合去哪春游" in html and "ch=wall" in html and "0</b>" in html
    assert feed_ids(client) == []

    first, second = make_posters(app, 2)
    ids = wait_for_feed(client, lambda ids: len(ids) == 2)
    assert ids == [second.content_id, first.content_id]
    data = client.get(wall_path(suffix="/feed.json")).get_json()
    assert data["count"] == 2
    text = str(data) + client.get(wall_path()).get_data(as_text=True)
    for private in (first.public_id, second.public_id, "/r/", first.share_token):
        assert private not in text  # only the public content ids and the wall's own image URLs

    # The wall's copy of a poster: scaled for the screen, still a JPEG with its AIGC label.
    image = client.get(data["posters"][0]["src"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(image.data)) as opened:
        assert opened.width == 720 and opened.height == 1280
    assert second.content_id.encode() in image.data  # the ProduceID of the implicit label
    assert client.get(data["posters"][0]["src"].replace("key=", "key=x")).status_code == 404

    login(client, "mia", "mia-password-1")
    hide(client, first)
    assert wait_for_feed(client, lambda ids: first.content_id not in ids) == [second.content_id]
    assert client.get(data["posters"][1]["src"]).status_code == 404
    assert client.get(wall_path(suffix="/feed.json")).get_json()["count"] == 2  # posters made stays


def test_approve_moderation_shows_a_poster_only_once_an_admin_approves_it(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("CAMPAIGNS_DIR", str(approve_campaigns(tmp_path)))
    from tests.console_helpers import console_app_with_operators

    for app in console_app_with_operators():
        client = app.test_client()
        first, second = make_posters(app, 2)
        time.sleep(1.5)  # longer than the feed is cached: an unapproved poster is really not there
        assert feed_ids(client) == []

        queue_path = f"/admin/c/{SLUG}/wall"
        assert "/admin/login" in client.get(queue_path).headers["Location"]
        anonymous = client.post(f"{queue_path}/{first.share_token}/approve")
        assert anonymous.status_code in {302, 400} and feed_ids(client) == []

        login(client, "vic", "vic-password-1")  # a viewer sees the queue but may not act
        listing = client.get(queue_path).get_data(as_text=True)
        assert first.share_token in listing and second.share_token in listing
        assert listing.index(second.share_token) < listing.index(first.share_token)  # newest first
        assert wall_key(SECRET, SLUG) in listing  # the wall's URL, for the screen
        token = csrf(client, queue_path)
        refused = client.post(f"{queue_path}/{first.share_token}/approve", data={"csrf_token": token})
        assert refused.status_code == 403
        client.post("/admin/logout", data={"csrf_token": token})

        login(client, "mia", "mia-password-1")
        token = csrf(client, queue_path)
        assert client.post(f"{queue_path}/{first.share_token}/approve").status_code == 400  # no CSRF token
        assert client.post(f"{queue_path}/{first.share_token}/approve", data={"csrf_token": token}).status_code == 303
        assert feed_ids(client) == [first.content_id]  # this process's cached feed was dropped at once
        assert client.post(f"{queue_path}/{second.share_token}/reject", data={"csrf_token": token}).status_code == 303
        assert client.post(f"{queue_path}/nonsense/approve", data={"csrf_token": token}).status_code == 404
        assert client.post(f"{queue_path}/{second.share_token}/promote", data={"csrf_token": token}).status_code == 404
        waiting = client.get(queue_path).get_data(as_text=True)
        assert first.share_token not in waiting and second.share_token not in waiting
        assert second.share_token in client.get(f"{queue_path}?tab=rejected").get_data(as_text=True)
        assert feed_ids(client) == [first.content_id]
        assert ("mia", "wall_approve") in audit_actions(app) and ("mia", "wall_reject") in audit_actions(app)

        hide(client, first)  # taken down: off the wall whatever its approval says
        assert wait_for_feed(client, lambda ids: ids == []) == []


def test_the_overview_shows_the_wall_url(console_app):
    client = console_app.test_client()
    login(client, "admin", ADMIN_PASSWORD)
    page = client.get(f"/admin/c/{SLUG}").get_data(as_text=True)
    assert f"https://event.example.com/wall/{SLUG}?key={wall_key(SECRET, SLUG)}" in page
    assert f"/admin/c/{SLUG}/wall" in page


# --- the command line ------------------------------------------------------------------------------

def test_the_cli_prints_the_wall_url_that_opens_the_wall(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["campaigns", "wall-url", SLUG])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://event.example.com" and parts.path == f"/wall/{SLUG}"
    assert parse_qs(parts.query)["key"] == [wall_key(SECRET, SLUG)]
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    missing = runner.invoke(args=["campaigns", "wall-url", "no-such-campaign"])
    assert missing.exit_code != 0 and "no-such-campaign" in missing.output
