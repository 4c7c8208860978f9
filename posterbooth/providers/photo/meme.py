"""Make an animated meme: the face region as a cartoon sticker that moves, with a caption, as a small GIF."""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from posterbooth.fonts import find_bold_font, find_cjk_font, load_font

from .avatar import face_crop
from .filters import cartoon
from .pixels import resize, rng_for

MOTIONS = ("bounce", "zoom", "shake", "tilt")
#: Bright sticker backdrops; one is picked from the seed.
BACKGROUNDS = ((255, 214, 70), (120, 214, 255), (255, 150, 180), (160, 230, 140), (200, 170, 255),
               (255, 180, 100))
MAX_SIDE = 480
FRAMES = 14
FRAME_MS = 70
CAPTION_MAX_CHARS = 24


def canonical_motion(style: str, seed: int) -> str:
    """Return the motion named by ``style`` (bounce, zoom, shake, tilt), else one picked by the seed."""
    key = (style or "").strip().lower()
    aliases = {"跳": "bounce", "弹": "bounce", "放大": "zoom", "缩放": "zoom", "抖": "shake", "摇": "tilt",
               "摆": "tilt", "jump": "bounce", "pulse": "zoom", "wobble": "tilt", "swing": "tilt"}
    if key in MOTIONS:
        return key
    for word, motion in aliases.items():
        if word in key:
            return motion
    return MOTIONS[seed % len(MOTIONS)]


def _sticker(rgb: np.ndarray, side: int, seed: int) -> Image.Image:
    """Return the face region as a round cartoon sticker with a white border (RGBA)."""
    inner = int(side * 0.9)
    face = cartoon(resize(face_crop(rgb, margin=1.8, drop=-0.05), (inner, inner)), seed)
    sticker = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    border = Image.new("L", (side * 4, side * 4), 0)
    ImageDraw.Draw(border).ellipse((0, 0, side * 4 - 1, side * 4 - 1), fill=255)
    border = border.resize((side, side), Image.Resampling.LANCZOS)
    sticker.paste((255, 255, 255, 255), (0, 0), border)
    disc = Image.new("L", (inner * 4, inner * 4), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, inner * 4 - 1, inner * 4 - 1), fill=255)
    disc = disc.resize((inner, inner), Image.Resampling.LANCZOS)
    offset = (side - inner) // 2
    sticker.paste(Image.fromarray(face), (offset, offset), disc)
    return sticker


def _fit_caption(text: str, width: int, height: int) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """Wrap a caption in at most two lines and pick the largest font size that fits the band."""
    regular = find_cjk_font()
    font_path = find_bold_font(regular) or regular
    text = " ".join(text.split())[:CAPTION_MAX_CHARS]
    for size in range(int(height * 0.4), 11, -2):
        font = load_font(font_path, size)
        lines = _wrap(text, font, width)
        if len(lines) <= 2 and size * len(lines) * 1.2 <= height * 0.92:
            return lines, font
    font = load_font(font_path, 12)
    return _wrap(text, font, width)[:2], font


#: Punctuation that must not start a line (Chinese line-breaking rules, simplified).
NO_LINE_START = set("，。！？、；：）》」』”’,.!?;:)")


