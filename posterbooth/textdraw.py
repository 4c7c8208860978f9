"""Draw text blocks and the visible AI label onto a poster."""

from __future__ import annotations

import functools
import math
import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from posterbooth.fonts import codepoints, find_bold_font, find_cjk_font, has_glyphs, load_font
from posterbooth.imaging import PosterAssets, alpha_mask
from posterbooth.layout import AiLabel, TextBlock, rgba
from posterbooth.textlayout import FittedText, Font, fit_text, stroke_for

#: Minimum height of the visible label's text, as a share of the image's shortest side (GB 45438-2025).
LABEL_MIN_HEIGHT_RATIO = 0.05

Color = tuple[int, int, int, int]


def visible_text(text: str, font_path: Path) -> str:
    """Drop characters the font cannot draw (emoji, control characters) instead of drawing boxes."""
    covered = codepoints(font_path)
    return "".join(
        ch for ch in text if ch in "\n " or (ord(ch) in covered and unicodedata.category(ch)[0] != "C")
    )


@functools.lru_cache(maxsize=256)
def center_offset(font: Font) -> float:
    """Return how far below the visual centre of a line its baseline lies."""
    probe = "中" if ord("中") in codepoints(Path(font.path)) else "H"
    top, bottom = font.getbbox(probe, anchor="ls")[1::2]
    return -(top + bottom) / 2


def paint_text(canvas: Image.Image, xy: tuple[float, float], text: str, font: Font, color: Color,
                stroke: int = 0) -> None:
    """Draw text with its baseline at xy, honouring the colour's alpha."""
    if color[3] == 255:
        ImageDraw.Draw(canvas).text(xy, text, font=font, fill=color[:3], anchor="ls",
                                    stroke_width=stroke, stroke_fill=color[:3])
        return
    left, top, right, bottom = font.getbbox(text, anchor="ls", stroke_width=stroke)
    ox, oy = math.floor(xy[0] + left), math.floor(xy[1] + top)
    mask = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(mask).text((xy[0] - ox, xy[1] - oy), text, font=font, fill=255, anchor="ls",
                              stroke_width=stroke, stroke_fill=255)
    mask = mask.point(lambda v: v * color[3] // 255)
    canvas.paste(color[:3], (ox, oy, ox + mask.width, oy + mask.height), mask)


def draw_lines(canvas: Image.Image, fitted: FittedText, *, x: int, y: int, width: int, height: int,
               align: str, valign: str, line_height: float, color: Color, stroke: int = 0) -> None:
    """Draw fitted lines into a box with the given alignment."""
    font, size = fitted.font, fitted.size
    step = size * line_height
    block = (len(fitted.lines) - 1) * step + size
    top = y + {"top": 0.0, "middle": (height - block) / 2, "bottom": height - block}[valign]
    offset = center_offset(font)
    for i, line in enumerate(fitted.lines):
        if not line:
            continue
        line_w = font.getlength(line) + 2 * stroke
        dx = {"left": 0.0, "center": (width - line_w) / 2, "right": width - line_w}[align]
        baseline = top + i * step + size / 2 + offset
        paint_text(canvas, (x + dx + stroke, baseline), line, font, color, stroke)


def block_font(block_font: str, text: str, assets: PosterAssets, bold: bool = False) -> tuple[Path, bool]:
    """Return the font file for a text and whether bold must be faked with an outline."""
    if block_font == "brand" and assets.brand_font is not None and has_glyphs(assets.brand_font, text):
        path = Path(assets.brand_font)
    else:
        path = find_cjk_font(None)
    if not bold:
        return path, False
    heavy = find_bold_font(path)
    if heavy is not None and has_glyphs(heavy, text):
        return heavy, False
    return path, True


def draw_text_block(canvas: Image.Image, block: TextBlock, text: str, assets: PosterAssets) -> None:
    font_path, fake_bold = block_font(block.font, text, assets, block.bold)
    text = visible_text(text, font_path)
    if not text.strip():
        return
    fitted = fit_text(text, font_path, size=block.size, width=block.width, height=block.height,
                      max_lines=block.max_lines, line_height=block.line_height,
                      shrink_to_fit=block.shrink_to_fit, min_size=block.min_size, bold=fake_bold,
                      balance=block.balance)
    stroke = stroke_for(fitted.size, fake_bold)
    draw_lines(canvas, fitted, x=block.x, y=block.y, width=block.width, height=block.height,
               align=block.align, valign=block.valign, line_height=block.line_height,
               color=rgba(block.color), stroke=stroke)



@functools.lru_cache(maxsize=64)
def label_font_size(font_path: Path, text: str, min_text_height: int) -> int:
    """Return the smallest font size whose rendered text is at least min_text_height px tall."""
    probe = load_font(font_path, 100)
    top, bottom = probe.getbbox(text, anchor="ls")[1::2]
    size = max(8, math.ceil(min_text_height * 100 / max(1, bottom - top)))
    while True:
        top, bottom = load_font(font_path, size).getbbox(text, anchor="ls")[1::2]
        if bottom - top >= min_text_height:
            return size
        size += 1


def draw_label(canvas: Image.Image, label: AiLabel, assets: PosterAssets, *, margin: int | None = None,
               size: int | None = None) -> tuple[int, int, int, int]:
    """Draw the visible AI label in its corner; return the label's box (left, top, right, bottom)."""
    font_path, _ = block_font("brand", label.text, assets)
    # Two extra pixels so that the glyphs' fully inked part, not just their soft edges, reaches 5%.
    min_height = math.ceil(LABEL_MIN_HEIGHT_RATIO * min(canvas.size)) + 2
    size = max(size or label.size or 0, label_font_size(font_path, label.text, min_height))
    font = load_font(font_path, size)
    left, top, right, bottom = font.getbbox(label.text, anchor="ls")
    pad_x, pad_y = round(size * 0.42), round(size * 0.26)
    w, h = (right - left) + 2 * pad_x, (bottom - top) + 2 * pad_y
    margin = label.margin if margin is None else margin
    x = margin if label.corner.endswith("left") else canvas.width - margin - w
    y = margin if label.corner.startswith("top") else canvas.height - margin - h
    color = rgba(label.color)
    background = _legible_background(canvas.crop((x, y, x + w, y + h)), color, rgba(label.background))
    if background[3]:
        canvas.paste(background[:3], (x, y), alpha_mask(w, h, round(h * 0.28), background[3]))
    paint_text(canvas, (x + pad_x - left, y + pad_y - top), label.text, font, color)
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


