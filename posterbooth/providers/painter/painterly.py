"""The default painterly look (:class:`Style`) and the helpers every look shares."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import lru_cache

import cv2
import numpy as np

from .color import RGB, lookup, mix, rgb
from .fast import add_light, blur, mist_to, over
from .layers import Layer
from .noise import fbm, grid_noise
from .water import reflect

BIG = {"sky", "mountain", "snowcap", "ground", "bank", "beach", "dune", "field", "cloud", "water"}
GROUND = {"ground", "bank", "beach", "field", "dune"}
PAPER = rgb("#f7f2e6")


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Style:
    """The default painterly look: soft brush strokes, gentle canvas grain and a warm finish."""

    name = "painterly"
    curve = 0.06
    # Full-frame textures, set from textures() in __init__.
    stroke: np.ndarray
    fine: np.ndarray

    def __init__(self, width: int, height: int, rng: np.random.Generator, scene: object) -> None:
        """Prepare the full-frame textures this look needs."""
        self.w, self.h = width, height
        self.unit = max(width, height) / 1024.0
        self.rng = rng
        self.scene = scene
        for key, value in look_textures(self.name, type(self).textures, width, height).items():
            setattr(self, key, value)

    @staticmethod
    def textures(rng: np.random.Generator, w: int, h: int, u: float) -> dict[str, np.ndarray]:
        """Make this look's full-frame textures (the same for every picture of a size)."""
        return {
            "stroke": fbm(rng, h, w, 22 * u, octaves=2, aspect=3.5) - 0.5,
            "fine": grid_noise(rng, h, w, 4 * u, aspect=3.0) - 0.5,
        }

    def background(self) -> RGB:
        """Return the colour the canvas starts with."""
        return rgb("#ffffff")

    def skip(self, layer: Layer) -> bool:
        """Tell whether this look leaves a layer out."""
        return False

    def lut(self, layer: Layer) -> np.ndarray:
        """Return the colour ramp to use for a layer."""
        return layer.ramp

    def shade(self, layer: Layer) -> np.ndarray | float:
        """Return the shading of a layer as this look sees it."""
        if not isinstance(layer.t, np.ndarray):
            return layer.t
        t = layer.t
        band = slice(layer.y0, layer.y1)
        amount = 0.02 if layer.extra.get("discrete") else (0.05 if layer.kind == "sky" else 0.14)
        return t + amount * (self.stroke[band] + 0.4 * self.fine[band])

    def coverage(self, layer: Layer) -> np.ndarray:
        """Return the coverage of a layer with this look's edges."""
        if layer.kind in BIG and layer.kind != "sky":
            a = blur(layer.alpha, 0.9 * self.unit)
            return np.clip(a + 0.3 * self.fine[layer.y0:layer.y1] * (a * (1 - a)) * 4, 0, 1)
        return layer.alpha

    def mist(self, layer: Layer) -> tuple[RGB | None, float]:
        """Return the mist colour and strength for a layer."""
        return layer.haze, layer.mist

    def color(self, layer: Layer) -> np.ndarray:
        """Return the RGB colour of a layer (shaded, misted)."""
        t = self.shade(layer)
        col = lookup(self.lut(layer), t)
        if np.isscalar(t) or col.ndim == 1:
            col = np.broadcast_to(col, layer.alpha.shape + (3,)).astype(np.float32)
        haze, amount = self.mist(layer)
        if layer.fade is not None and haze is not None and amount > 0:
            fade = np.asarray(layer.fade, np.float32)
            mist_to(col, haze, fade * np.sqrt(fade) * amount)
        return col

    def water(self, canvas: np.ndarray, layer: Layer) -> np.ndarray:
        """Return the colour of a water layer."""
        return reflect(canvas, layer, strength=0.8, ripple=1.0, blur=2.0)

    def blend(self, band: np.ndarray, color: np.ndarray, alpha: np.ndarray, layer: Layer) -> None:
        """Lay a layer's colour over the canvas band (in place)."""
        if layer.glow:
            add_light(band, color, alpha)
        else:
            over(band, color, alpha)

    def before(self, canvas: np.ndarray, layer: Layer, alpha: np.ndarray) -> None:
        """Prepare the canvas before a layer is laid (e.g. cast shadows)."""

    def after(self, canvas: np.ndarray, layer: Layer, alpha: np.ndarray) -> None:
        """Add finishing strokes after a layer is laid (e.g. outlines)."""

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Return the finished picture: dabbed paint, brush grain, warm grading and vignette."""
        canvas = cv2.medianBlur(np.clip(canvas, 0, 1).astype(np.float32), 5)
        canvas = vignette(canvas, 0.16)
        weave = 1.0 + 0.05 * self.fine[..., None] + 0.04 * self.stroke[..., None]
        canvas = canvas * weave
        canvas = canvas * np.asarray((1.02, 1.0, 0.96), np.float32)
        return canvas



TextureMaker = Callable[[np.random.Generator, int, int, float], dict[str, np.ndarray]]


@lru_cache(maxsize=12)
def look_textures(name: str, make: TextureMaker, w: int, h: int) -> dict[str, np.ndarray]:
    """Return a look's textures for a size, made once from a fixed seed and shared read-only."""
    rng = np.random.default_rng(zlib.crc32(f"{name}:{w}x{h}".encode()))
    made = make(rng, w, h, max(w, h) / 1024.0)
    for arr in made.values():
        arr.flags.writeable = False
    return made


def vignette(canvas: np.ndarray, strength: float) -> np.ndarray:
    h, w = canvas.shape[:2]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    v = 1.0 - strength * np.clip(xs * xs * 0.6 + ys * ys * 0.8 - 0.25, 0, 1)
    return canvas * v[..., None]


def curve_table(amount: float) -> np.ndarray:
    """Return a 256-entry uint8 S-curve (contrast) table for the final 8-bit picture."""
    xs = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    ys = np.clip(xs + amount * (xs - 0.5) * (1 - np.abs(2 * xs - 1)) * 2, 0, 1)
    return (ys * 255.0 + 0.5).astype(np.uint8)


def stamp_seal(canvas: np.ndarray, rng: np.random.Generator, unit: float, light: float) -> None:
    """Stamp a small red square seal with two carved characters near a bottom corner."""
    from .seal import seal_mask

    h, w = canvas.shape[:2]
    size = int(64 * unit)
    mask = seal_mask(size, rng)
    x0 = int(w - size - 46 * unit) if light > 0 else int(46 * unit)
    y0 = int(h - size - 60 * unit)
    if x0 < 0 or y0 < 0:
        return
    red = np.asarray(mix("#b8322a", "#d04a34", 0.3), np.float32)
    region = canvas[y0:y0 + size, x0:x0 + size]
    a = mask[..., None] * 0.88
    region *= 1 - a
    region += red * a
