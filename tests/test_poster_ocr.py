"""OCR reads the outcome title back from every demo poster: on this machine, with only a Latin-less CJK font
(Droid Sans Fallback, or a stand-in cut from the bundled font) and with no system fonts at all."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from posterbooth.campaigns import load_campaign
from tests.font_setups import DEMOS, ROOT, droid_font, fontconfig_with, latinless_cjk_font, render_demo

pytestmark = pytest.mark.slow


def _tesseract() -> str:
    """Return the tesseract binary with Chinese and English data; fail in CI, skip elsewhere, when missing."""
    binary = shutil.which("tesseract")
    langs = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=False).stdout.split() \
        if binary else []
    if binary is None or "chi_sim" not in langs or "eng" not in langs:
        message = "tesseract-ocr with tesseract-ocr-chi-sim and tesseract-ocr-eng is needed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


#: Text heights tesseract reads well, in pixels, tried in this order: large titles are scaled down to them.
OCR_TEXT_SIZES = (48, 40, 56)


def read_box(image: Image.Image, tmp_path: Path, text_size: int, expected: str) -> list[str]:
    """Return what OCR reads in a text box at each of OCR_TEXT_SIZES, stopping once ``expected`` is read."""
    reads: list[str] = []
    for target in OCR_TEXT_SIZES:
        reads.append(ocr(image, tmp_path, min(1.0, target / text_size)))
        if _squash(expected) in _squash(reads[-1]):
            break
    return reads


def ocr(image: Image.Image, tmp_path: Path, scale: float) -> str:
    """Read one text box with tesseract (chi_sim+eng): grey, scaled, dark text on light, a white margin."""
    gray = image.convert("L")
    gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
    if np.asarray(gray).mean() < 128:
        gray = ImageOps.invert(gray)
    gray = ImageOps.expand(ImageOps.autocontrast(gray), 30, fill=255)
    path = tmp_path / "box.png"
    gray.save(path)
    out = subprocess.run([_tesseract(), str(path), "stdout", "-l", "chi_sim+eng", "--psm", "6"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out


def _squash(text: str) -> str:
    """Drop spaces and line breaks (tesseract puts spaces between Chinese characters)."""
    return "".join(text.split())


def _read_titles(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    """Return, per demo, the outcome title drawn and what OCR reads in its text box."""
    found: dict[str, tuple[str, list[str]]] = {}
    for slug in DEMOS:
        poster, _, context = render_demo(slug)
        layout = load_campaign(ROOT / "campaigns" / slug).definition.poster
        block = next(b for b in layout.texts if "outcome.title" in b.text)
        crop = poster.crop((block.x, block.y, block.x + block.width, block.y + block.height))
        title = context["outcome"]["title"]
        found[slug] = (title, read_box(crop, tmp_path, block.size, title))
    return found


def _assert_titles_read(found: dict[str, tuple[str, list[str]]]) -> None:
    for slug, (title, reads) in found.items():
        assert _squash(title) in _squash(reads[-1]), f"{slug}: OCR read {reads!r} where the title {title!r} is drawn"
    assert {"spring-outing", "dream-weekend"} <= set(found)  # the Chinese and the English demo


def test_titles_are_read_back_on_this_machine(tmp_path: Path) -> None:
    _tesseract()
    _assert_titles_read(_read_titles(tmp_path))


def test_titles_are_read_back_with_only_a_latinless_cjk_font(tmp_path: Path) -> None:
    _tesseract()
    stand_in = latinless_cjk_font(tmp_path / "made")
    with fontconfig_with(tmp_path / "fc", [stand_in]):
        _assert_titles_read(_read_titles(tmp_path))


def test_titles_are_read_back_with_only_droid_sans_fallback(tmp_path: Path) -> None:
    _tesseract()
    droid = droid_font()
    if droid is None:
        message = "Droid Sans Fallback (fonts-droid-fallback) is not installed; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with fontconfig_with(tmp_path / "fc", [droid]):
        _assert_titles_read(_read_titles(tmp_path))


def test_titles_and_label_are_read_back_without_system_fonts(tmp_path: Path) -> None:
    _tesseract()
    with fontconfig_with(tmp_path / "fc", []):
        _assert_titles_read(_read_titles(tmp_path))
        poster, _, _ = render_demo("dream-weekend")
        # The label sits in the top-right corner: "AI生成 · AI-generated".
        label = read_box(poster.crop((poster.width - 620, 40, poster.width - 40, 170)), tmp_path, 60,
                         "生成")
        read = _squash(label[-1]).replace("l", "I")  # tesseract takes a sans-serif I for an l
        assert "AI生成" in read and "AI-generated" in read, label
