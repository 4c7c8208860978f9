"""The red artist's seal stamped on ink paintings."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

SEAL_WORDS = ("山水", "清欢", "自在", "如意", "逍遥", "长乐")


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for name in ("NotoSerifCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf", "NotoSansCJKsc-Regular.otf"):
            path = Path(root) / "fonts" / name
            if path.exists():
                return str(path)
    return None


def seal_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """Return a size×size coverage mask of a worn square seal with carved (white) characters."""
    scale = 4
    big = size * scale
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    pad = big // 14
    draw.rounded_rectangle((pad, pad, big - pad, big - pad), radius=big // 12, fill=255)
    word = SEAL_WORDS[int(rng.random() * len(SEAL_WORDS))]
    path = _font_path()
    if path is not None:
        font = ImageFont.truetype(path, int(big * 0.36))
        cell = (big - 2 * pad) / 2
        for i, ch in enumerate(word):  # read right to left, as seals are
            x = big - pad - cell * (i + 1) + cell * 0.5
            draw.text((x, big / 2), ch, font=font, fill=0, anchor="mm")
    else:
        for k in range(3):
            y = pad * 3 + k * (big - 6 * pad) / 2
            draw.line((pad * 3, y, big - pad * 3, y), fill=0, width=big // 16)
    mask: np.ndarray = np.asarray(img, np.float32) / 255.0
    mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)
    wear = cv2.resize(rng.random((size // 4 + 2, size // 4 + 2), dtype=np.float32), (size, size),
                      interpolation=cv2.INTER_CUBIC)
    return np.clip(mask * np.clip(0.7 + wear * 0.6, 0, 1), 0, 1)
