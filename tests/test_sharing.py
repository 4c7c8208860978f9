"""Share page cards, the result page's ways to save and share, WeChat JS-SDK signing, thumbnails, entry QR codes."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.aigc import read_aigc
from posterbooth.models import Participation
from posterbooth.sharing import CSP_WITH_JSSDK, JSSDK_URL
from posterbooth.wechat import js_signature
from tests.attendee import SPRING, complete
from tests.conftest import CAMPAIGNS
from tests.fakes.wechat_server import GETTICKET, STABLE_TOKEN, FakeWeChatServer

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN")
SAFARI_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.4 Mobile/15E148 Safari/604.1")
BASE = "https://event.example.com"
WORD = "<script>\"x'&😀</script>"[:24]


class Page(HTMLParser):
    """Collect a page's meta tags, title, script sources, images and share data, unescaped."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.scripts: list[str] = []
        self.images: list[str] = []
        self.data: dict[str, str] = {}
        self._in_title = False
        self.feed(html)
        found = re.search(r'<p class="personal"><span class="quote">(.*?)</span>', html)
        self.personal = unescape(found.group(1)) if found else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in found or "name" in found or "itemprop" in found):
            key = found.get("property") or found.get("name") or "itemprop:" + found["itemprop"]
            self.meta[key] = found.get("content", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "script":
            self.scripts.append(found.get("src", "(inline)"))
        elif tag == "img":
            self.images.append(found.get("src", ""))
        elif found.get("id") == "share-data":
            self.data = {k[5:]: v for k, v in found.items() if k.startswith("data-")}

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _participation(app, **where) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        query = select(Participation)
        for key, value in where.items():
            query = query.where(getattr(Participation, key) == value)
        return session.scalars(query).one()


def _poster(app, client, run_worker, slug: str = "dream-weekend", word: str = WORD) -> Participation:
    steps = SPRING if slug == "spring-outing" else [("place", "sea"), ("time", "sunset"), ("word", word),
                                                   ("style", "watercolor")]
    public_id = complete(client, slug, steps).rsplit("/", 1)[-1]
    run_worker()
    participation = _participation(app, public_id=public_id)
    assert participation.status == "done", participation.error_detail
    return participation


def _image(client, url: str) -> Image.Image:
    with client.get(urlsplit(url).path) as response:
        assert response.status_code == 200, url
        return Image.open(io.BytesIO(response.data))


# --------------------------------------------------------------------------- the share page


def test_share_page_has_absolute_cards_and_keeps_the_participant_line_as_text(app, client, run_worker):
    participation = _poster(app, client, run_worker)
    response = client.get(f"/s/{participation.share_token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    title = "I'm The Shore Drifter. What's your dream weekend?"
    assert page.title == title
    assert page.meta["og:title"] == page.meta["twitter:title"] == title
    description = "Three questions, one word, and AI paints your weekend."
    assert page.meta["description"] == page.meta["og:description"] == description
    assert page.meta["og:url"] == f"{BASE}/s/{participation.share_token}"
    assert page.meta["og:type"] == "website" and page.meta["og:site_name"] == "Paint your dream weekend"
    assert page.meta["twitter:card"] == "summary_large_image"
    card_url = page.meta["og:image"]
    assert card_url == page.meta["twitter:image"] and card_url.startswith(f"{BASE}/media/cards/")
    card = _image(client, card_url)
    assert card.format == "JPEG" and card.size == (1200, 630)
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == ("1200", "630")
    for key, value in page.meta.items():
        if value.startswith("http") or key.endswith(("url", "image")):
            assert value.startswith(BASE + "/"), (key, value)
    # The participant's words: shown exactly as typed, never as markup.
    assert page.personal == WORD
    assert "<script>\"x" not in html and "&lt;script&gt;&#34;x&#39;&amp;😀" in html
    assert page.scripts == [re.search(r'src="(/static/share\.js[^"]*)"', html).group(1)]
    # The WeChat card without the JS-SDK uses the first image: the poster (no hidden thumbnail outside WeChat).
    assert page.images[0] == f"/media/{participation.poster_path}"
    # 'Try it yourself' carries the sharer's referral code.
    try_url = re.search(r'class="button primary big" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(try_url).query)["ref"] == [participation.referral_code]


def test_share_texts_that_quote_the_participant_are_escaped_in_the_head_and_data(
    app_env, monkeypatch, tmp_path, run_worker
):
    campaigns = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS / "dream-weekend", campaigns / "dream-weekend")
    definition = campaigns / "dream-weekend" / "campaign.yaml"
    text = definition.read_text()
    text = text.replace(
        """  title: "I'm {{ outcome.title }}. What's your dream weekend?"\n""",
        """  title: "My weekend word: {{ answers.word.text }}"\n""",
    ).replace(
        "  description: Three questions, one word, and AI paints your weekend.\n",
        """  description: "“{{ answers.word.text }}” is how I spend my weekend."\n""",
    )
    definition.write_text(text)
    monkeypatch.setenv("CAMPAIGNS_DIR", str(campaigns))
    from posterbooth import create_app

    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        participation = _poster(app, client, run_worker)
        html = client.get(f"/s/{participation.share_token}").get_data(as_text=True)
        page = Page(html)
        title = f"My weekend word: {WORD}"
        description = f"“{WORD}” is how I spend my weekend."
        assert page.title == page.meta["og:title"] == page.meta["twitter:title"] == title
        assert page.meta["description"] == page.meta["og:description"] == description
        assert page.data["title"] == title and page.data["desc"] == description
        assert "<script>\"" not in html and html.count("<script") == 1
        result = client.get(f"/r/{participation.public_id}").get_data(as_text=True)
        assert Page(result).data["title"] == title and "<script>\"" not in result
    finally:
        app.extensions["posterbooth.db"].dispose()


def test_unknown_unfinished_and_hidden_posters_have_no_share_page(app, client, run_worker):
    assert client.get("/s/nope").status_code == 404
    assert client.get("/s/nope/thumb.jpg").status_code == 404
    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    queued = _participation(app, public_id=public_id)
    assert client.get(f"/s/{queued.share_token}").status_code == 404
    run_worker()
    with app.extensions["posterbooth.db"].session() as session:
        session.get(Participation, queued.id).hidden = True
    assert client.get(f"/s/{queued.share_token}").status_code == 410  # a friendly "removed" page
    assert client.get(f"/s/{queued.share_token}/thumb.jpg").status_code == 404


def test_share_thumbnail_is_a_labelled_square(app, client, run_worker, app_env):
    participation = _poster(app, client, run_worker, slug="spring-outing")
    with client.get(f"/s/{participation.share_token}/thumb.jpg") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        first = response.data
    thumb = Image.open(io.BytesIO(first))
    assert thumb.size == (400, 400)
    record = read_aigc(first)
    assert record is not None and record["ProduceID"] == participation.content_id != participation.public_id
    stored = Path(app_env["MEDIA_DIR"]) / participation.share_card_path
    assert stored.with_name(stored.stem + "-thumb.jpg").is_file()
    with client.get(f"/s/{participation.share_token}/thumb.jpg") as again:
        assert again.data == first


# --------------------------------------------------------------------------- the result page


def test_result_page_in_wechat_has_the_long_press_hint_and_no_download(app, client, run_worker):
    participation = _poster(app, client, run_worker, slug="spring-outing")
    inside = client.get(f"/r/{participation.public_id}", headers={"User-Agent": WECHAT_UA})
    html = inside.get_data(as_text=True)
    assert "长按海报保存到相册" in html and 'class="save-tip"' in html
    assert " download=" not in html and "data-share" not in html
    assert "User-Agent" in inside.headers["Vary"]
    outside = client.get(f"/r/{participation.public_id}", headers={"User-Agent": SAFARI_UA})
    html = outside.get_data(as_text=True)
    assert 'class="save-tip"' not in html
    assert f'href="/media/{participation.poster_path}" download="spring-outing-poster.jpg"' in html
    assert f'href="/s/{participation.share_token}" data-share' in html
    page = Page(html)
    assert page.data["link"] == f"{BASE}/s/{participation.share_token}"
    assert page.data["img"] == f"{BASE}/s/{participation.share_token}/thumb.jpg"
    assert page.data["poster"] == f"/media/{participation.poster_path}" and page.data["sign"] == ""


def test_someone_elses_result_link_leads_to_the_share_page(app, client, run_worker):
    participation = _poster(app, client, run_worker, slug="spring-outing")
    friend = app.test_client()
    response = friend.get(f"/r/{participation.public_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/s/{participation.share_token}"


# --------------------------------------------------------------------------- WeChat JS-SDK


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatServer]:
    """Run the fake WeChat API."""
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def wechat_app(app_env, monkeypatch, fake_wechat: FakeWeChatServer):
    """Return the app with WeChat credentials, pointed at the fake API through WECHAT_API_BASE."""
    from posterbooth import create_app

    monkeypatch.setenv("WECHAT_APP_ID", fake_wechat.app_id)
    monkeypatch.setenv("WECHAT_APP_SECRET", fake_wechat.app_secret)
    monkeypatch.setenv("WECHAT_API_BASE", fake_wechat.url)
    application = create_app({"TESTING": True})
    yield application
    application.extensions["posterbooth.db"].dispose()


def test_jssdk_loads_only_inside_wechat_and_only_with_credentials(app, client, run_worker, wechat_app):
    participation = _poster(app, client, run_worker, slug="spring-outing")
    share = f"/s/{participation.share_token}"
    # Without credentials, WeChat gets a plain page (and a first image for its card).
    plain = client.get(share, headers={"User-Agent": WECHAT_UA})
    page = Page(plain.get_data(as_text=True))
    assert JSSDK_URL not in plain.get_data(as_text=True) and "wx.qq.com" not in plain.headers["Content-Security-Policy"]
    assert page.images[0] == f"{BASE}{share}/thumb.jpg" and page.data["sign"] == ""
    # With credentials: the script and the CSP that allows it, inside WeChat only.
    other = wechat_app.test_client()
    inside = other.get(share, headers={"User-Agent": WECHAT_UA})
    html = inside.get_data(as_text=True)
    assert Page(html).scripts[0] == JSSDK_URL
    assert inside.headers["Content-Security-Policy"] == CSP_WITH_JSSDK
    assert "script-src 'self' https://res.wx.qq.com https://res2.wx.qq.com;" in CSP_WITH_JSSDK
    assert Page(html).data["sign"] == "/wechat/signature"
    for user_agent in (SAFARI_UA, ""):
        outside = other.get(share, headers={"User-Agent": user_agent})
        assert JSSDK_URL not in outside.get_data(as_text=True)
        assert "wx.qq.com" not in outside.headers["Content-Security-Policy"]
        assert Page(outside.get_data(as_text=True)).data["sign"] == ""


def test_signature_endpoint_signs_urls_of_this_site_only(wechat_app, fake_wechat: FakeWeChatServer):
    client = wechat_app.test_client()
    url = f"{BASE}/s/abc?from=singlemessage&isappinstalled=0"
    response = client.get("/wechat/signature", query_string={"url": url + "#frag"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    config = response.get_json()
    [ticket] = fake_wechat.issued_tickets
    assert config["appId"] == fake_wechat.app_id
    assert config["signature"] == js_signature(ticket, config["nonceStr"], config["timestamp"], url)
    assert config["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
    assert client.get("/wechat/signature", query_string={"url": f"{BASE}/r/x"}).status_code == 200
    assert fake_wechat.calls(STABLE_TOKEN) == 1 and fake_wechat.calls(GETTICKET) == 1  # cached in Redis
    for foreign in ("https://evil.example.com/s/abc", "https://event.example.com.evil.com/s/abc",
                    "https://user@event.example.com/s/abc", "javascript:alert(1)//event.example.com/",
                    "//event.example.com/s/abc", "ftp://event.example.com/s/abc", "", "https://event.example.com:8443/",
                    "https://event.example.com/s/a b"):
        refused = client.get("/wechat/signature", query_string={"url": foreign})
        assert refused.status_code == 400, foreign
        assert refused.get_json() == {"error": "foreign_url"}
    assert fake_wechat.calls(GETTICKET) == 1


def test_signature_endpoint_is_off_without_credentials_and_degrades_when_wechat_fails(
    client, wechat_app, fake_wechat: FakeWeChatServer
):
    assert client.get("/wechat/signature", query_string={"url": f"{BASE}/s/x"}).status_code == 404
    fake_wechat.fail_next_getticket(40013, times=5)
    response = wechat_app.test_client().get("/wechat/signature", query_string={"url": f"{BASE}/s/x"})
    assert response.status_code == 503 and response.get_json() == {"error": "wechat_unavailable"}


# --------------------------------------------------------------------------- entry QR codes with a channel


def _decode_png(data: bytes) -> str:
    gray = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    return cv2.QRCodeDetector().detectAndDecode(gray)[0]


def _decode_svg(svg: str) -> str:
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    grid = np.full((size, size), 255, dtype=np.uint8)
    for x0, y0, x1, y1 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", svg):
        grid[int(float(y0)):int(float(y1)), int(float(x0)):int(float(x1))] = 0
    return cv2.QRCodeDetector().detectAndDecode(cv2.resize(grid, (size * 10, size * 10),
                                                            interpolation=cv2.INTER_NEAREST))[0]


def test_cli_writes_a_channel_qr_code_as_png_and_svg(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["campaigns", "qr", "spring-outing", "--channel", "booth", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    expected = f"{BASE}/c/spring-outing?ch=booth"
    png = tmp_path / "spring-outing-booth-qr.png"
    svg = tmp_path / "spring-outing-booth-qr.svg"
    assert _decode_png(png.read_bytes()) == expected
    assert _decode_svg(svg.read_text()) == expected
    assert Image.open(io.BytesIO(png.read_bytes())).width >= 600  # print-ready


def test_channel_is_recorded_on_the_participation(app, client, run_worker):
    client.get("/c/spring-outing?ch=booth")
    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    assert _participation(app, public_id=public_id).channel == "booth"
