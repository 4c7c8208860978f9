"""Array helpers shared by the photo effects: conversions, sizing, seeded noise and paper."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
from PIL import Image


def rng_for(*parts: object) -> np.random.Generator:
    """Return a random generator seeded from the given parts (same parts, same numbers)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def to_rgb(image: Image.Image, backdrop: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Return an image as an RGB uint8 array, laying any transparency over ``backdrop``."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*backdrop, 255))
        base.alpha_composite(rgba)
        return np.asarray(base.convert("RGB")).copy()
    return np.asarray(image.convert("RGB")).copy()


def fit_size(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """Return (width, height) scaled to fit inside ``box``, keeping the aspect ratio."""
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an array to (width, height) with the right filter for shrinking or enlarging."""
    h, w = array.shape[:2]
    if (w, h) == tuple(size):
        return array
    shrinking = size[0] * size[1] < w * h
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def limit_side(array: np.ndarray, side: int) -> np.ndarray:
    """Shrink an array so its longer side is at most ``side`` (never enlarge)."""
    h, w = array.shape[:2]
    if max(h, w) <= side:
        return array
    return resize(array, fit_size(w, h, (side, side)))


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Return smooth value noise in 0..1 with features about ``cell`` px wide."""
    gh, gw = int(height / cell) + 3, int(width / cell) + 3
    grid = rng.random((gh, gw), dtype=np.float32)
    big = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    off = int(cell)
    return np.clip(big[off:off + height, off:off + width], 0.0, 1.0)


def fractal_noise(rng: np.random.Generator, height: int, width: int, cell: float, octaves: int = 3) -> np.ndarray:
    """Return fractal noise in 0..1: octaves of smooth noise, each half the size of the last."""
    total = np.zeros((height, width), np.float32)
    amp, norm = 1.0, 0.0
    for _ in range(octaves):
        total += amp * smooth_noise(rng, height, width, max(2.0, cell))
        norm += amp
        amp *= 0.5
        cell /= 2.0
    total /= norm
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / max(1e-6, hi - lo)


def paper(rng: np.random.Generator, height: int, width: int, tint: tuple[int, int, int],
          grain: float = 0.06, fibres: float = 0.0) -> np.ndarray:
    """Return a float RGB (0..1) sheet of paper: a tint, fine grain, soft blotches and optional fibres."""
    fine: np.ndarray = rng.random((height, width), dtype=np.float32)
    fine = cv2.GaussianBlur(fine, (0, 0), 0.8)
    blotch = smooth_noise(rng, height, width, max(8.0, min(height, width) / 6))
    shade = 1.0 - grain * (fine - 0.5) * 2.0 - 0.03 * (blotch - 0.5)
    if fibres > 0:
        streaks: np.ndarray = rng.random((height, max(1, width // 3)), dtype=np.float32)
        streaks = cv2.resize(streaks, (width, height), interpolation=cv2.INTER_LINEAR)
        streaks = cv2.GaussianBlur(streaks, (0, 0), sigmaX=3.0, sigmaY=0.6)
        shade -= fibres * np.clip(streaks - 0.55, 0, 1)
    base = np.asarray(tint, np.float32) / 255.0
    return np.clip(shade[..., None] * base[None, None, :], 0.0, 1.0)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Return Hermite smoothstep of x between two edges (0 below, 1 above)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """Return a 0..1 float mask with its edge softened over about ``radius`` pixels."""
    m = mask.astype(np.float32)
    if m.max() > 1.0:
        m /= 255.0
    if radius <= 0.3:
        return m
    return cv2.GaussianBlur(m, (0, 0), radius)
