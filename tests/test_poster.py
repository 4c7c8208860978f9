"""Poster composition: layout, text wrapping, QR code, visible and implicit AI labels."""

from __future__ import annotations

import io
import json
import math
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from PIL import Image, ImageDraw, ImageFilter

from posterbooth.aigc import AIGC_NS, AigcRecord, read_aigc
from posterbooth.fonts import font_chain
from posterbooth.layout import PosterLayout
from posterbooth.poster import (
    SHARE_CARD_SIZE,
    PosterAssets,
    compose_poster,
)

QR_URL = "https://event.example.com/c/spring-outing?ref=7Kq2xYz"
RECORD = AigcRecord(produce_id="p-20250401-0042", producer="Posterbooth/offline", propagator="Posterbooth",
                    propagate_id="poster-0042")
ZH_CONTEXT = {
    "campaign": {"title": "春游测一测"},
    "outcome": {"title": "杭州西湖 · 断桥残雪",
                "description": "春风十里，不如和你一起去看西湖的桃花。"
                               "愿你这个春天，走得慢一点，看得多一点。"},
    "answers": {"wish": {"text": "想和最好的朋友在湖边骑车，吃一碗片儿川，然后拍下整片桃花林。"}},
}
EN_CONTEXT = {
    "campaign": {"title": "Spring Getaway Quiz"},
    "outcome": {"title": "Your spring escape: Kyoto by night",
                "description": "Lantern-lit lanes, late-night ramen and a skyline that glows like embers, "
                               "a city that rewards the curious."},
}
_ENV = ImmutableSandboxedEnvironment()


def renderer(context: dict):
    """Return a render_text callable that renders Jinja templates in a sandbox."""
    return lambda source: _ENV.from_string(source).render(**context)


def spring_scene(size: int = 1024, seed: int = 7) -> Image.Image:
    """Draw a pleasant stand-in for a generated picture: sky, sun, hills, lake and blossom."""
    rnd = random.Random(seed)
    y = np.linspace(0.0, 1.0, size)[:, None]
    top, mid = np.array([126, 178, 226]), np.array([250, 214, 200])
    sky = np.where(y < 0.55, top + (mid - top) * (y / 0.55), mid)
    image = Image.fromarray(np.repeat(sky[:, None, :], size, axis=1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.66, size * 0.18, size * 0.80, size * 0.32), fill=(255, 240, 214))
    for color, base, amp in (((120, 170, 140), 0.52, 0.09), ((84, 142, 112), 0.60, 0.07),
                             ((58, 112, 90), 0.70, 0.05)):
        phase = rnd.random() * 6
        pts = [(x, size * (base + amp * 0.6 * math.sin(x / size * 5 + phase)
                           + amp * 0.4 * math.sin(x / size * 13 + phase))) for x in range(0, size + 8, 8)]
        draw.polygon([*pts, (size, size), (0, size)], fill=color)
    draw.rectangle((0, size * 0.78, size, size), fill=(132, 186, 204))
    blossom = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    bd = ImageDraw.Draw(blossom)
    for _ in range(240):
        cx, cy, r = rnd.random() * size * 0.42, size * (0.05 + rnd.random() * 0.55), rnd.uniform(8, 26)
        pink = rnd.choice([(248, 182, 196, 210), (255, 206, 216, 200)])
        bd.ellipse((cx - r, cy - r, cx + r, cy + r), fill=pink)
    bd.line((size * 0.02, size * 0.9, size * 0.18, size * 0.45), fill=(92, 64, 52, 255), width=18)
    image = image.filter(ImageFilter.GaussianBlur(1.2)).convert("RGBA")
    image.alpha_composite(blossom.filter(ImageFilter.GaussianBlur(1.0)))
    return image.convert("RGB")


def night_scene(size: int = 1024, seed: int = 3) -> Image.Image:
    """Draw a dusk skyline with lit windows."""
    rnd = random.Random(seed)
    y = np.linspace(0.0, 1.0, size)[:, None, None]
    sky = (np.array([36, 44, 92]) + (np.array([242, 138, 110]) - np.array([36, 44, 92])) * y).astype(np.uint8)
    image = Image.fromarray(np.broadcast_to(sky, (size, size, 3)).copy())
    draw = ImageDraw.Draw(image)
    x = 0
    while x < size:
        bw, bh = rnd.randint(50, 120), rnd.randint(200, 560)
        draw.rectangle((x, size - bh, x + bw, size), fill=(30, 34, 60))
        for wy in range(size - bh + 20, size - 20, 34):
            for wx in range(x + 10, x + bw - 14, 22):
                if rnd.random() < 0.45:
                    draw.rectangle((wx, wy, wx + 10, wy + 16), fill=(255, 214, 140))
        x += bw + rnd.randint(4, 20)
    return image


