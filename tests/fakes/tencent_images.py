"""Images the fake Tencent Cloud answers with: small gradient PNGs (with the AI mark) and animated GIFs."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path


def gif_bytes(side: int, seed: str) -> bytes:
    """Return a small animated GIF: two frames of a gradient (the fake's meme result)."""
    from PIL import Image

    frames = []
    for i in range(2):
        data = gradient_png(side, side, seed=f"{seed}-{i}", mark=False)
        frames.append(Image.open(io.BytesIO(data)).convert("P", palette=Image.Palette.ADAPTIVE))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return out.getvalue()


_FONT_PATH: str | None = None
try:  # the CJK font carried by mplfonts, for the "图片由 AI 生成" mark
    import mplfonts

    _candidate = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    _FONT_PATH = str(_candidate) if _candidate.exists() else None
except ImportError:  # pragma: no cover - the mark falls back to Pillow's font
    pass


def gradient_png(width: int, height: int, seed: str, mark: bool = True) -> bytes:
    """Return a small PNG: a soft two-colour gradient with a glow, and optionally the AI mark."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue_a = digest[0] / 255.0
    hue_b = (hue_a + 0.07 + digest[1] / 255.0 * 0.12) % 1.0

    def hsv(h: float, s: float, v: float) -> np.ndarray:
        i = int(h * 6) % 6
        f = h * 6 - int(h * 6)
        p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
        rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
        return np.array(rgb, dtype=np.float32) * 255

    top, bottom = hsv(hue_a, 0.50, 0.97), hsv(hue_b, 0.72, 0.66)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    t = np.clip((ys / max(height - 1, 1)) * 0.75 + (xs / max(width - 1, 1)) * 0.25, 0, 1)[..., None]
    img = top * (1 - t) + bottom * t
    cx, cy = width * (0.3 + digest[2] / 255 * 0.4), height * (0.25 + digest[3] / 255 * 0.3)
    r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / (0.45 * max(width, height))
    glow = np.clip(1 - r, 0, 1)[..., None] ** 2
    img = img * (1 - 0.55 * glow) + 255 * 0.55 * glow
    image = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    if mark:
        draw = ImageDraw.Draw(image, "RGBA")
        size = max(10, round((width * height) ** 0.5 / 26))
        font = ImageFont.truetype(_FONT_PATH, size) if _FONT_PATH else ImageFont.load_default()
        text = "图片由 AI 生成" if _FONT_PATH else "AI generated"
        left, top_, right, bottom_ = draw.textbbox((0, 0), text, font=font)
        pad = size // 2
        x = width - (right - left) - 2 * pad - size // 2
        y = height - (bottom_ - top_) - 2 * pad - size // 2
        draw.rounded_rectangle(
            (x, y, x + (right - left) + 2 * pad, y + (bottom_ - top_) + 2 * pad),
            radius=pad,
            fill=(0, 0, 0, 90),
        )
        draw.text((x + pad - left, y + pad - top_), text, font=font, fill=(255, 255, 255, 230))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def finished_png(action: str, source: bytes, ratio: str, seed: str, mark: bool) -> bytes:
    """Return ImageOutpainting's result (the source centred on a gradient of ``ratio``) or RefineImage's (2048 px)."""
    from PIL import Image

    with Image.open(io.BytesIO(source)) as opened:
        image = opened.convert("RGB")
    w, h = image.size
    if action == "RefineImage":
        scale = 2048 / max(w, h)
        out_image = image.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
    else:
        rw, rh = (int(v) for v in ratio.split(":"))
        size = (round(h * rw / rh), h) if w / h < rw / rh else (w, round(w * rh / rw))
        out_image = Image.open(io.BytesIO(gradient_png(*size, seed=seed, mark=mark))).convert("RGB")
        out_image.paste(image, ((size[0] - w) // 2, (size[1] - h) // 2))
    out = io.BytesIO()
    out_image.save(out, "PNG", compress_level=1)
    return out.getvalue()
