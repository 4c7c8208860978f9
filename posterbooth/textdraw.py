"""Draw text blocks and the visible AI label onto a poster."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from posterbooth.fonts import FontChain, font_chain
from posterbooth.glyphs import chain_font
from posterbooth.imaging import PosterAssets, alpha_mask
from posterbooth.layout import AiLabel, TextBlock, rgba
from posterbooth.textlayout import FittedText, fit_text

#: Minimum height of the visible label's text, as a share of the image's shortest side (GB 45438-2025).
LABEL_MIN_HEIGHT_RATIO = 0.05

Color = tuple[int, int, int, int]


@dataclass(frozen=True)
class DrawnText:
    """A text as it was laid out and drawn, with the pixels that were behind it (what proof sheets check)."""

    #: Which image: "poster" or "share card".
    part: str
    #: Which text of it: "texts[0]", "qr caption"...
    name: str
    fitted: FittedText
    #: The text's box on the canvas: x, y, width, height.
    box: tuple[int, int, int, int]
    align: str
    valign: str
    line_height: float
    color: Color
    #: The canvas under the box, ``margin`` pixels wider on each side, before the text was drawn.
    backdrop: Image.Image
    margin: int

    def ink(self) -> Image.Image:
        """Return the text's ink as a mask the size of ``backdrop`` (255 where the glyphs cover it)."""
        sheet = Image.new("RGB", self.backdrop.size, (0, 0, 0))
        x, y, width, height = self.box
        draw_lines(sheet, self.fitted, x=self.margin, y=self.margin, width=width, height=height, align=self.align,
                   valign=self.valign, line_height=self.line_height, color=(255, 255, 255, 255))
        return sheet.convert("L")