def decode_qr(image: Image.Image) -> str:
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(np.asarray(image.convert("L")))
    return text


def open_jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    image.load()
    return image


def label_text_height(image: Image.Image, region: tuple[int, int, int, int]) -> int:
    """Measure the height of light text inside the darkest box found in a corner region."""
    gray = np.asarray(image.convert("L").crop(region)).astype(int)
    dark = gray < 140
    rows, cols = np.where(dark)
    assert rows.size, "no label box found in the corner"
    pill = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    text_rows = np.where((pill > 200).any(axis=1))[0]
    assert text_rows.size, "no light text inside the label box"
    return int(text_rows.max() - text_rows.min() + 1)


@pytest.fixture(scope="module")
def zh_poster(tmp_path_factory: pytest.TempPathFactory):
    layout = PosterLayout()
    composed = compose_poster(layout, spring_scene(), render_text=renderer(ZH_CONTEXT), assets=PosterAssets(),
                              qr_url=QR_URL, aigc=RECORD)
    samples = tmp_path_factory.mktemp("poster_samples")  # to look at when a test fails
    (samples / "test_zh_poster.jpg").write_bytes(composed.poster_jpeg)
    (samples / "test_zh_card.jpg").write_bytes(composed.share_card_jpeg)
    return layout, composed


def test_poster_is_a_progressive_jpeg_of_layout_size(zh_poster) -> None:
    layout, composed = zh_poster
    poster = open_jpeg(composed.poster_jpeg)
    assert poster.size == (layout.width, layout.height) == (composed.width, composed.height)
    assert poster.mode == "RGB"
    assert poster.info.get("progressive")
    assert "exif" not in poster.info and "icc_profile" not in poster.info
    card = open_jpeg(composed.share_card_jpeg)
    assert card.size == SHARE_CARD_SIZE


def test_poster_qr_decodes_to_url(zh_poster) -> None:
    layout, composed = zh_poster
    poster = open_jpeg(composed.poster_jpeg)
    qr = layout.qr
    pad = 40
    tile = poster.crop((qr.x - pad, qr.y - pad, qr.x + qr.size + pad, qr.y + qr.size + pad))
    assert decode_qr(tile) == QR_URL
    assert decode_qr(poster) == QR_URL


def test_implicit_label_in_poster_and_card(zh_poster) -> None:
    _, composed = zh_poster
    expected = {
        "Label": "1", "ContentProducer": "Posterbooth/offline", "ProduceID": "p-20250401-0042",
        "ReservedCode1": "", "ContentPropagator": "Posterbooth", "PropagateID": "poster-0042",
        "ReservedCode2": "",
    }
    assert read_aigc(composed.poster_jpeg) == expected
    assert read_aigc(composed.share_card_jpeg) == expected
    poster = open_jpeg(composed.poster_jpeg)
    root = ET.fromstring(poster.info["xmp"])  # noqa: S314 - our own packet
    value = root.find(f".//{{{AIGC_NS}}}AIGC")
    assert value is not None and json.loads(value.text) == expected
    assert poster.info["comment"].decode("utf-8") == "AIGC:" + RECORD.to_json()


def test_read_aigc_without_label() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buf, format="JPEG")
    assert read_aigc(buf.getvalue()) is None
    assert read_aigc(b"not a jpeg") is None
    assert read_aigc(b"") is None


def test_record_keeps_chinese_readable() -> None:
    record = AigcRecord(produce_id="x1", producer="春游海报")
    assert "春游海报" in record.to_json()
    assert json.loads(record.to_json())["ContentProducer"] == "春游海报"


def test_visible_label_is_big_enough_in_poster_and_card(zh_poster) -> None:
    layout, composed = zh_poster
    poster = open_jpeg(composed.poster_jpeg)
    w, h = poster.size
    region = (0, h - 260, 420, h)  # bottom-left corner, where the default label goes
    assert layout.label.corner == "bottom-left"
    assert label_text_height(poster, region) >= math.ceil(0.05 * min(w, h))
    card = open_jpeg(composed.share_card_jpeg)
    cw, ch = card.size
    assert label_text_height(card, (0, ch - 160, 320, ch)) >= math.ceil(0.05 * min(cw, ch))


