"""The attendee's hot path: queries per page, pages and images made once, ETags, image rate limits, contrast."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import cv2
import numpy as np
import pytest
from flask import template_rendered
from PIL import Image
from sqlalchemy import event

from posterbooth.theme import AA, WHITE, contrast, readable, theme_style
from tests.attendee import SPRING, complete

BASE = "https://event.example.com"


@contextmanager
def _queries(app) -> Iterator[list[str]]:
    """Collect the SQL statements the app sends while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = app.extensions["posterbooth.db"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextmanager
def _renders(app) -> Iterator[list[str]]:
    names: list[str] = []

    def note(_sender, template, context, **_extra) -> None:
        names.append(template.name)

    template_rendered.connect(note, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(note, app)


def _decode(data: bytes) -> str:
    gray = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    return cv2.QRCodeDetector().detectAndDecode(gray)[0]


def test_a_first_visit_makes_no_query_and_the_landing_page_is_rendered_once(app):
    app.test_client().get("/c/spring-outing")  # the first render of this campaign version
    with _queries(app) as queries, _renders(app) as renders:
        for _ in range(3):
            response = app.test_client().get("/c/spring-outing")  # a new browser each time
            assert response.status_code == 200 and "pb_device=" in response.headers["Set-Cookie"]
    assert queries == []
    assert renders == []


def test_a_returning_device_costs_one_indexed_query_and_finds_its_poster(app, client):
    client.get("/c/spring-outing")
    with _queries(app) as queries:
        assert client.get("/c/spring-outing").status_code == 200
    assert len(queries) == 1 and "participations" in queries[0]
    result = complete(client, "spring-outing", SPRING)
    with _queries(app) as queries:
        response = client.get("/c/spring-outing")
    assert response.status_code == 302 and response.headers["Location"] == result
    assert len(queries) == 1


def test_the_waiting_status_is_one_query(app, client):
    result = complete(client, "spring-outing", SPRING)
    with _queries(app) as queries:
        data = client.get(f"{result}/status.json").get_json()
    assert data["status"] == "queued" and data["ahead"] == 0
    assert len(queries) == 1
    assert client.get("/r/no-such-id/status.json").status_code == 404


def test_a_share_page_is_rendered_once_for_many_visitors(app, client, run_worker):
    result = complete(client, "spring-outing", SPRING)
    run_worker()
    share = re.search(r'href="(/s/[^"]+)"', client.get(result).get_data(as_text=True)).group(1)
    first = app.test_client().get(share).get_data(as_text=True)
    with _queries(app) as queries, _renders(app) as renders:
        again = app.test_client().get(share).get_data(as_text=True)
    assert again == first and queries == [] and renders == []


def test_qr_codes_are_drawn_once_per_channel_and_revalidated_by_etag(app, client):
    first = client.get("/c/spring-outing/qr.png?ch=booth%202%26x")
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert _decode(first.data) == f"{BASE}/c/spring-outing?ch=booth+2%26x"
    assert first.headers["ETag"] and "max-age=604800" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/c/spring-outing/qr.png?ch=booth%202%26x", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/c/spring-outing/qr.png?ch=stage")
    assert other.headers["ETag"] != first.headers["ETag"] and _decode(other.data) == f"{BASE}/c/spring-outing?ch=stage"
    svg = client.get("/c/spring-outing/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.headers["ETag"]
    cached = list((app.config["MEDIA_DIR"] / "cache").rglob("*.*"))
    assert len(cached) == 3  # two PNG channels and one SVG, kept on disk for every process


def test_drawing_images_is_rate_limited_but_cached_ones_are_not(app_env, monkeypatch):
    from posterbooth import create_app

    monkeypatch.setenv("IMAGE_RATE_LIMIT", "2 per minute")
    app = create_app({"TESTING": True})
    client = app.test_client()
    try:
        assert client.get("/c/spring-outing/qr.png?ch=a").status_code == 200
        assert client.get("/c/spring-outing/qr.png?ch=b").status_code == 200
        refused = client.get("/c/spring-outing/qr.png?ch=c")
        assert refused.status_code == 429
        for _ in range(5):  # already drawn: served from the cache, not counted
            assert client.get("/c/spring-outing/qr.png?ch=a").status_code == 200
        # A share card's thumbnail is drawn on its first request: that counts too.
        from rq import SimpleWorker

        result = complete(client, "spring-outing", SPRING)
        queue = app.extensions["posterbooth.queue"]
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
        share = re.search(r'href="(/s/[^"]+)"', client.get(result).get_data(as_text=True)).group(1)
        assert client.get(f"{share}/thumb.jpg").status_code == 429
        with app.test_client().get(f"{share}/thumb.jpg") as same_address:
            assert same_address.status_code == 429  # counted per address: a new device (or none) is no way round
        with app.test_client().get(f"{share}/thumb.jpg", environ_base={"REMOTE_ADDR": "192.0.2.7"}) as other:
            assert other.status_code == 200  # another address draws it
        with client.get(f"{share}/thumb.jpg") as made:
            assert made.status_code == 200  # now it is made: free for everyone
    finally:
        app.extensions["posterbooth.db"].dispose()


def test_favicons_default_and_from_the_campaign_logo(client):
    default = client.get("/favicon.ico")
    assert default.status_code == 200 and default.mimetype == "image/x-icon" and default.headers["ETag"]
    assert Image.open(io.BytesIO(default.data)).format == "ICO"
    icon = client.get("/c/spring-outing/icon.png")
    assert icon.status_code == 200 and Image.open(io.BytesIO(icon.data)).size == (96, 96)
    page = client.get("/c/spring-outing").get_data(as_text=True)
    assert '<link rel="icon" href="/c/spring-outing/icon.png">' in page
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/").get_data(as_text=True)
    assert client.get("/c/nope/icon.png").status_code == 404


def test_covers_and_logos_carry_their_intrinsic_size_and_pages_a_description(client):
    page = client.get("/c/spring-outing").get_data(as_text=True)
    assert re.search(r'class="cover"[^>]* width="1080" height="720"', page)
    assert re.search(r'class="logo"[^>]* width="\d+" height="168"', page)
    home = client.get("/").get_data(as_text=True)
    assert len(re.findall(r'class="card-cover"[^>]* width="1080" height="720"', home)) >= 4
    for path in ("/", "/c/spring-outing", "/c/spring-outing/q/scenery", "/c/nope"):
        assert '<meta name="description" content="' in client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize(("primary", "background", "text"), [
    ("#2F6F5E", "#F7F3EC", "#1E2433"),  # the default theme
    ("#E4572E", "#FBF4EC", "#241C3C"),  # concert-restyle: white on this orange is 3.4:1
    ("#FFD400", "#FFFFFF", "#999999"),  # a careless theme
])
def test_every_theme_colour_reaches_wcag_aa(primary, background, text):
    values = dict(part.split(":") for part in theme_style(primary, background, text).split(";"))
    for name in ("--primary", "--ink", "--muted"):
        for surface in (background, WHITE):
            assert contrast(values[name], surface) >= AA, (name, values[name], surface)
    assert readable("#2F6F5E", ("#F7F3EC", WHITE)) == "#2F6F5E"  # a colour that passes is left alone
