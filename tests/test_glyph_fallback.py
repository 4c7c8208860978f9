"""Every character is drawn on any machine: per-character font fallback, checked glyph cell by glyph cell.

The set-ups do not depend on this machine's fonts: fontconfig is pointed at a folder holding only a Chinese font
without Latin letters (Droid Sans Fallback, or a stand-in cut from the bundled font), or at an empty folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from posterbooth import fonts
from posterbooth.clusters import clusters
from posterbooth.fonts import LATIN_PROBE, FontChain, find_cjk_font, font_chain, has_glyphs
from posterbooth.glyphs import ChainFont, chain_font
from posterbooth.layout import PosterLayout
from posterbooth.poster import PosterAssets, render_poster
from posterbooth.textdraw import draw_lines
from posterbooth.textlayout import ellipsize, fit_text, wrap_text
from tests.font_setups import droid_font, fontconfig_with, latinless_cjk_font

LATIN = "The Shore Drifter 2027"
CHINESE = "春游目的地：杭州西湖"
MIXED = "我是 The Shore Drifter 2027！"
LABEL = "AI生成 · AI-generated"
MISSING = "\U0010fffd"  # a private-use code point no font maps
SIZE = 48


@pytest.fixture(params=["latinless", "droid", "empty"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Sabotage fontconfig: only a Chinese font without Latin (a stand-in, or Droid Sans Fallback), or nothing."""
    if request.param == "droid":
        droid = droid_font()
        if droid is None:
            message = "Droid Sans Fallback (fonts-droid-fallback) is not installed; .ci/run installs it"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        files = [droid]
    elif request.param == "latinless":
        files = [latinless_cjk_font(tmp_path / "made", CHINESE + MIXED + LABEL)]
    else:
        files = []
    with fontconfig_with(tmp_path / "fc", files):
        yield request.param


def _ink(image: Image.Image) -> np.ndarray:
    """Return the image as a boolean ink mask (anything darker than mid-grey on white)."""
    return np.asarray(image.convert("L")) < 160


def _render(font: ChainFont, text: str) -> np.ndarray:
    """Draw text through the chain on white, pen at the left edge of the baseline; return its ink mask."""
    width = round(font.getlength(text)) + 4 * font.size
    canvas = Image.new("RGB", (width, font.size * 3), "white")
    font.draw(canvas, (font.size, font.size * 2), text, (0, 0, 0, 255))
    return _ink(canvas)


def _notdef_boxes(chain: FontChain, size: int) -> list[np.ndarray]:
    """Return each text face's missing-glyph box, cropped to its ink."""
    boxes = []
    for face in chain.text_faces:
        font = chain_font(chain, size).font(face)[0]
        image = Image.new("L", (size * 3, size * 3), 255)
        ImageDraw.Draw(image).text((size, size * 2), MISSING, font=font, fill=0, anchor="ls")
        boxes.append(_crop(np.asarray(image) < 160))
    return boxes


