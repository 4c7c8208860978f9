"""Fast array helpers on OpenCV: ramp lookup, alpha blending, and blurs of any size."""

from __future__ import annotations

import cv2
import numpy as np


def shade_index(t: np.ndarray) -> np.ndarray:
    """Turn shading in 0..1 (out-of-range values clipped) into uint8 ramp indices."""
    clipped = cv2.min(cv2.max(np.asarray(t, np.float32), 0.0), 1.0)  # type: ignore[call-overload]  # stub: no scalar
    return (clipped * 255.0 + 0.5).astype(np.uint8)


def lut_map(lut: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Map a shading array through a (256, 3) float ramp to an RGB float array."""
    idx = shade_index(t)
    return cv2.LUT(cv2.merge([idx, idx, idx]), lut.reshape(256, 1, 3).astype(np.float32, copy=False))


def gray3(a: np.ndarray) -> np.ndarray:
    """Repeat a single-channel float array into three channels."""
    return cv2.merge([a, a, a])


def over(band: np.ndarray, color: np.ndarray, alpha: np.ndarray) -> None:
    """Lay ``color`` over ``band`` with coverage ``alpha`` (in place): band += (color - band) * alpha."""
    diff = cv2.subtract(color, band)
    cv2.multiply(diff, gray3(alpha), dst=diff)
    cv2.add(band, diff, dst=band)


def add_light(band: np.ndarray, color: np.ndarray, alpha: np.ndarray) -> None:
    """Add light (``color`` times ``alpha``) onto ``band`` in place, clipped at white."""
    glow = cv2.multiply(color, gray3(alpha))
    cv2.add(band, glow, dst=band)
    np.minimum(band, 1.0, out=band)


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-blur an array; large blurs run on a reduced copy and are scaled back up."""
    if sigma <= 0.3:
        return a
    if sigma < 4.0:
        return cv2.GaussianBlur(a, (0, 0), sigma)
    h, w = a.shape[:2]
    f = min(int(sigma / 2.0), max(1, min(h, w) // 8))
    if f < 2:
        return cv2.GaussianBlur(a, (0, 0), sigma)
    small = cv2.resize(a, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def mist_to(color: np.ndarray, haze: tuple[float, float, float], amount: np.ndarray) -> None:
    """Blend ``color`` towards a flat ``haze`` colour by a per-pixel ``amount`` (in place)."""
    flat = (float(haze[0]), float(haze[1]), float(haze[2]), 0.0)
    diff = cv2.subtract(color, flat)  # type: ignore[call-overload]  # the stub takes no scalar (a 4-tuple) src2
    cv2.multiply(diff, gray3(1.0 - amount), dst=diff)
    cv2.add(diff, flat, dst=color)  # type: ignore[call-overload]  # the stub takes no scalar (a 4-tuple) src2
