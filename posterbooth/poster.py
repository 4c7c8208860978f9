"""Compose the poster and the share card from a generated image and the campaign's layout."""

from __future__ import annotations

import functools
import io
import math
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont, ImageOps

from posterbooth import aigc as aigc_meta
from posterbooth.aigc import AigcRecord
from posterbooth.fonts import codepoints, find_bold_font, find_cjk_font, has_glyphs, load_font
from posterbooth.layout import AiLabel, ImageBox, PosterLayout, QrBox, TextBlock, rgba
from posterbooth.qr import qr_image

#: JPEG quality of the poster and the share card.
JPEG_QUALITY = 88
#: Size of the share card used for link previews (1.91:1).
SHARE_CARD_SIZE = (1200, 630)
#: Minimum height of the visible label's text, as a share of the image's shortest side (GB 45438-2025).
LABEL_MIN_HEIGHT_RATIO = 0.05

#: Characters that must not start a line (Chinese closing punctuation and the like).
NO_LINE_START = frozenset("，。！？、；：」』）》〉】〕〗〙〛’”…‥·・～％,.!?;:)]}%")
#: Characters that must not end a line (opening brackets and quotes).
NO_LINE_END = frozenset("（「『《〈【〔〖〘〚‘“([{")
ELLIPSIS = "…"
_TRIM_BEFORE_ELLIPSIS = " \t，。、；：,.;:!！?？…-—·"

Font = ImageFont.FreeTypeFont
Color = tuple[int, int, int, int]


@dataclass(frozen=True)
class PosterAssets:
    """Files from the campaign folder that the layout may use; all optional."""

    background_image: Path | None = None
    logo: Path | None = None
    brand_font: Path | None = None


@dataclass(frozen=True)
class ComposedPoster:
    """The encoded poster and share card."""

    poster_jpeg: bytes
    share_card_jpeg: bytes
    width: int
    height: int


# --------------------------------------------------------------------------- text layout


