"""In headless Chromium, as a marketer: sign in, watch the overview while attendees take part, hide a poster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.attendee import SPRING, complete
from tests.live_server import serve_app
from tests.test_browser import PHONE
from tests.test_browser import browser as browser  # the same headless Chromium fixture

pytestmark = pytest.mark.browser

#: Set CONSOLE_SCREENSHOTS=/some/dir to keep the screenshots for a look.
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS", "")
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def live(app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    """Serve the app on a free loopback port, with one admin account."""
    from posterbooth.console.accounts import add_operator

    with serve_app(monkeypatch) as (url, app):
        add_operator(app.extensions["posterbooth.db"], "mia", "admin", "mia-password-1")
        yield url, app


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _attendees(app, count: int) -> None:
    """Let attendees take part (their own browsers) and a real worker make their posters."""
    from rq import SimpleWorker

    from tests.console_helpers import ClosingClient

    app.test_client_class = ClosingClient  # responses closed, as a server does: their events are recorded
    for _ in range(count):
        complete(app.test_client(), "spring-outing", SPRING)
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def test_marketer_watches_hides_and_the_share_page_says_removed(live, browser):
    base, app = live
    requests: list[str] = []
    laptop = browser.new_context(**LAPTOP, locale="zh-CN")
    page = laptop.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/admin/c/spring-outing")
    assert "/admin/login" in page.url
    _shot(page, "login-1280")
    page.fill("input[name=username]", "mia")
    page.fill("input[name=password]", "mia-password-1")
    page.click("button.primary")
    page.wait_for_url(f"{base}/admin/c/spring-outing")
    assert page.locator(".kpi b").first.inner_text() == "0"
    _attendees(app, 3)
    # The page refreshes itself from its JSON twin: the posters appear without a reload.
    page.wait_for_function("() => document.querySelector('.kpi:nth-child(3) b').textContent.trim() === '3'",
                           timeout=20_000)
    assert "海报生成" in page.inner_text("#live")
    _shot(page, "overview-1280")
    page.goto(f"{base}/admin/")
    _shot(page, "campaigns-1280")
    page.goto(f"{base}/admin/c/spring-outing/gallery")
    assert page.locator(".tile").count() == 3
    _shot(page, "gallery-1280")
    page.locator(".tile a.thumb").first.click()
    page.wait_for_selector("img.poster")
    _shot(page, "participation-1280")
    share_url = page.locator("a", has_text="打开分享页").get_attribute("href")
    page.locator("form[action$='/hide'] button").click()
    page.wait_for_selector(".alert")
    assert page.locator("form[action$='/restore']").count() == 1
    assert all(url.startswith(base) for url in requests), [u for u in requests if not u.startswith(base)]

    phone = browser.new_context(**PHONE, locale="zh-CN")
    friend = phone.new_page()
    response = friend.goto(f"{base}{share_url}")
    assert response is not None and response.status == 410
    assert "这张海报已被主办方移除" in friend.inner_text("body")
    assert friend.locator("meta[property='og:image']").count() == 0
    _shot(friend, "share-removed-390")
    console = phone.new_page()
    console.goto(f"{base}/admin/login")
    console.fill("input[name=username]", "mia")
    console.fill("input[name=password]", "mia-password-1")
    console.click("button.primary")
    console.wait_for_url(f"{base}/admin/")
    _shot(console, "campaigns-390")
    console.goto(f"{base}/admin/c/spring-outing")
    _shot(console, "overview-390")
    console.goto(f"{base}/admin/c/spring-outing/gallery")
    _shot(console, "gallery-390")
    audit = page.goto(f"{base}/admin/audit")
    assert audit is not None and audit.status == 200
    assert "hide" in page.inner_text("table")
    _shot(page, "audit-1280")
    phone.close()
    laptop.close()