def _tokens(text: str) -> list[str]:
    """Split text into unbreakable pieces: single CJK characters (with trailing punctuation) and latin words."""
    pieces: list[str] = []
    for char in text:
        previous = pieces[-1][-1] if pieces else ""
        joins_word = ord(char) <= 0x2E80 and char != " " and previous not in ("", " ") and ord(previous) <= 0x2E80
        if pieces and (char in NO_LINE_START or char == " " or joins_word):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break text into lines no wider than ``width``: between latin words, or between CJK characters."""
    lines: list[str] = []
    current = ""
    for piece in _tokens(text):
        trial = current + piece
        if current and font.getlength(trial.rstrip()) > width:
            lines.append(current.rstrip())
            current = piece.lstrip()
        else:
            current = trial
    if current.strip():
        lines.append(current.strip())
    return lines


def _pose(motion: str, t: float, rng_offsets: np.ndarray, index: int) -> tuple[float, float, float, float]:
    """Return (dx, dy, scale, angle) of the sticker at phase t in [0, 1) for a motion."""
    wave = math.sin(2 * math.pi * t)
    if motion == "bounce":
        hop = abs(math.sin(math.pi * t))
        squash = 1.0 - 0.08 * max(0.0, 1.0 - hop * 4)
        return 0.0, -0.16 * hop, squash, 0.0
    if motion == "zoom":
        return 0.0, 0.0, 1.0 + 0.18 * (0.5 + 0.5 * wave), 0.0
    if motion == "shake":
        dx, dy = rng_offsets[index]
        return 0.05 * dx, 0.03 * dy, 1.04, 6.0 * dx
    return 0.0, 0.0, 1.0, 14.0 * wave  # tilt


def meme_gif(rgb: np.ndarray, caption: str, motion: str, seed: int = 0, side: int = 360) -> bytes:
    """Return an animated GIF (bytes): the face sticker moving with ``motion`` above a caption."""
    side = max(120, min(int(side), MAX_SIDE))
    rng = rng_for("meme", seed)
    background = BACKGROUNDS[int(rng.integers(0, len(BACKGROUNDS)))]
    caption = (caption or "").strip()
    band = int(side * 0.24) if caption else 0
    stage = side - band
    sticker = _sticker(rgb, int(stage * 0.74), seed)
    offsets = rng.uniform(-1.0, 1.0, (FRAMES, 2))
    text_layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    if caption:
        lines, font = _fit_caption(caption, int(side * 0.92), band)
        draw = ImageDraw.Draw(text_layer)
        line_height = font.size * 1.15
        top = side - band + (band - line_height * len(lines)) / 2 + line_height / 2
        stroke = max(2, font.size // 9)
        for i, line in enumerate(lines):
            draw.text((side / 2, top + i * line_height), line, font=font, fill=(255, 255, 255),
                      stroke_width=stroke, stroke_fill=(20, 20, 20), anchor="mm")
    frames: list[Image.Image] = []
    for index in range(FRAMES):
        dx, dy, scale, angle = _pose(motion, index / FRAMES, offsets, index)
        frame = Image.new("RGBA", (side, side), (*background, 255))
        if motion == "bounce":  # squash on landing: wider and flatter
            target = (int(sticker.width / scale), max(8, int(sticker.height * scale)))
        else:
            target = (max(8, int(sticker.width * scale)), max(8, int(sticker.height * scale)))
        moved = sticker.resize(target, Image.Resampling.BILINEAR)
        if angle:
            moved = moved.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        cx = side / 2 + dx * stage
        cy = stage * 0.56 + dy * stage
        if motion == "bounce":
            cy += (sticker.height - moved.height) / 2  # squash towards the floor
        shadow = _shadow(side, cx, stage * 0.56 + sticker.height * 0.5, sticker.width * (0.8 - abs(dy)))
        frame.alpha_composite(shadow)
        frame.alpha_composite(moved, (int(cx - moved.width / 2), int(cy - moved.height / 2)))
        frame.alpha_composite(text_layer)
        frames.append(frame.convert("RGB"))
    return _encode_gif(frames)


def _shadow(side: int, cx: float, floor: float, width: float) -> Image.Image:
    """Return a soft elliptical floor shadow layer."""
    mask = np.zeros((side, side), np.float32)
    cv2.ellipse(mask, (int(cx), int(min(floor, side - 4))), (max(2, int(width / 2)), max(2, int(width / 12))),
                0, 0, 360, 1.0, -1, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, side / 80)) * 0.25
    layer = np.zeros((side, side, 4), np.uint8)
    layer[..., 3] = np.clip(mask * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(layer, "RGBA")


def _encode_gif(frames: list[Image.Image]) -> bytes:
    """Encode frames as a looping GIF with one shared palette (no flicker between frames)."""
    strip = Image.new("RGB", (frames[0].width, frames[0].height * 3))
    for i, index in enumerate((0, len(frames) // 3, 2 * len(frames) // 3)):
        strip.paste(frames[index], (0, i * frames[0].height))
    palette = strip.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    quantised = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    buffer = io.BytesIO()
    quantised[0].save(buffer, "GIF", save_all=True, append_images=quantised[1:], duration=FRAME_MS, loop=0,
                      optimize=False, disposal=1)
    return buffer.getvalue()
