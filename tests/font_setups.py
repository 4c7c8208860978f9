"""Sabotaged machines for font tests: fontconfig pointed at a folder of chosen fonts (or none), and demo posters.

Run it to render every demo campaign's poster and share card in each set-up for a person to look at:
``python -m tests.font_setups OUT_DIR``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fontTools import subset
from PIL import Image

from posterbooth import fonts
from posterbooth.campaigns import LoadedCampaign, load_campaign
from posterbooth.fonts import CJK_PROBE
from posterbooth.poster import PosterAssets, render_poster
from posterbooth.prompt import render, template_context

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ("spring-outing", "dream-weekend", "anime-self", "concert-restyle")
#: Debian's fonts-droid-fallback: Chinese glyphs but no Latin letters.
DROID_PATHS = (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
               Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"))
#: Debian's fonts-noto-color-emoji (CBDT bitmaps).
EMOJI_PATH = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
#: An answer to every free-text question of the demos, in each language.
WORDS = {"en": "freedom", "zh-CN": "自由"}


def droid_font() -> Path | None:
    """Return Droid Sans Fallback when the machine has it."""
    return next((path for path in DROID_PATHS if path.is_file()), None)


def bundled_font() -> Path:
    """Return the Noto Sans CJK SC file that the mplfonts package ships."""
    spec = importlib.util.find_spec("mplfonts")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"


def latinless_cjk_font(folder: Path, extra: str = "") -> Path:
    """Write a Droid-like font: the bundled Noto Sans CJK SC cut down to the Chinese characters (and full-width
    punctuation) of the demo campaigns, the font probe and ``extra``; no Latin letters, no digits."""
    out = folder / "LatinlessCJK.otf"
    if not out.is_file():
        text = CJK_PROBE + extra + "".join(
            (ROOT / "campaigns" / slug / "campaign.yaml").read_text(encoding="utf-8") for slug in DEMOS)
        wanted = sorted({ord(ch) for ch in text if 0x3000 <= ord(ch) <= 0x9FFF or 0xFF00 <= ord(ch) <= 0xFFEF})
        options = subset.Options()
        font = subset.load_font(str(bundled_font()), options)
        try:
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=wanted)
            subsetter.subset(font)
            folder.mkdir(parents=True, exist_ok=True)
            subset.save_font(font, str(out), options)
        finally:
            font.close()
    return out


@contextmanager
def fontconfig_with(folder: Path, font_files: list[Path]) -> Iterator[Path]:
    """Point fontconfig at a folder holding only these fonts (none: no system fonts at all)."""
    fonts_dir, cache = folder / "fonts", folder / "cache"
    fonts_dir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(exist_ok=True)
    for path in font_files:
        shutil.copy(path, fonts_dir / path.name)
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{fonts_dir}</dir>\n  <cachedir>{cache}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    before = {name: os.environ.get(name) for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH")}
    os.environ["FONTCONFIG_FILE"] = str(config)
    os.environ.pop("FONTCONFIG_PATH", None)
    fonts.reset_caches()
    try:
        if shutil.which("fc-list"):
            listed = subprocess.run(["fc-list", ":", "file"], capture_output=True, text=True, check=False).stdout
            assert sorted(Path(line.split(":")[0]).name for line in listed.splitlines()) == sorted(
                p.name for p in font_files), f"fontconfig still sees other fonts: {listed}"
        yield config
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        fonts.reset_caches()


def demo_answers(loaded: LoadedCampaign) -> dict[str, object]:
    """Return answers a real attendee could give: the first option of each question, a word for text ones."""
    answers: dict[str, object] = {}
    for question in loaded.definition.questions:
        if question.type == "single" and question.options:
            answers[question.id] = question.options[0].value
        elif question.type == "multiple" and question.options:
            answers[question.id] = [question.options[0].value]
        elif question.type == "text":
            answers[question.id] = WORDS[loaded.definition.locale]
    return answers


def render_demo(slug: str, outcome_index: int = 0) -> tuple[Image.Image, Image.Image, dict]:
    """Render a demo campaign's poster and share card (its cover as the picture); return them and the context."""
    loaded = load_campaign(ROOT / "campaigns" / slug)
    campaign = loaded.definition
    outcome = campaign.outcomes[outcome_index]
    style = campaign.styles[0] if campaign.styles else None
    context = template_context(campaign, demo_answers(loaded), outcome, style)
    with Image.open(loaded.asset(campaign.assets.cover)) as opened:
        picture = opened.convert("RGB")
    assets = PosterAssets(background_image=loaded.asset(campaign.poster.background_image),
                          logo=loaded.asset(campaign.assets.logo), brand_font=loaded.asset(campaign.assets.font))
    poster, card = render_poster(campaign.poster, picture, render_text=lambda source: render(source, context),
                                 assets=assets, qr_url=f"https://event.example.com/c/{slug}?ref=demo",
                                 photo=picture if campaign.poster.photo is not None else None)
    return poster, card, context


def _write_all(out: Path, setup: str) -> None:
    for slug in DEMOS:
        poster, card, _ = render_demo(slug)
        poster.save(out / f"{setup}-{slug}-poster.png")
        card.save(out / f"{setup}-{slug}-card.png")
        print(out / f"{setup}-{slug}-poster.png")


def main(out: Path) -> None:
    """Render every demo poster on this machine, with only Droid Sans Fallback, and with no system fonts."""
    out.mkdir(parents=True, exist_ok=True)
    _write_all(out, "system")
    droid = droid_font()
    if droid is not None:
        with fontconfig_with(out / "droid-only", [droid]):
            print(fonts.font_chain().describe())
            _write_all(out, "droid-only")
    with fontconfig_with(out / "no-fonts", []):
        print(fonts.font_chain().describe())
        _write_all(out, "no-fonts")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "poster-demos"))