def _crop(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    if not rows.size:
        return mask[:0, :0]
    return mask[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]


def assert_every_character_drawn(chain: FontChain, text: str, size: int = SIZE) -> None:
    """Check nothing is dropped, every glyph cell of the line has ink, and no glyph is a missing-glyph box."""
    font = chain_font(chain, size)
    assert font.visible(text) == text, f"characters were dropped: {font.visible(text)!r} from {text!r}"
    assert chain.missing(text) == []
    tofu = [box for box in _notdef_boxes(chain, size) if box.size]
    line = _render(font, text)
    x = 0.0
    for cluster in clusters(text):
        advance = font.getlength(cluster)
        if not cluster.isspace():
            # Ink in the cell of this character, on the whole line as drawn.
            left, right = round(size + x) + 1, round(size + x + advance) - 1
            assert line[:, left:right].sum() > 0, f"{cluster!r} in {text!r} left its cell empty"
            alone = _crop(_render(font, cluster))
            assert alone.sum() > 0, f"{cluster!r} drew nothing"
            for box in tofu:
                assert not (alone.shape == box.shape and (alone == box).mean() > 0.97), \
                    f"{cluster!r} was drawn as a missing-glyph box"
        x += advance


@pytest.mark.parametrize("text", [LATIN, CHINESE, MIXED, LABEL])
def test_every_character_is_drawn(setup: str, text: str) -> None:
    chain = font_chain()
    assert_every_character_drawn(chain, text)
    assert_every_character_drawn(chain, text, size=20)


def test_a_font_without_latin_is_never_the_only_face(setup: str) -> None:
    chain = font_chain()
    assert has_glyphs(chain.text_faces[0].path, LATIN_PROBE)
    assert any("bundled" in face.role for face in chain.faces)
    main = find_cjk_font()
    assert has_glyphs(main, LATIN_PROBE + "中文生成")
    if setup == "droid":  # the Latin-less font is kept, but only as a fallback after faces with Latin
        latinless = [f for f in chain.faces if not f.color and not f.has("A")]
        assert latinless and chain.faces.index(latinless[0]) > 0


def test_a_brand_font_without_latin_falls_back_per_character(tmp_path: Path) -> None:
    brand = latinless_cjk_font(tmp_path, CHINESE + MIXED + LABEL)
    chain = font_chain(brand)
    assert chain.faces[0].role == "brand" and chain.faces[0].path == brand
    font = chain_font(chain, SIZE)
    runs = font.runs(MIXED)
    assert runs[0][0].role == "brand" and runs[0][1].startswith("我是")
    assert any(face.role != "brand" and "Shore" in piece for face, piece in runs)
    for text in (LATIN, MIXED, LABEL):
        assert_every_character_drawn(chain, text)


def test_mixed_runs_share_one_baseline(tmp_path: Path) -> None:
    chain = font_chain(latinless_cjk_font(tmp_path, "中"))
    font = chain_font(chain, 64)
    assert len({face for face, _ in font.runs("H中H中")}) == 2  # Latin and Chinese from different fonts
    line = _render(font, "H中H中")
    baseline = 64 * 2
    x = 0.0
    for ch in "H中H中":
        advance = font.getlength(ch)
        rows = np.nonzero(line[:, round(64 + x) + 1: round(64 + x + advance) - 1].any(axis=1))[0]
        bottom = rows.max()
        # H sits on the baseline; the ideograph's body dips a little below it, by the same amount each time.
        assert baseline - 2 <= bottom <= baseline + 0.15 * 64, (ch, bottom)
        x += advance
    cells = [np.nonzero(line[:, round(64 + a) + 1: round(64 + a + font.getlength(c)) - 1].any(axis=1))[0]
             for a, c in ((0.0, "H"), (font.getlength("H中"), "H"))]
    assert cells[0].min() == cells[1].min() and cells[0].max() == cells[1].max()


def test_wrapping_ellipsis_and_alignment_measure_mixed_runs(tmp_path: Path) -> None:
    chain = font_chain(latinless_cjk_font(tmp_path, MIXED + "看见了春天的湖"))
    font = chain_font(chain, 40)
    text = MIXED + " 看见了春天的湖 " + LATIN
    lines = wrap_text(text, font, 300)
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert font.getlength(line) <= 300
        drawn = np.nonzero(_render(font, line).any(axis=0))[0]
        assert drawn.max() - drawn.min() <= font.getlength(line) + 4  # what is drawn is what was measured
    cut = ellipsize(text, font, 260)
    assert cut.endswith("…") and font.getlength(cut) <= 260
    # Full-width punctuation carries its own white space, so the line whose ink is centred ends on a digit.
    fitted = fit_text(MIXED.rstrip("！"), chain, size=40, width=500, height=60, max_lines=1, line_height=1.2)
    for align in ("left", "center", "right"):
        canvas = Image.new("RGB", (700, 100), "white")
        draw_lines(canvas, fitted, x=100, y=20, width=500, height=60, align=align, valign="middle",
                   line_height=1.2, color=(0, 0, 0, 255))
        cols = np.nonzero(_ink(canvas).any(axis=0))[0]
        centre = (cols.min() + cols.max()) / 2
        expected = {"left": 100 + (cols.max() - cols.min()) / 2, "center": 350,
                    "right": 600 - (cols.max() - cols.min()) / 2}[align]
        assert abs(centre - expected) <= 4, (align, centre, expected)


def test_faux_bold_where_no_bold_face(setup: str) -> None:
    chain = font_chain()
    regular, bold = chain_font(chain, SIZE), chain_font(chain, SIZE, bold=True)
    for text in (LATIN, CHINESE):
        assert _render(bold, text).sum() > 1.15 * _render(regular, text).sum()
    assert bold.outline(LATIN) > 0  # the bundled font has no bold file: an outline makes it bold
    assert chain.faces[0].bold is None


def test_emoji_without_an_emoji_font_are_left_out_cleanly(tmp_path: Path) -> None:
    with fontconfig_with(tmp_path / "fc", []):
        chain = font_chain()
        assert chain.emoji_face is None
        font = chain_font(chain, SIZE)
        assert font.visible("西湖🌸春游🚲") == "西湖春游"
        assert font.visible("Mist ☀️ test") == "Mist ☀ test"  # a plain sun from the text font, no box
        assert font.visible("“Mist ☀️ test 🌸”") == "“Mist ☀ test”"  # no space left dangling
        assert chain.missing("西湖🌸春游") == ["🌸"]
        assert_every_character_drawn(chain, font.visible("Mist ☀️ test 西湖🌸春游🚲 👨‍👩‍👧"))


def test_emoji_are_drawn_in_colour_with_a_colour_emoji_font(tmp_path: Path) -> None:
    emoji = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
    if not emoji.is_file():
        message = "Noto Color Emoji (fonts-noto-color-emoji) is not installed; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with fontconfig_with(tmp_path / "fc", [emoji]):
        chain = font_chain()
        assert chain.emoji_face is not None and chain.emoji_face.strike == 109
        font = chain_font(chain, SIZE)
        text = "Mist ☀️ test 西湖🌸"
        assert font.visible(text) == text and chain.missing(text) == []
        canvas = Image.new("RGB", (round(font.getlength(text)) + 100, 150), "white")
        font.draw(canvas, (20, 100), text, (0, 0, 0, 255))
        pixels = np.asarray(canvas).astype(int)
        start = 20 + font.getlength("Mist ")
        sun = pixels[:, round(start): round(start + font.getlength("☀️"))]
        saturation = sun.max(axis=2) - sun.min(axis=2)
        assert (saturation > 80).sum() > 100, "the sun is not in colour"
        left, top, right, bottom = font.getbbox("☀️")
        assert SIZE * 0.8 <= bottom - top <= SIZE * 1.3  # scaled from the 109 px strike to the text size
        outside = np.asarray(canvas)[:, round(20 + font.getlength(text)) + 4:]
        assert outside.min() > 240  # nothing drawn past the measured width


def test_poster_blocks_use_the_chain_with_no_system_fonts(tmp_path: Path) -> None:
    layout = PosterLayout.model_validate({
        "texts": [{"text": "title", "x": 60, "y": 1140, "width": 960, "height": 180, "size": 72, "bold": True,
                   "max_lines": 1}],
        "label": {"text": LABEL, "corner": "top-right"}, "qr": None, "logo": None,
    })
    with fontconfig_with(tmp_path / "fc", []):
        poster, card = render_poster(layout, Image.new("RGB", (512, 512), (90, 140, 200)),
                                     render_text=lambda _: MIXED, assets=PosterAssets(), qr_url="https://x.test")
    block = _ink(poster.crop((60, 1140, 1020, 1320)))
    cols = np.nonzero(block.any(axis=0))[0]
    assert cols.size and cols.max() - cols.min() > 600  # the whole mixed title is there, Latin included
    assert _ink(card.crop((630, 0, 1200, 630))).sum() > 2000


def test_the_chain_is_logged_at_start_up(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with fontconfig_with(tmp_path / "fc", []), caplog.at_level(logging.INFO, logger="posterbooth.fonts"):
        fonts.log_font_chain({"demo": tmp_path / "absent.ttf"})
    text = caplog.text
    assert "poster font chain" in text and "NotoSansCJKsc-Regular.otf" in text
    assert "emoji are left out" in text
    assert "campaign demo: brand font" in text and "cannot be read" in text


def _campaign_copy(tmp_path: Path, slug: str, replace: dict[str, str]) -> Path:
    """Copy a demo campaign folder, with some text of its definition replaced."""
    import shutil

    from tests.conftest import CAMPAIGNS

    folder = tmp_path / slug
    shutil.copytree(CAMPAIGNS / slug, folder)
    definition = folder / "campaign.yaml"
    text = definition.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    definition.write_text(text, encoding="utf-8")
    return folder


def test_the_campaign_validator_warns_about_characters_no_font_draws(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from posterbooth.campaigns import load_campaign
    from posterbooth.fonts import campaign_glyph_warnings

    clean = load_campaign(_campaign_copy(tmp_path / "a", "dream-weekend", {}))
    assert campaign_glyph_warnings(clean.definition) == []
    folder = _campaign_copy(tmp_path / "b", "dream-weekend", {
        "title: The Shore Drifter": "title: The Shore Drifter \U00013000",  # an Egyptian hieroglyph
        "label: Stargazing": "label: Stargazing 🌠",
    })
    with fontconfig_with(tmp_path / "fc", []), caplog.at_level(logging.WARNING, logger="posterbooth.fonts"):
        loaded = load_campaign(folder)
        warnings = campaign_glyph_warnings(loaded.definition)
    assert any("poster.texts[0] (outcome shore)" in w and "U+13000" in w for w in warnings), warnings
    assert any("option stargazing" in w and "U+1F320" in w for w in warnings), warnings  # no emoji font there
    assert "U+13000" in caplog.text and "campaign.yaml" in caplog.text


def test_english_campaigns_get_a_bilingual_label_by_default() -> None:
    import yaml

    from posterbooth.schema import Campaign
    from tests.font_setups import ROOT

    data = yaml.safe_load((ROOT / "campaigns" / "dream-weekend" / "campaign.yaml").read_text(encoding="utf-8"))
    data["poster"]["label"] = {"corner": "top-right"}
    assert Campaign.model_validate(data).poster.label.text == LABEL
    data["poster"]["label"]["text"] = "AI-generated"  # set on purpose: kept
    assert Campaign.model_validate(data).poster.label.text == "AI-generated"
    data["locale"] = "zh-CN"
    del data["poster"]["label"]["text"]
    assert Campaign.model_validate(data).poster.label.text == "AI生成"