def test_label_goes_to_the_configured_corner() -> None:
    layout = PosterLayout.model_validate({
        "background": "#F6F1E7", "texts": [], "qr": None, "logo": None,
        "image": {"x": 60, "y": 400, "width": 960, "height": 960},
        "label": {"corner": "top-right", "background": "#000000CC"},
    })
    composed = compose_poster(layout, spring_scene(512), render_text=str, assets=PosterAssets(),
                              qr_url=QR_URL, aigc=RECORD)
    poster = open_jpeg(composed.poster_jpeg)
    w, h = poster.size
    assert label_text_height(poster, (w - 420, 0, w, 260)) >= math.ceil(0.05 * min(w, h))
    bottom_left = np.asarray(poster.convert("L").crop((0, h - 260, 420, h)))
    assert bottom_left.min() > 200  # only the light background there now


def test_wide_poster_label_scales_with_shortest_side() -> None:
    layout = PosterLayout.model_validate({"width": 1600, "height": 900})
    composed = compose_poster(layout, spring_scene(512), render_text=renderer(EN_CONTEXT),
                              assets=PosterAssets(), qr_url=QR_URL, aigc=RECORD)
    poster = open_jpeg(composed.poster_jpeg)
    assert poster.size == (1600, 900)
    assert label_text_height(poster, (0, 900 - 200, 400, 900)) >= math.ceil(0.05 * 900)
    assert decode_qr(poster) == QR_URL


def test_english_poster_and_card(tmp_path: Path) -> None:
    layout = PosterLayout.model_validate({
        "background": "#14182B",
        "texts": [
            {"text": "{{ outcome.title }}", "x": 60, "y": 1140, "width": 960, "height": 180, "size": 68,
             "bold": True, "color": "#FFF4E6", "valign": "middle"},
            {"text": "{{ outcome.description }}", "x": 110, "y": 1362, "width": 860, "height": 158,
             "size": 36, "color": "#C9CCE0", "line_height": 1.5, "max_lines": 3},
            {"text": "{{ campaign.title }}", "x": 60, "y": 1626, "width": 700, "height": 56, "size": 36,
             "bold": True, "align": "left", "color": "#FFF4E6"},
        ],
        "qr": {"caption": "Scan to find yours", "caption_color": "#C9CCE0"},
        "label": {"text": "AI-generated", "background": "#FFFFFF26"},
    })
    composed = compose_poster(layout, night_scene(), render_text=renderer(EN_CONTEXT), assets=PosterAssets(),
                              qr_url=QR_URL, aigc=RECORD)
    (tmp_path / "test_en_poster.jpg").write_bytes(composed.poster_jpeg)
    (tmp_path / "test_en_card.jpg").write_bytes(composed.share_card_jpeg)
    poster = open_jpeg(composed.poster_jpeg)
    qr = layout.qr
    assert decode_qr(poster.crop((qr.x - 40, qr.y - 40, qr.x + qr.size + 40, qr.y + qr.size + 40))) == QR_URL
    assert read_aigc(composed.poster_jpeg)["ProduceID"] == RECORD.produce_id


