"""Colours, colour ramps and small colour arithmetic for the painter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

RGB = tuple[float, float, float]


def rgb(value: str | Sequence[float]) -> RGB:
    """Return a colour as three floats in 0..1 from '#rrggbb' or a float triple."""
    if isinstance(value, str):
        text = value.lstrip("#")
        return (int(text[0:2], 16) / 255.0, int(text[2:4], 16) / 255.0, int(text[4:6], 16) / 255.0)
    r, g, b = value
    return (float(r), float(g), float(b))


def mix(a: str | Sequence[float], b: str | Sequence[float], amount: float) -> RGB:
    """Blend colour ``a`` towards ``b`` by ``amount`` (0 keeps a, 1 gives b)."""
    ca, cb = rgb(a), rgb(b)
    return tuple(x + (y - x) * amount for x, y in zip(ca, cb, strict=True))  # type: ignore[return-value]


def scale(color: str | Sequence[float], factor: float) -> RGB:
    """Darken (factor < 1) or brighten (factor > 1) a colour, clipped to 0..1."""
    return tuple(min(1.0, max(0.0, x * factor)) for x in rgb(color))  # type: ignore[return-value]


def luminance(color: str | Sequence[float]) -> float:
    """Return the perceived brightness of a colour (Rec. 709 weights)."""
    r, g, b = rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def saturate(color: str | Sequence[float], factor: float) -> RGB:
    """Push a colour away from (factor > 1) or towards (factor < 1) its grey."""
    c = rgb(color)
    lum = luminance(c)
    return tuple(min(1.0, max(0.0, lum + (x - lum) * factor)) for x in c)  # type: ignore[return-value]


Stop = tuple[float, str | Sequence[float]]


def ramp(stops: Sequence[Stop] | Sequence[str | Sequence[float]]) -> np.ndarray:
    """Build a 256-entry RGB lookup table from colour stops (evenly spaced if given bare colours)."""
    items = list(stops)
    if items and not (isinstance(items[0], tuple) and len(items[0]) == 2 and isinstance(items[0][0], float)):
        count = len(items)
        colours = cast("list[str | Sequence[float]]", items)
        pairs: list[Stop] = [(i / max(1, count - 1), c) for i, c in enumerate(colours)]
    else:
        pairs = cast("list[Stop]", items)
    positions = np.array([float(p) for p, _ in pairs], dtype=np.float32)
    colors = np.array([rgb(c) for _, c in pairs], dtype=np.float32)
    xs = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    lut = np.empty((256, 3), dtype=np.float32)
    for ch in range(3):
        lut[:, ch] = np.interp(xs, positions, colors[:, ch])
    return lut


def lookup(lut: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Map shade values in 0..1 through a 256-entry lookup table to RGB."""
    if np.isscalar(t):
        return lut[int(min(255, max(0, round(float(cast(float, t)) * 255))))]
    from .fast import lut_map

    return lut_map(lut, np.asarray(t, np.float32))


def saturate_lut(lut: np.ndarray, factor: float, gain: float = 1.0) -> np.ndarray:
    """Return a lookup table with its saturation scaled and brightness multiplied by ``gain``."""
    lum = lut @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    out = lum[:, None] + (lut - lum[:, None]) * factor
    return np.clip(out * gain, 0.0, 1.0).astype(np.float32)
