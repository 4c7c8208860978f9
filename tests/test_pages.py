"""Attendee pages are small, self-contained and escape what attendees type."""

from __future__ import annotations

import re

from tests.attendee import SPRING, complete

LIMIT = 30 * 1024


def _weight(client, html: str) -> int:
    total = len(html.encode())
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(asset) as response:
            total += len(response.data)
    return total


def _external(html: str) -> list[str]:
    return [u for u in re.findall(r'(?:href|src|content)="(https?://[^"]+)"', html)
            if not u.startswith("https://event.example.com")]


def test_every_attendee_page_is_under_30_kb_and_loads_nothing_external(app, client, run_worker):
    pages = ["/", "/c/spring-outing?again=1", "/c/spring-outing/q/scenery", "/c/dream-weekend/q/place"]
    result = complete(client, "spring-outing", SPRING)
    pages.append(result)  # waiting page
    run_worker()
    pages.append(result)  # result page
    share = re.search(r'href="(/s/[^"]+)"', client.get(result).get_data(as_text=True)).group(1)
    pages.append(share)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert _weight(client, html) < LIMIT, path
        assert not _external(html), (path, _external(html))
        assert "Content-Security-Policy" in response.headers


def test_waiting_page_refreshes_itself_without_javascript(client):
    html = client.get(complete(client, "spring-outing", SPRING)).get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in html


def test_device_cookie_is_http_only_and_long_lived(client):
    response = client.get("/c/spring-outing")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("pb_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie


def test_home_page_can_be_switched_off(app_env, monkeypatch):
    from posterbooth import create_app

    monkeypatch.setenv("LIST_CAMPAIGNS", "0")
    application = create_app({"TESTING": True})
    assert application.test_client().get("/").status_code == 404
    application.extensions["posterbooth.db"].dispose()