def test_assets_are_drawn(tmp_path: Path) -> None:
    background = tmp_path / "bg.png"
    Image.new("RGB", (300, 500), (30, 120, 90)).save(background)
    logo = tmp_path / "logo.png"
    mark = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    ImageDraw.Draw(mark).rectangle((0, 0, 399, 99), fill=(200, 30, 40, 255))
    mark.save(logo)
    layout = PosterLayout.model_validate({"background_image": "bg.png"})
    composed = compose_poster(layout, spring_scene(512), render_text=renderer(ZH_CONTEXT),
                              assets=PosterAssets(background_image=background, logo=logo), qr_url=QR_URL,
                              aigc=RECORD)
    poster = open_jpeg(composed.poster_jpeg)
    assert all(abs(a - b) < 8 for a, b in zip(poster.getpixel((1070, 700)), (30, 120, 90), strict=True))
    box = layout.logo
    # 4:1 logo contain-fitted into 300×72 and left-aligned: 288×72 at the box's left edge.
    r, g, b = poster.getpixel((box.x + 100, box.y + box.height // 2))
    assert r > 170 and g < 70 and b < 80
    assert decode_qr(poster) == QR_URL


def test_contain_versus_cover() -> None:
    wide = Image.new("RGB", (800, 400), (220, 30, 30))
    base = {"background": "#FFFFFF", "texts": [], "qr": None, "logo": None}
    box = {"x": 100, "y": 300, "width": 800, "height": 800, "radius": 0, "shadow": False}
    results = {}
    for fit in ("cover", "contain"):
        layout = PosterLayout.model_validate({**base, "image": {**box, "fit": fit}})
        composed = compose_poster(layout, wide, render_text=str, assets=PosterAssets(), qr_url=QR_URL,
                                  aigc=RECORD)
        results[fit] = open_jpeg(composed.poster_jpeg)
    # Cover fills the whole box with red; contain leaves the top and bottom quarter white.
    assert results["cover"].getpixel((500, 320))[1] < 60
    assert results["contain"].getpixel((500, 320))[1] > 240
    assert results["contain"].getpixel((500, 700))[1] < 60
    assert results["cover"].getpixel((500, 1080))[1] < 60
    assert results["contain"].getpixel((500, 1080))[1] > 240


def test_transparent_and_odd_mode_inputs() -> None:
    box = PosterLayout().image
    centre = (box.x + box.width // 2, box.y + box.height // 2)
    expected = {
        "RGBA": (Image.new("RGBA", (300, 300), (0, 0, 0, 0)), (246, 241, 231)),  # the poster background shows
        "L": (Image.new("L", (300, 200), 90), (90, 90, 90)),
        "P": (Image.new("RGB", (256, 256), (204, 51, 102)).convert("P"), (204, 51, 102)),  # web-safe: exact
    }
    for mode, (image, colour) in expected.items():
        assert image.mode == mode
        composed = compose_poster(PosterLayout(), image, render_text=renderer(ZH_CONTEXT),
                                  assets=PosterAssets(), qr_url=QR_URL, aigc=RECORD)
        poster = open_jpeg(composed.poster_jpeg)
        assert poster.size == (1080, 1920)
        got = poster.getpixel(centre)
        assert all(abs(a - b) <= 6 for a, b in zip(got, colour, strict=True)), (mode, got, colour)


def _title_and_description(title: str) -> tuple[np.ndarray, np.ndarray]:
    """Compose the default poster with this outcome title and no description; return both text boxes."""
    layout = PosterLayout()
    context = {**ZH_CONTEXT, "outcome": {"title": title, "description": ""}}
    composed = compose_poster(layout, spring_scene(256), render_text=renderer(context), assets=PosterAssets(),
                              qr_url=QR_URL, aigc=RECORD)
    poster = open_jpeg(composed.poster_jpeg)
    boxes = [poster.crop((b.x, b.y, b.x + b.width, b.y + b.height)) for b in layout.texts[:2]]
    return np.asarray(boxes[0]).astype(int), np.asarray(boxes[1]).astype(int)


def test_emoji_and_empty_texts_are_handled() -> None:
    title, description = _title_and_description("西湖🌸春游🚲")
    plain, _ = _title_and_description("西湖春游")
    assert np.ptp(description.reshape(-1, 3), axis=0).max() <= 12  # an empty description draws nothing at all
    saturated = ((title.max(axis=2) - title.min(axis=2)) > 90).sum()
    if font_chain().emoji_face is None:
        # No colour emoji font: the emoji are left out cleanly, no boxes, the rest drawn as without them.
        assert np.abs(title - plain).mean() < 1.0
        assert saturated == 0
    else:
        # A colour emoji font: the blossom and the bicycle are drawn in colour between the words.
        assert saturated > 300
        assert ((plain.max(axis=2) - plain.min(axis=2)) > 90).sum() == 0


def test_brand_font_is_used_when_it_covers_the_text(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.find_spec("mplfonts")
    assert spec is not None and spec.submodule_search_locations
    serif = Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSerifCJKsc-Regular.otf"
    layout = PosterLayout()
    title = layout.texts[0]
    crops = []
    for assets in (PosterAssets(), PosterAssets(brand_font=serif)):
        composed = compose_poster(layout, spring_scene(256), render_text=renderer(ZH_CONTEXT), assets=assets,
                                  qr_url=QR_URL, aigc=RECORD)
        poster = open_jpeg(composed.poster_jpeg)
        box = (title.x, title.y, title.x + title.width, title.y + title.height)
        crops.append(np.asarray(poster.crop(box)))
    assert np.abs(crops[0].astype(int) - crops[1].astype(int)).mean() > 2


def test_label_stays_legible_over_a_light_picture() -> None:
    white = Image.new("RGB", (1024, 1024), (250, 250, 250))
    layout = PosterLayout.model_validate({
        "background": "#FFFFFF", "texts": [], "qr": None, "logo": None,
        "image": {"x": 0, "y": 0, "width": 1080, "height": 1920, "radius": 0, "shadow": False},
        "label": {"background": "#FFFFFF1A"},  # white text on a nearly clear pill: unreadable as asked
    })
    composed = compose_poster(layout, white, render_text=str, assets=PosterAssets(), qr_url=QR_URL,
                              aigc=RECORD)
    poster = open_jpeg(composed.poster_jpeg)
    w, h = poster.size
    assert label_text_height(poster, (0, h - 260, 420, h)) >= math.ceil(0.05 * min(w, h))
