"""Cheap deterministic noise fields built by upscaling random grids."""

from __future__ import annotations

import cv2
import numpy as np


def grid_noise(rng: np.random.Generator, height: int, width: int, cell: float,
               aspect: float = 1.0) -> np.ndarray:
    """Return smooth value noise in 0..1 with features about ``cell`` px wide (``aspect`` stretches x)."""
    cell_x = max(2.0, cell * aspect)
    cell_y = max(2.0, cell)
    gw = int(width / cell_x) + 3
    gh = int(height / cell_y) + 3
    grid = rng.random((gh, gw), dtype=np.float32)
    size = (int(gw * cell_x), int(gh * cell_y))
    step = 6.0
    if cell_x > 2 * step and cell_y > 2 * step:
        mid = cv2.resize(grid, (int(gw * step), int(gh * step)), interpolation=cv2.INTER_CUBIC)
        big = cv2.resize(mid, size, interpolation=cv2.INTER_LINEAR)
    else:
        big = cv2.resize(grid, size, interpolation=cv2.INTER_CUBIC)
    oy = int(cell_y)
    ox = int(cell_x)
    return np.clip(big[oy:oy + height, ox:ox + width], 0.0, 1.0)


def fbm(rng: np.random.Generator, height: int, width: int, cell: float, octaves: int = 3,
        aspect: float = 1.0, gain: float = 0.5) -> np.ndarray:
    """Return fractal noise in 0..1: octaves of grid noise, each half the size of the last."""
    finest = min(cell, cell * aspect) / (2 ** (octaves - 1))
    f = max(1, min(16, int(finest / 4.0)))
    if f > 1:
        small = fbm(rng, height // f + 2, width // f + 2, cell / f, octaves, aspect, gain)
        return cv2.resize(small, ((width // f + 2) * f, (height // f + 2) * f),
                          interpolation=cv2.INTER_LINEAR)[:height, :width]
    total = np.zeros((height, width), dtype=np.float32)
    amp = 1.0
    norm = 0.0
    for _ in range(octaves):
        total += amp * grid_noise(rng, height, width, cell, aspect)
        norm += amp
        amp *= gain
        cell = max(2.0, cell / 2.0)
    total /= norm
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / max(1e-6, hi - lo)


def noise1d(rng: np.random.Generator, length: int, cell: float, octaves: int = 4, gain: float = 0.5,
            ridged: bool = False) -> np.ndarray:
    """Return a 1-D fractal noise line of ``length`` samples in roughly -1..1."""
    total = np.zeros(length, dtype=np.float32)
    amp = 1.0
    norm = 0.0
    for _ in range(octaves):
        c = max(2.0, cell)
        n = int(length / c) + 4
        pts = rng.random((1, n), dtype=np.float32) * 2.0 - 1.0
        line = cv2.resize(pts, (int(n * c), 1), interpolation=cv2.INTER_CUBIC)[0]
        seg = line[int(c):int(c) + length]
        if ridged:
            seg = 1.0 - 2.0 * np.abs(seg)
        total += amp * seg
        norm += amp
        amp *= gain
        cell /= 2.0
    return total / norm


def smooth1d(values: np.ndarray, radius: int) -> np.ndarray:
    """Return a 1-D array blurred with a box of ``2*radius+1`` samples (edges extended)."""
    if radius < 1:
        return values.astype(np.float32)
    k = 2 * radius + 1
    return cv2.blur(values.astype(np.float32).reshape(1, -1), (k, 1), borderType=cv2.BORDER_REPLICATE)[0]
