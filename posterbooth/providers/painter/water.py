"""Water: a surface with perspective ripples that reflects what stands above it."""

from __future__ import annotations

import cv2
import numpy as np

from .color import RGB, lookup
from .layers import Layer
from .noise import grid_noise


def ripple_field(rng: np.random.Generator, w: int, y0: int, y1: int, horizon: float, unit: float) -> np.ndarray:
    """Return ripple shading (0..1) for rows y0..y1, squeezed by perspective towards the horizon."""
    tex_h, tex_w = 256, 1024
    tex = 0.65 * grid_noise(rng, tex_h, tex_w, 6.0, aspect=9.0) + 0.35 * grid_noise(rng, tex_h, tex_w, 2.5,
                                                                                      aspect=6.0)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dz = ys - horizon + 3.0 * unit
    map_y = (105000.0 * unit / dz) % tex_h
    map_x = ((xs - w / 2.0) * 250.0 / dz + 512.0) % tex_w
    map_x = np.broadcast_to(map_x, (y1 - y0, w)).astype(np.float32)
    map_y = np.broadcast_to(map_y, (y1 - y0, w)).astype(np.float32)
    t = cv2.remap(tex.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    calm_far = np.clip(dz / (120.0 * unit) + 0.15, 0.0, 1.0)
    return (0.5 + (t - 0.5) * calm_far).astype(np.float32)


def water_layer(rng: np.random.Generator, w: int, h: int, horizon: float, alpha: np.ndarray, y0: int,
                lut: np.ndarray, *, sun_x: float, sun_color: RGB, calm: float, glitter: float) -> Layer:
    """Return a water layer over rows y0.. (alpha is its coverage); it reflects the canvas when drawn."""
    unit = max(w, h) / 1024.0
    y1 = y0 + alpha.shape[0]
    t = ripple_field(rng, w, y0, y1, horizon, unit)
    return Layer(kind="water", y0=y0, y1=y1, alpha=alpha.astype(np.float32), t=t, ramp=lut, depth=0.4,
                 extra={"horizon": horizon, "sun_x": sun_x, "sun_color": sun_color, "calm": calm,
                        "glitter": glitter})


def reflect(canvas: np.ndarray, layer: Layer, *, strength: float = 0.8, ripple: float = 1.0,
            blur: float = 2.0, sparkle: float = 1.0, shade: np.ndarray | None = None,
            lut: np.ndarray | None = None) -> np.ndarray:
    """Return the colour of a water layer: the mirrored canvas mixed with the water colour."""
    h, w = canvas.shape[:2]
    unit = max(w, h) / 1024.0
    y0, y1 = layer.y0, layer.y1
    horizon = float(layer.extra["horizon"])
    calm = float(layer.extra["calm"])
    t = np.asarray(layer.t if shade is None else shade, dtype=np.float32)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dist = np.clip((ys - horizon) / max(1.0, h - horizon), 0.0, 1.0)
    amp = ripple * (1.0 - calm * 0.8) * (2.0 + 22.0 * dist) * unit
    map_x = (xs + (t - 0.5) * amp).astype(np.float32)
    map_y = np.broadcast_to(np.clip(2.0 * horizon - ys + (t - 0.5) * amp * 0.4, 0, h - 1),
                            (y1 - y0, w)).astype(np.float32)
    mirrored = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if blur > 0:
        k = max(1, int(blur * unit)) * 2 + 1
        mirrored = cv2.blur(mirrored, (max(1, k // 3), k))
    base = lookup(layer.ramp if lut is None else lut, t)
    fres = strength * (0.55 + 0.45 * calm) * (1.0 - 0.5 * dist)[..., None]
    color = mirrored * fres * 0.92 + base * (1.0 - fres)
    glitter = float(layer.extra["glitter"]) * sparkle
    if glitter > 0:
        sun_x = float(layer.extra["sun_x"])
        spread = (0.03 + 0.16 * dist) * w
        column = np.exp(-((xs - sun_x) / spread) ** 2)
        flecks = np.clip((t - 0.62) * 4.0, 0.0, 1.0) * column * glitter
        color = color + flecks[..., None] * np.asarray(layer.extra["sun_color"], np.float32)
    highlight = np.clip((t - 0.8) * 3.0, 0, 1) * 0.12 * (1 - calm)
    color = color + highlight[..., None]
    return np.clip(color, 0.0, 1.0)
