"""In headless Chromium against a real server: WeChat gets the long-press hint and signed share cards;
every other browser loads nothing from outside the site."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from posterbooth.wechat import js_signature
from tests.fakes.wechat_server import STABLE_TOKEN, FakeWeChatServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WORD = "<script>\"hi'🌊"

# Stands in for jweixin-1.6.0.js (no network in tests): records what the page asks of the JS-SDK.
FAKE_JSSDK = """
window.__wx = {calls: []};
window.wx = {
  config: function (c) { window.__wx.config = c; },
  ready: function (f) { setTimeout(f, 0); },
  error: function () {},
  updateAppMessageShareData: function (d) { window.__wx.friend = d; },
  updateTimelineShareData: function (d) { window.__wx.timeline = d; }
};
"""


@pytest.fixture
def browser():
    """Start headless Chromium; fail (never skip) when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install the Debian package 'chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatServer]:
    """Run the fake WeChat API."""
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def live(app_env, monkeypatch: pytest.MonkeyPatch, fake_wechat: FakeWeChatServer) -> Iterator[tuple[str, object]]:
    """Serve the app (WeChat configured, links on the request's host) on a free loopback port."""
    from posterbooth import create_app

    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    monkeypatch.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("WECHAT_APP_ID", fake_wechat.app_id)
    monkeypatch.setenv("WECHAT_APP_SECRET", fake_wechat.app_secret)
    monkeypatch.setenv("WECHAT_API_BASE", fake_wechat.url)
    app = holder["app"] = create_app()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    server.server_close()
    app.extensions["posterbooth.db"].dispose()


def _shots() -> Path | None:
    folder = os.environ.get("POSTERBOOTH_SCREENSHOTS")
    return Path(folder) if folder else None


def _shot(page, name: str) -> None:
    folder = _shots()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def _record_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def _make_poster(page, base: str, app) -> str:
    """Answer the English demo campaign in the browser, run the worker, and return the result page URL."""
    from rq import SimpleWorker

    page.goto(f"{base}/c/dream-weekend?ch=booth")
    page.click("a.button.primary")
    for value in ("sea", "sunset"):
        page.check(f"input[value={value}]")
        page.click("button[type=submit]")
    page.fill("textarea[name=answer]", WORD)
    page.click("button[type=submit]")
    page.check("input[value=watercolor]")
    page.click("button[type=submit]")
    page.wait_for_url("**/r/*")
    result = page.url
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    page.wait_for_selector("#poster", timeout=15000)  # the waiting page reloads itself when done
    return result


def _wait_for(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression from outside the page (the page's CSP forbids eval, rightly)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_wechat_gets_the_hint_and_signed_cards_and_others_load_nothing_external(
    live, browser, fake_wechat: FakeWeChatServer
) -> None:
    base, app = live
    # Elsewhere: a phone browser without WeChat.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    seen = _record_requests(page)
    result = _make_poster(page, base, app)
    assert _loaded(page, "#poster")
    assert page.is_visible("a[download]") and page.is_visible("[data-share]")
    assert page.locator(".save-tip").count() == 0
    _shot(page, "result-browser")
    share_url = page.get_attribute("[data-share]", "href")
    page.goto(base + share_url)
    assert _loaded(page, "img.poster")
    assert page.inner_text(".personal") == WORD
    assert page.evaluate("typeof window.wx") == "undefined"
    _shot(page, "share-browser")
    page.goto(base + share_url + "/thumb.jpg")
    hosts = {urlsplit(url).hostname for url in seen}
    assert hosts == {"127.0.0.1"}, sorted(url for url in seen if urlsplit(url).hostname != "127.0.0.1")

    # Inside WeChat, the same attendee (same cookies): long-press hint, and the JS-SDK sets the cards.
    wechat = browser.new_context(user_agent=WECHAT_UA, **PHONE)
    wechat.add_cookies(phone.cookies())
    sdk_hosts: list[str] = []

    def fake_sdk(route) -> None:
        sdk_hosts.append(urlsplit(route.request.url).hostname)
        route.fulfill(status=200, content_type="application/javascript", body=FAKE_JSSDK)

    wechat.route("https://res.wx.qq.com/**", fake_sdk)
    wechat.route("https://res2.wx.qq.com/**", fake_sdk)
    page = wechat.new_page()
    seen = _record_requests(page)
    page.goto(result)
    assert _loaded(page, "#poster")
    assert page.is_visible(".save-tip")
    assert "Long-press the poster to save it" in page.inner_text(".save-tip")
    assert page.locator("a[download]").count() == 0
    _wait_for(page, "!!(window.__wx && window.__wx.friend && window.__wx.timeline)")
    shared = page.evaluate("window.__wx")
    _shot(page, "result-wechat")
    config = shared["config"]
    ticket = fake_wechat.issued_tickets[-1]
    assert config["signature"] == js_signature(ticket, config["nonceStr"], config["timestamp"], result)
    assert config["appId"] == fake_wechat.app_id and config["debug"] is False
    assert shared["friend"]["link"] == base + share_url
    title = "I'm The Shore Drifter. What's your dream weekend?"
    assert shared["friend"]["title"] == shared["timeline"]["title"] == title
    assert shared["friend"]["imgUrl"] == f"{base}{share_url}/thumb.jpg"
    assert fake_wechat.calls(STABLE_TOKEN) == 1

    # WeChat appends its own parameters to shared links: the page signs the URL it was loaded with.
    shared_link = f"{base}{share_url}?from=singlemessage&isappinstalled=0#top"
    page.goto(shared_link)
    assert _loaded(page, "img.poster") and page.inner_text(".personal") == WORD
    _wait_for(page, "!!(window.__wx && window.__wx.friend)")
    config = page.evaluate("window.__wx.config")
    signed = shared_link.split("#")[0]
    assert config["signature"] == js_signature(ticket, config["nonceStr"], config["timestamp"], signed)
    _shot(page, "share-wechat")
    assert sdk_hosts and set(sdk_hosts) == {"res.wx.qq.com"}
    assert {urlsplit(url).hostname for url in seen} == {"127.0.0.1", "res.wx.qq.com"}
    assert fake_wechat.calls(STABLE_TOKEN) == 1  # cached in Redis: one upstream token for both pages
    wechat.close()
    phone.close()