def _is_wide(ch: str) -> bool:
    """Tell whether a line may break on either side of this character (CJK and the like)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_units(text: str) -> list[str]:
    """Split text into unbreakable units: one per CJK character, one per Latin word, spaces, newlines."""
    units: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            units.append("".join(word))
            word.clear()

    for ch in text:
        if ch == "\n":
            flush()
            units.append("\n")
        elif ch.isspace():
            flush()
            if not units or units[-1] != " ":
                units.append(" ")
        elif _is_wide(ch):
            flush()
            units.append(ch)
        else:
            word.append(ch)
    flush()
    return units


@functools.lru_cache(maxsize=16384)
def _unit_width(font: Font, unit: str) -> float:
    return font.getlength(unit)


def wrap_text(text: str, font: Font, max_width: float) -> list[str]:
    """Wrap text to max_width: Chinese per character, Latin per word, with line-start rules."""
    def width(unit: str) -> float:
        return _unit_width(font, unit)

    lines: list[str] = []
    cur: list[str] = []
    cur_w = 0.0

    def flush() -> None:
        nonlocal cur, cur_w
        while cur and cur[-1] == " ":
            cur.pop()
        lines.append("".join(cur))
        cur, cur_w = [], 0.0

    def start_line(units: list[str]) -> None:
        nonlocal cur, cur_w
        cur = list(units)
        cur_w = sum(width(u) for u in cur)

    queue = deque(text_units(text))
    while queue:
        unit = queue.popleft()
        if unit == "\n":
            flush()
            continue
        if unit == " " and not cur:
            continue
        w = width(unit)
        if cur_w + w <= max_width:
            cur.append(unit)
            cur_w += w
            continue
        if unit == " ":
            flush()
            continue
        if w > max_width and len(unit) > 1:
            if cur:  # a long word goes to a fresh line first
                flush()
                queue.appendleft(unit)
                continue
            # A single word wider than the line: break it between characters.
            cut = 1
            while cut < len(unit) and font.getlength(unit[: cut + 1]) <= max_width:
                cut += 1
            queue.appendleft(unit[cut:])
            start_line([unit[:cut]])
            flush()
            continue
        if not cur:
            start_line([unit])
            continue
        while cur and cur[-1] == " ":
            cur.pop()
        carry: list[str] = []
        if unit[0] in NO_LINE_START:
            # Take characters down from the end of the line so that the new line does not start
            # with closing punctuation; if the line would be left empty, let the punctuation hang.
            while len(cur) >= 2 and (not carry or carry[0][0] in NO_LINE_START):
                carry.insert(0, cur.pop())
            if not carry or carry[0][0] in NO_LINE_START or carry[0] == " ":
                cur.extend(carry)
                cur.append(unit)
                cur_w = sum(width(u) for u in cur)
                continue
        while len(cur) >= 2 and cur[-1][-1] in NO_LINE_END:
            carry.insert(0, cur.pop())
        flush()
        start_line([*carry, unit])
    if cur or not lines:
        flush()
    return lines


def ellipsize(line: str, font: Font, max_width: float) -> str:
    """Return the line cut short enough to end in '…' within max_width."""
    text = line.rstrip(_TRIM_BEFORE_ELLIPSIS)
    full = len(text)
    while text and font.getlength(text + ELLIPSIS) > max_width:
        text = text[:-1]
    if len(text) < full and text and text[-1].isalnum() and not _is_wide(text[-1]):
        # Cut inside a Latin word: back off to the previous word when that keeps most of the line.
        space = text.rfind(" ")
        if space > len(text) // 2:
            text = text[:space]
    return text.rstrip(_TRIM_BEFORE_ELLIPSIS) + ELLIPSIS


def balance_lines(text: str, font: Font, max_width: float, count: int) -> list[str]:
    """Wrap text into at most ``count`` lines of the narrowest width that still allows it."""
    lo, hi = max_width / 2, max_width
    best = wrap_text(text, font, hi)
    for _ in range(7):
        mid = (lo + hi) / 2
        lines = wrap_text(text, font, mid)
        if len(lines) <= count:
            hi, best = mid, lines
        else:
            lo = mid
    return best


def lines_that_fit(height: int, size: int, line_height: float, max_lines: int) -> int:
    """Return how many lines of this size fit in a box of this height (at least one)."""
    step = size * line_height
    return max(1, min(max_lines, int((height - size) // step) + 1))


@dataclass(frozen=True)
class FittedText:
    """Lines of a text block laid out in its box."""

    lines: list[str]
    font: Font
    size: int
    truncated: bool


def fit_text(
    text: str,
    font_path: Path,
    *,
    size: int,
    width: int,
    height: int,
    max_lines: int,
    line_height: float,
    shrink_to_fit: bool = True,
    min_size: int | None = None,
    bold: bool = False,
    balance: bool = False,
) -> FittedText:
    """Wrap text into a box, shrinking the font down to min_size and then cutting with '…'."""
    smallest = size if not shrink_to_fit else (min_size or max(8, round(size * 0.75)))
    candidate = size
    while True:
        font = load_font(font_path, candidate)
        room = width - 2 * _stroke_for(candidate, bold)
        lines = wrap_text(text, font, room)
        limit = lines_that_fit(height, candidate, line_height, max_lines)
        if len(lines) <= limit:
            if balance and len(lines) > 1 and "\n" not in text:
                lines = balance_lines(text, font, room, len(lines))
            return FittedText(lines, font, candidate, False)
        if candidate <= smallest:
            kept = lines[:limit]
            kept[-1] = ellipsize(kept[-1], font, room)
            return FittedText(kept, font, candidate, True)
        candidate = max(smallest, min(candidate - 1, round(candidate * 0.94)))


def _stroke_for(size: int, bold: bool) -> int:
    """Return the outline width that makes text look bold at this size (0 when not bold)."""
    return max(1, round(size / 36)) if bold else 0


def _visible_text(text: str, font_path: Path) -> str:
    """Drop characters the font cannot draw (emoji, control characters) instead of drawing boxes."""
    covered = codepoints(font_path)
    return "".join(
        ch for ch in text if ch in "\n " or (ord(ch) in covered and unicodedata.category(ch)[0] != "C")
    )


@functools.lru_cache(maxsize=256)
def _center_offset(font: Font) -> float:
    """Return how far below the visual centre of a line its baseline lies."""
    probe = "中" if ord("中") in codepoints(Path(font.path)) else "H"
    top, bottom = font.getbbox(probe, anchor="ls")[1::2]
    return -(top + bottom) / 2


def _paint_text(canvas: Image.Image, xy: tuple[float, float], text: str, font: Font, color: Color,
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
    offset = _center_offset(font)
    for i, line in enumerate(fitted.lines):
        if not line:
            continue
        line_w = font.getlength(line) + 2 * stroke
        dx = {"left": 0.0, "center": (width - line_w) / 2, "right": width - line_w}[align]
        baseline = top + i * step + size / 2 + offset
        _paint_text(canvas, (x + dx + stroke, baseline), line, font, color, stroke)


def _block_font(block_font: str, text: str, assets: PosterAssets, bold: bool = False) -> tuple[Path, bool]:
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


def _draw_text_block(canvas: Image.Image, block: TextBlock, text: str, assets: PosterAssets) -> None:
    font_path, fake_bold = _block_font(block.font, text, assets, block.bold)
    text = _visible_text(text, font_path)
    if not text.strip():
        return
    fitted = fit_text(text, font_path, size=block.size, width=block.width, height=block.height,
                      max_lines=block.max_lines, line_height=block.line_height,
                      shrink_to_fit=block.shrink_to_fit, min_size=block.min_size, bold=fake_bold,
                      balance=block.balance)
    stroke = _stroke_for(fitted.size, fake_bold)
    draw_lines(canvas, fitted, x=block.x, y=block.y, width=block.width, height=block.height,
               align=block.align, valign=block.valign, line_height=block.line_height,
               color=rgba(block.color), stroke=stroke)


# --------------------------------------------------------------------------- shapes and images


@functools.lru_cache(maxsize=64)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """Return an anti-aliased rounded-rectangle mask (cached; do not modify)."""
    mask = Image.new("L", (width, height), 255)
    radius = min(radius, width // 2, height // 2)
    if radius <= 0:
        return mask
    scale = 4
    big = Image.new("L", (radius * scale, radius * scale), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * radius * scale - 1, 2 * radius * scale - 1), fill=255)
    corner = big.resize((radius, radius), Image.Resampling.BOX)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - radius, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - radius))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
    return mask


@functools.lru_cache(maxsize=32)
def _alpha_mask(width: int, height: int, radius: int, alpha: int) -> Image.Image:
    mask = _rounded_mask(width, height, radius)
    return mask if alpha == 255 else mask.point(lambda v: v * alpha // 255)


@functools.lru_cache(maxsize=16)
def _shadow_mask(width: int, height: int, radius: int, blur: int, alpha: int) -> Image.Image:
    """Return a soft shadow mask of a rounded box, padded by 2×blur on each side (cached)."""
    pad = 2 * blur
    small = 4  # blur at quarter resolution: the result is smooth anyway
    canvas = Image.new("L", ((width + 2 * pad) // small, (height + 2 * pad) // small), 0)
    shape = _rounded_mask(max(1, width // small), max(1, height // small), max(0, radius // small))
    canvas.paste(alpha, (pad // small, pad // small), shape)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur / small / 2))
    return canvas.resize((width + 2 * pad, height + 2 * pad), Image.Resampling.BILINEAR)


def _paste_rounded(canvas: Image.Image, image: Image.Image, xy: tuple[int, int], radius: int) -> None:
    canvas.paste(image, xy, _rounded_mask(image.width, image.height, radius))


def resize(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return the image resized to width×height (area-averaged when shrinking, bicubic otherwise)."""
    if image.size == (width, height):
        return image
    factor = min(image.width // width, image.height // height)
    if factor >= 2:  # cheap integer box reduction first, then a mild final resize
        image = image.reduce(factor)
    if image.mode not in ("RGB", "L"):  # Pillow premultiplies alpha, so transparent edges stay clean
        return image.resize((width, height), Image.Resampling.BICUBIC)
    shrink = image.width > width and image.height > height
    out = cv2.resize(np.asarray(image), (width, height),
                     interpolation=cv2.INTER_AREA if shrink and factor >= 2 else cv2.INTER_CUBIC)
    return Image.fromarray(out, image.mode)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return the image scaled to fill width×height, centre-cropped."""
    scale = max(width / image.width, height / image.height)
    crop_w, crop_h = round(width / scale), round(height / scale)
    left, top = (image.width - crop_w) // 2, (image.height - crop_h) // 2
    if (crop_w, crop_h) != image.size:
        image = image.crop((left, top, left + crop_w, top + crop_h))
    return resize(image, width, height)


def contain_size(image_size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """Return the largest size with the image's aspect ratio that fits in width×height."""
    scale = min(width / image_size[0], height / image_size[1])
    return max(1, round(image_size[0] * scale)), max(1, round(image_size[1] * scale))


def _prepare_generated(image: Image.Image, background: Color) -> Image.Image:
    """Return the generated image upright, in sRGB RGB, flattened onto the background colour."""
    image = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            image = ImageCms.profileToProfile(image, src, ImageCms.createProfile("sRGB"), outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: treat the pixels as sRGB
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba_image = image.convert("RGBA")
        flat = Image.new("RGB", rgba_image.size, background[:3])
        flat.paste(rgba_image, (0, 0), rgba_image)
        return flat
    return image.convert("RGB") if image.mode != "RGB" else image


def _open_asset(path: Path) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        img = ImageOps.exif_transpose(img) or img
        return img.convert("RGBA")


def _asset_key(path: Path | None) -> tuple[str, float] | None:
    if path is None:
        return None
    return str(path), Path(path).stat().st_mtime


@functools.lru_cache(maxsize=8)
def _base_layer(layout_json: str, background: tuple[str, float] | None,
                logo: tuple[str, float] | None) -> Image.Image:
    """Return the parts that are the same on every poster of a campaign (cached; copy before use)."""
    layout = PosterLayout.model_validate_json(layout_json)
    canvas = Image.new("RGB", (layout.width, layout.height), rgba(layout.background)[:3])
    if background is not None:
        bg = cover(_open_asset(Path(background[0])), layout.width, layout.height)
        canvas.paste(bg, (0, 0), bg)
    if logo is not None and layout.logo is not None:
        box = layout.logo
        img = _open_asset(Path(logo[0]))
        w, h = contain_size(img.size, box.width, box.height)
        img = resize(img, w, h)
        dx = {"left": 0, "center": (box.width - w) // 2, "right": box.width - w}[box.align]
        canvas.paste(img, (box.x + dx, box.y + (box.height - h) // 2), img)
    return canvas


def _draw_generated(canvas: Image.Image, layout: PosterLayout, image: Image.Image,
                    box: ImageBox | None = None) -> None:
    box = box or layout.image
    if box.fit == "contain":
        w, h = contain_size(image.size, box.width, box.height)
        x, y = box.x + (box.width - w) // 2, box.y + (box.height - h) // 2
    else:
        w, h, x, y = box.width, box.height, box.x, box.y
    radius = min(box.radius, w // 2, h // 2)
    if box.shadow:
        blur = max(8, round(min(layout.width, layout.height) * 0.03))
        mask = _shadow_mask(w, h, radius, blur, 70)
        drop = round(blur * 0.6)
        canvas.paste((20, 24, 40), (x - 2 * blur, y - 2 * blur + drop), mask)
    if box.border:
        b = box.border
        frame = _alpha_mask(w + 2 * b, h + 2 * b, radius + b if radius else 0, 255)
        canvas.paste(rgba(box.border_color)[:3], (x - b, y - b), frame)
    _paste_rounded(canvas, cover(image, w, h), (x, y), radius)


# --------------------------------------------------------------------------- QR and label


def _draw_qr(canvas: Image.Image, qr: QrBox, url: str, caption: str, assets: PosterAssets) -> None:
    tile = qr.size
    radius = max(4, tile // 16)
    canvas.paste(rgba(qr.background)[:3], (qr.x, qr.y), _rounded_mask(tile, tile, radius))
    code = qr_image(url, tile - 2 * qr.padding, border=2)
    canvas.paste(code, (qr.x + qr.padding, qr.y + qr.padding))
    caption = " ".join(caption.split())
    if not caption:
        return
    font_path, _ = _block_font("brand", caption, assets)
    caption = _visible_text(caption, font_path)
    font = load_font(font_path, qr.caption_size)
    centre = qr.x + tile / 2
    room = min(2 * min(centre, canvas.width - centre) - 16, tile * 2)
    if font.getlength(caption) > room:
        caption = ellipsize(caption, font, room)
    gap = round(qr.caption_size * 0.55)
    baseline = qr.y + tile + gap + qr.caption_size / 2 + _center_offset(font)
    width = font.getlength(caption)
    _paint_text(canvas, (centre - width / 2, baseline), caption, font, rgba(qr.caption_color))


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
    font_path, _ = _block_font("brand", label.text, assets)
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
        canvas.paste(background[:3], (x, y), _alpha_mask(w, h, round(h * 0.28), background[3]))
    _paint_text(canvas, (x + pad_x - left, y + pad_y - top), label.text, font, color)
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


# --------------------------------------------------------------------------- share card


def _share_card(layout: PosterLayout, image: Image.Image, texts: list[tuple[TextBlock, str]],
                assets: PosterAssets) -> Image.Image:
    """Return the 1200×630 link-preview card: the image on the left, the words on the right."""
    cw, ch = SHARE_CARD_SIZE
    canvas = Image.new("RGB", (cw, ch), rgba(layout.background)[:3])
    if assets.background_image is not None:
        bg = cover(_open_asset(Path(assets.background_image)), cw, ch)
        canvas.paste(bg, (0, 0), bg)
    canvas.paste(cover(image, ch, ch), (0, 0))
    pad = 56
    left, width = ch + pad, cw - ch - 2 * pad
    blocks: list[tuple[FittedText, TextBlock, int]] = []
    sizes = (58, 32, 28)
    for (block, text), size in zip(texts[:3], sizes, strict=False):
        font_path, fake_bold = _block_font(block.font, text, assets, block.bold)
        text = _visible_text(text, font_path)
        fitted = fit_text(text, font_path, size=min(size, block.size), width=width, height=ch,
                          max_lines=3 if size == sizes[0] else 4, line_height=1.3, bold=fake_bold,
                          balance=block.balance)
        blocks.append((fitted, block, _stroke_for(fitted.size, fake_bold)))
    gaps = [round(f.size * 0.9) for f, _, _ in blocks]
    heights = [(len(f.lines) - 1) * f.size * 1.3 + f.size for f, _, _ in blocks]
    total = sum(heights) + sum(gaps[:-1])
    top = (ch - total) / 2
    for (fitted, block, stroke), h, gap in zip(blocks, heights, gaps, strict=True):
        draw_lines(canvas, fitted, x=left, y=round(top), width=width, height=round(h) + 1, align="left",
                   valign="top", line_height=1.3, color=rgba(block.color), stroke=stroke)
        top += h + gap
    draw_label(canvas, layout.label, assets, margin=max(16, round(layout.label.margin * ch / min(
        layout.width, layout.height))))
    return canvas


# --------------------------------------------------------------------------- encoding and entry point


def encode_jpeg(image: Image.Image, record: AigcRecord) -> bytes:
    """Encode a JPEG (progressive, sRGB, no EXIF) that carries the implicit AIGC label."""
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=JPEG_QUALITY, progressive=True, subsampling="4:2:0",
               xmp=aigc_meta.xmp_packet(record), comment=aigc_meta.comment(record))
    return buf.getvalue()


def render_poster(layout: PosterLayout, generated: Image.Image, *, render_text: Callable[[str], str],
                  assets: PosterAssets, qr_url: str,
                  photo: Image.Image | None = None) -> tuple[Image.Image, Image.Image]:
    """Draw the poster and the share card as images (no encoding); ``photo`` fills ``layout.photo``."""
    background = rgba(layout.background)
    image = _prepare_generated(generated, background)
    base = _base_layer(layout.model_dump_json(), _asset_key(assets.background_image),
                       _asset_key(assets.logo if layout.logo is not None else None))
    canvas = base.copy()
    _draw_generated(canvas, layout, image)
    if photo is not None and layout.photo is not None:
        _draw_generated(canvas, layout, _prepare_generated(photo, background), layout.photo)
    rendered: list[tuple[TextBlock, str]] = []
    for block in layout.texts:
        text = render_text(block.text).strip()
        if text:
            rendered.append((block, text))
            _draw_text_block(canvas, block, text, assets)
    if layout.qr is not None:
        caption = render_text(layout.qr.caption) if layout.qr.caption.strip() else ""
        _draw_qr(canvas, layout.qr, qr_url, caption, assets)
    draw_label(canvas, layout.label, assets)
    return canvas, _share_card(layout, image, rendered, assets)


def compose_poster(layout: PosterLayout, generated: Image.Image, *, render_text: Callable[[str], str],
                   assets: PosterAssets, qr_url: str, aigc: AigcRecord,
                   photo: Image.Image | None = None) -> ComposedPoster:
    """Compose and encode the poster and its share card, both labelled as AI-generated."""
    poster, card = render_poster(layout, generated, render_text=render_text, assets=assets, qr_url=qr_url,
                                 photo=photo)
    return ComposedPoster(
        poster_jpeg=encode_jpeg(poster, aigc),
        share_card_jpeg=encode_jpeg(card, aigc),
        width=poster.width,
        height=poster.height,
    )
