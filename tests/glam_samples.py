"""Drawn AI 美照 template photos: a magazine cover with a faceless model, its face box known.

The demo campaign's templates (campaigns/magazine-cover/templates/) were made with this module, no downloads::

    python tests/glam_samples.py campaigns/magazine-cover/templates

Tests use :func:`cover_template` for templates of any size.
"""

from __future__ import annotations

import functools
import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

#: Theme -> (backdrop top, backdrop bottom, outfit, hair, accent, masthead colour).
THEMES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "fashion": ((246, 196, 190), (214, 96, 104), (28, 26, 34), (48, 30, 26), (255, 236, 214), (255, 255, 255)),
    "travel": ((150, 206, 236), (244, 222, 176), (246, 244, 236), (70, 44, 30), (232, 170, 70), (24, 70, 120)),
    "arts": ((40, 46, 76), (120, 84, 120), (196, 156, 84), (24, 20, 22), (250, 214, 140), (250, 214, 140)),
}
SKIN = (226, 178, 148)


def face_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Return the model's face box (x, y, width, height) on a template of this size."""
    w, h = size
    fw, fh = int(w * 0.2), int(h * 0.2)
    return int(w * 0.5 - fw / 2), int(h * 0.3), fw, fh


def _gradient(w: int, h: int, top: tuple[int, ...], bottom: tuple[int, ...]) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32) * np.ones((1, w, 1), np.float32)


@functools.lru_cache(maxsize=8)
def cover_template(theme: str = "fashion", size: tuple[int, int] = (720, 960),
                   masthead: str = "STARTIDE") -> Image.Image:
    """Draw a magazine cover template: backdrop, masthead, a model with hair, outfit and a plain face oval."""
    top, bottom, outfit, hair, accent, ink = THEMES[theme]
    w, h = size
    img = _gradient(w, h, top, bottom)
    # Soft light behind the model, and a few accent shapes of the theme.
    glow = np.zeros((h, w), np.float32)
    cv2.circle(glow, (w // 2, int(h * 0.42)), int(w * 0.42), 1.0, -1, cv2.LINE_AA)
    glow = cv2.GaussianBlur(glow, (0, 0), w * 0.08)[..., None]
    light = (np.asarray(top, np.float32) + 255) / 2
    img = img * (1 - 0.45 * glow) + light * 0.45 * glow
    canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    x, y, fw, fh = face_box(size)
    cx = x + fw / 2
    # Hair behind the head, shoulders and outfit, neck, then the face oval on top.
    draw.ellipse((cx - fw * 0.78, y - fh * 0.32, cx + fw * 0.78, y + fh * 1.25), fill=hair)
    draw.ellipse((cx - w * 0.36, y + fh * 1.55, cx + w * 0.36, h * 1.25), fill=outfit)
    draw.rectangle((cx - fw * 0.2, y + fh * 0.8, cx + fw * 0.2, y + fh * 1.7), fill=tuple(int(c * 0.88) for c in SKIN))
    neckline = [(cx - w * 0.13, y + fh * 1.62), (cx, y + fh * 2.2), (cx + w * 0.13, y + fh * 1.62)]
    draw.polygon(neckline, fill=tuple(int(c * 0.9) for c in SKIN))
    draw.ellipse((cx - fw * 0.5, y, cx + fw * 0.5, y + fh), fill=SKIN)
    draw.chord((cx - fw * 0.62, y - fh * 0.28, cx + fw * 0.62, y + fh * 0.42), 180, 360, fill=hair)
    # A necklace in the accent colour.
    draw.arc((cx - w * 0.14, y + fh * 1.35, cx + w * 0.14, y + fh * 2.3), 20, 160, fill=accent, width=max(2, w // 160))
    canvas = canvas.filter(ImageFilter.GaussianBlur(0.8))
    draw = ImageDraw.Draw(canvas)
    # The masthead and two cover lines, like a printed magazine.
    font = ImageFont.load_default(size=int(h * 0.12))
    box = draw.textbbox((0, 0), masthead, font=font)
    draw.text(((w - (box[2] - box[0])) / 2, h * 0.035), masthead, font=font, fill=ink)
    small = ImageFont.load_default(size=int(h * 0.028))
    draw.text((w * 0.06, h * 0.62), "THE COVER\nISSUE", font=small, fill=ink, spacing=6)
    draw.text((w * 0.72, h * 0.62), "No. 01\n2026", font=small, fill=ink, spacing=6)
    rng = np.random.default_rng(len(theme))
    grain = rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(np.asarray(canvas, np.float32) + grain, 0, 255).astype(np.uint8))


def template_bytes(theme: str = "fashion", size: tuple[int, int] = (720, 960), fmt: str = "JPEG") -> bytes:
    """Return an encoded cover template."""
    out = io.BytesIO()
    cover_template(theme, size).save(out, fmt, **({"quality": 86, "optimize": True} if fmt == "JPEG" else {}))
    return out.getvalue()


def main(argv: list[str]) -> int:
    """Write each theme's template as <theme>.jpg into the folder given, and print its face box."""
    out = Path(argv[0] if argv else ".")
    out.mkdir(parents=True, exist_ok=True)
    for theme in THEMES:
        (out / f"{theme}.jpg").write_bytes(template_bytes(theme))
        print(theme, face_box((720, 960)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
