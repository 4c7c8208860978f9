"""Fonts: found, checked for coverage, bold siblings, the fallback chain without fontconfig, no tofu boxes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from posterbooth.fonts import CJK_PROBE, find_cjk_font, has_glyphs, load_font

LINE = "春游目的地：西湖"
MISSING = "\U0010fffd"  # a private-use code point no font maps


def _latin_only_font() -> Path:
    """Return DejaVu Sans as shipped inside matplotlib (a font without Chinese)."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert path.is_file(), path
    return path


def _render(font_path: Path, ch: str, size: int = 64) -> np.ndarray:
    font = load_font(font_path, size)
    image = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 2), ch, font=font, fill=255)
    return np.asarray(image)


def test_finds_a_font_that_covers_chinese() -> None:
    path = find_cjk_font()
    assert path.is_file()
    assert has_glyphs(path, LINE)
    assert has_glyphs(path, CJK_PROBE)
    assert not has_glyphs(path, "西湖" + MISSING)


def test_chinese_line_is_not_tofu() -> None:
    path = find_cjk_font()
    tofu = _render(path, MISSING)
    glyphs = [_render(path, ch) for ch in LINE]
    for ch, glyph in zip(LINE, glyphs, strict=True):
        assert glyph.any(), f"{ch!r} rendered nothing"
        assert not np.array_equal(glyph, tofu), f"{ch!r} rendered as the missing-glyph box"
    for i in range(len(LINE)):
        for j in range(i + 1, len(LINE)):
            assert not np.array_equal(glyphs[i], glyphs[j]), f"{LINE[i]!r} and {LINE[j]!r} look the same"


def test_latin_font_is_not_taken_for_chinese() -> None:
    latin = _latin_only_font()
    assert has_glyphs(latin, "Spring outing")
    assert not has_glyphs(latin, "西湖")
    chosen = find_cjk_font(latin)
    assert chosen != latin
    assert has_glyphs(chosen, LINE)


def test_brand_font_with_chinese_is_preferred() -> None:
    spec = importlib.util.find_spec("mplfonts")
    assert spec is not None and spec.submodule_search_locations
    serif = Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSerifCJKsc-Regular.otf"
    assert find_cjk_font(serif) == serif


@pytest.mark.parametrize("content", [b"", b"not a font at all"])
def test_unreadable_font_files_are_skipped(tmp_path: Path, content: bytes) -> None:
    bogus = tmp_path / "brand.ttf"
    bogus.write_bytes(content)
    assert not has_glyphs(bogus, "A")
    assert find_cjk_font(bogus) != bogus
    assert not has_glyphs(tmp_path / "absent.otf", "A")


def test_fonts_are_cached() -> None:
    path = find_cjk_font()
    assert load_font(path, 40) is load_font(path, 40)
    assert load_font(path, 40) is not load_font(path, 41)


def test_without_fontconfig_the_well_known_places_are_tried(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    from posterbooth import fontfiles, fonts
    from tests.font_setups import latinless_cjk_font

    latinless = latinless_cjk_font(tmp_path)
    real_which = fontfiles.shutil.which
    monkeypatch.setattr(fontfiles.shutil, "which", lambda name: None if name == "fc-list" else real_which(name))
    monkeypatch.setattr(fontfiles, "SYSTEM_CANDIDATES", (str(tmp_path / "absent.ttc"), str(latinless)))
    monkeypatch.setattr(fontfiles, "EMOJI_CANDIDATES", (str(_latin_only_font()),))  # not a colour font
    fonts.reset_caches()
    try:
        chain = fonts.font_chain()
        roles = {face.path.name: face.role for face in chain.faces}
        assert roles == {"NotoSansCJKsc-Regular.otf": "latin+cjk+bundled", latinless.name: "extra"}
        assert chain.emoji_face is None
        assert find_cjk_font().name == "NotoSansCJKsc-Regular.otf"
    finally:
        monkeypatch.undo()
        fonts.reset_caches()


def test_bold_siblings_are_found_only_when_they_cover_the_same_characters(tmp_path: Path) -> None:
    from posterbooth.fonts import find_bold_font

    regular = tmp_path / "BrandSans-Regular.ttf"
    regular.write_bytes(_latin_only_font().read_bytes())
    assert find_bold_font(regular) is None  # no BrandSans-Bold.ttf next to it
    bold = tmp_path / "BrandSans-Bold.ttf"
    bold.write_bytes(_latin_only_font().read_bytes())
    from posterbooth import fonts

    fonts.reset_caches()
    assert find_bold_font(regular) == bold


def test_font_coverage_is_cached_on_disk_between_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second process reads a font's coverage from the cache instead of decoding the font again."""
    from posterbooth import fontfiles

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    font = find_cjk_font()
    fontfiles._codepoints.cache_clear()
    decoded = fontfiles.codepoints(font)
    assert ord("中") in decoded
    cached = list((tmp_path / "posterbooth").glob("cmap-*.u32"))
    assert len(cached) == 1

    def no_decoding(path: str) -> frozenset[int]:
        raise AssertionError("the font was decoded again")

    monkeypatch.setattr(fontfiles, "_read_cmap", no_decoding)
    fontfiles._codepoints.cache_clear()  # as in a new process
    assert fontfiles.codepoints(font) == decoded

    cached[0].write_bytes(b"\x01\x02\x03")  # a torn or foreign file is not trusted: decoded again
    monkeypatch.setattr(fontfiles, "_read_cmap", lambda path: frozenset({1, 2}))
    fontfiles._codepoints.cache_clear()
    assert fontfiles.codepoints(font) == frozenset({1, 2})
    fontfiles._codepoints.cache_clear()