def backdrop_of(canvas: Image.Image, box: tuple[int, int, int, int], size: int) -> tuple[Image.Image, int]:
    """Return the canvas under a text box with a margin of half the font size around it, and that margin."""
    margin = max(4, size // 2)
    x, y, width, height = box
    return canvas.crop((x - margin, y - margin, x + width + margin, y + height + margin)).convert("RGB"), margin


def block_fonts(block_font: str, assets: PosterAssets) -> FontChain:
    """Return a text block's font chain: headed by the brand font for ``font: brand``, without it for default."""
    return font_chain(assets.brand_font if block_font == "brand" else None)


def visible_text(text: str, fonts: FontChain) -> str:
    """Leave out what no font of the chain can draw (control characters, emoji without an emoji font)."""
    return chain_font(fonts, 16).visible(text)


def draw_lines(canvas: Image.Image, fitted: FittedText, *, x: int, y: int, width: int, height: int,
               align: str, valign: str, line_height: float, color: Color) -> None:
    """Draw fitted lines into a box with the given alignment, all on baselines of the block's main face."""
    font, size = fitted.font, fitted.size
    step = size * line_height
    block = (len(fitted.lines) - 1) * step + size
    top = y + {"top": 0.0, "middle": (height - block) / 2, "bottom": height - block}[valign]
    offset = font.center_offset("".join(fitted.lines))
    for i, line in enumerate(fitted.lines):
        if not line:
            continue
        stroke = font.outline(line)
        line_w = font.getlength(line) + 2 * stroke
        dx = {"left": 0.0, "center": (width - line_w) / 2, "right": width - line_w}[align]
        baseline = top + i * step + size / 2 + offset
        font.draw(canvas, (x + dx + stroke, baseline), line, color)


def draw_text_block(canvas: Image.Image, block: TextBlock, text: str, assets: PosterAssets) -> FittedText | None:
    """Draw one text block of the layout, each character from the first font of its chain that has it.

    Return how the text was laid out (None when nothing was drawn).
    """
    fonts = block_fonts(block.font, assets)
    text = visible_text(text, fonts)
    if not text.strip():
        return None
    fitted = fit_text(text, fonts, size=block.size, width=block.width, height=block.height,
                      max_lines=block.max_lines, line_height=block.line_height,
                      shrink_to_fit=block.shrink_to_fit, min_size=block.min_size, bold=block.bold,
                      balance=block.balance)
    draw_lines(canvas, fitted, x=block.x, y=block.y, width=block.width, height=block.height,
               align=block.align, valign=block.valign, line_height=block.line_height, color=rgba(block.color))
    return fitted


@functools.lru_cache(maxsize=64)
def label_font_size(fonts: FontChain | Path | None, text: str, min_text_height: int) -> int:
    """Return the smallest font size whose rendered text is at least min_text_height px tall."""
    top, bottom = chain_font(fonts, 100).getbbox(text)[1::2]
    size = max(8, math.ceil(min_text_height * 100 / max(1, bottom - top)))
    while True:
        top, bottom = chain_font(fonts, size).getbbox(text)[1::2]
        if bottom - top >= min_text_height:
            return size
        size += 1


def draw_label(canvas: Image.Image, label: AiLabel, assets: PosterAssets, *, margin: int | None = None,
               size: int | None = None) -> tuple[int, int, int, int]:
    """Draw the visible AI label in its corner; return the label's box (left, top, right, bottom)."""
    fonts = block_fonts("brand", assets)
    text = visible_text(label.text, fonts)
    # Two extra pixels so that the glyphs' fully inked part, not just their soft edges, reaches 5%.
    min_height = math.ceil(LABEL_MIN_HEIGHT_RATIO * min(canvas.size)) + 2
    size = max(size or label.size or 0, label_font_size(fonts, text, min_height))
    font = chain_font(fonts, size)
    left, top, right, bottom = font.getbbox(text)
    pad_x, pad_y = round(size * 0.42), round(size * 0.26)
    w, h = (right - left) + 2 * pad_x, (bottom - top) + 2 * pad_y
    margin = label.margin if margin is None else margin
    x = margin if label.corner.endswith("left") else canvas.width - margin - w
    y = margin if label.corner.startswith("top") else canvas.height - margin - h
    color = rgba(label.color)
    background = _legible_background(canvas.crop((x, y, x + w, y + h)), color, rgba(label.background))
    if background[3]:
        canvas.paste(background[:3], (x, y), alpha_mask(w, h, round(h * 0.28), background[3]))
    font.draw(canvas, (x + pad_x - left, y + pad_y - top), text, color)
    return x, y, x + w, y + h


def _luminance(rgb: tuple[float, ...]) -> float:
    """Return the WCAG relative luminance of an sRGB colour."""
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


#: Contrast the label's text must have against what is behind it (WCAG AA for normal text).
LABEL_MIN_CONTRAST = 4.5


def _legible_background(under: Image.Image, text: Color, pill: Color) -> Color:
    """Return the label's pill colour, made more opaque (or swapped) when the text would be hard to read."""
    # Judge against the part of the backdrop that is closest to the text colour, not the average:
    # light text must stay readable over the brightest tenth of what lies behind it, and vice versa.
    pixels = np.asarray(under.convert("RGB")).reshape(-1, 3).astype(float)
    lum = pixels @ np.array([0.2126, 0.7152, 0.0722])
    light_text = _luminance(text) > 0.5
    pick = np.argsort(lum)[int((len(lum) - 1) * (0.9 if light_text else 0.1))]
    mean = tuple(float(v) for v in pixels[pick])

    def seen(alpha: int, rgb: tuple[int, ...]) -> tuple[float, ...]:
        return tuple(rgb[i] * alpha / 255 + mean[i] * (1 - alpha / 255) for i in range(3))

    for alpha in range(pill[3], 256, 16):
        if contrast_ratio(text, seen(alpha, pill[:3])) >= LABEL_MIN_CONTRAST:
            return (*pill[:3], alpha)
    if contrast_ratio(text, pill[:3]) >= LABEL_MIN_CONTRAST:
        return (*pill[:3], 255)
    dark, light = (17, 17, 17), (255, 255, 255)
    best = dark if contrast_ratio(text, dark) >= contrast_ratio(text, light) else light
    for alpha in range(pill[3] or 128, 256, 16):
        if contrast_ratio(text, seen(alpha, best)) >= LABEL_MIN_CONTRAST:
            return (*best, alpha)
    return (*best, 255)


