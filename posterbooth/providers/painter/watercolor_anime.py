"""The watercolour and anime (cel-shaded) looks."""

from __future__ import annotations

import cv2
import numpy as np

from .color import RGB, saturate_lut
from .fast import blur, over
from .layers import Layer
from .noise import fbm, grid_noise
from .painterly import BIG, GROUND, PAPER, Style, smoothstep
from .water import reflect


class Watercolor(Style):
    """Soft transparent washes with ragged, darkened edges on textured paper."""

    name = "watercolor"
    curve = 0.02
    blotch: np.ndarray
    edge: np.ndarray
    paper: np.ndarray

    @staticmethod
    def textures(rng: np.random.Generator, w: int, h: int, u: float) -> dict[str, np.ndarray]:
        """Make blotch, edge and paper textures."""
        grain = grid_noise(rng, h, w, 1.6 * u) - 0.5
        fibre = grid_noise(rng, h, w, 5 * u, aspect=5.0) - 0.5
        return {
            "blotch": fbm(rng, h, w, 70 * u, octaves=3) - 0.5,
            "edge": fbm(rng, h, w, 9 * u, octaves=3) - 0.5,
            "paper": (1.0 + 0.05 * grain + 0.03 * fibre).astype(np.float32),
        }

    def background(self) -> RGB:
        """Start on warm white paper."""
        return PAPER

    def lut(self, layer: Layer) -> np.ndarray:
        """Thin the pigment: lighter, a touch less saturated."""
        lift = 0.28 if layer.kind == "sky" else 0.12
        lut = saturate_lut(layer.ramp, 0.95)
        return (lut * (1 - lift) + np.asarray(PAPER, np.float32) * lift).astype(np.float32)

    def shade(self, layer: Layer) -> np.ndarray | float:
        """Let pigment pool unevenly and bleed across value changes."""
        if not isinstance(layer.t, np.ndarray):
            return layer.t
        t = layer.t
        band = slice(layer.y0, layer.y1)
        if layer.extra.get("discrete"):
            return t
        t = blur(t, 2.5 * self.unit)
        return t + 0.22 * self.blotch[band]

    def coverage(self, layer: Layer) -> np.ndarray:
        """Roughen the edges of large washes; soften small marks."""
        u = self.unit
        if layer.kind in BIG and layer.kind != "sky":
            soft = blur(layer.alpha, 3.0 * u)
            return np.clip((soft - 0.5 + 0.5 * self.edge[layer.y0:layer.y1]) * 3.0 + 0.5, 0, 1) * layer.alpha.clip(
                0, 1).max(initial=1.0)
        return blur(layer.alpha, 0.8 * u)

    def blend(self, band: np.ndarray, color: np.ndarray, alpha: np.ndarray, layer: Layer) -> None:
        """Glaze: transparent pigment that darkens where washes overlap and pools at edges."""
        if layer.glow or layer.kind == "sky":
            super().blend(band, color, alpha, layer)
            return
        u = self.unit
        ring = np.clip(alpha - blur(alpha, 4.0 * u), 0.0, 1.0) * 1.8
        color = color * (1.0 - 0.32 * ring[..., None])
        glaze = color * (0.8 + 0.2 * band)
        over(band, glaze, alpha * 0.93)

    def water(self, canvas: np.ndarray, layer: Layer) -> np.ndarray:
        """Paint water as a soft blurred reflection."""
        return reflect(canvas, layer, strength=0.7, ripple=0.6, blur=5.0, sparkle=0.6)

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Press the washes into paper grain and let them fade out near the edges."""
        h, w = canvas.shape[:2]
        ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        edge = np.maximum(np.abs(xs), np.abs(ys)) + 0.06 * self.edge
        fade = smoothstep(0.95, 1.04, edge)[..., None] * 0.85
        canvas = canvas * (1 - fade) + np.asarray(PAPER, np.float32) * fade
        canvas = canvas * self.paper[..., None]
        return canvas


class Anime(Style):
    """Flat cel shading, clean dark outlines and a bright saturated palette."""

    name = "anime"
    curve = 0.08

    @staticmethod
    def textures(rng: np.random.Generator, w: int, h: int, u: float) -> dict[str, np.ndarray]:
        """Cel shading needs no textures."""
        return {}

    def lut(self, layer: Layer) -> np.ndarray:
        """Brighten and saturate the colours."""
        if layer.kind == "sky":
            return saturate_lut(layer.ramp, 1.25, 1.02)
        return saturate_lut(layer.ramp, 1.3, 1.04)

    def shade(self, layer: Layer) -> np.ndarray | float:
        """Quantise shading into shadow, mid-tone and highlight cels."""
        if np.isscalar(layer.t) or layer.kind in ("sky", "glow", "stars") or layer.extra.get("discrete"):
            return layer.t
        t = np.asarray(layer.t)
        if layer.kind == "water":
            return t
        if layer.kind in GROUND:
            return blur(t, 4.0 * self.unit)
        if layer.kind in BIG:
            t = blur(t, 7.0 * self.unit)
        return np.where(t < 0.42, 0.22, np.where(t < 0.74, 0.6, 0.93)).astype(np.float32)

    def mist(self, layer: Layer) -> tuple[RGB | None, float]:
        """Band the mist too (done in color())."""
        return layer.haze, layer.mist

    def color(self, layer: Layer) -> np.ndarray:
        """Shade flat, with mist in two crisp steps."""
        if layer.fade is not None and layer.haze is not None and layer.mist > 0:
            saved = layer.fade
            layer.fade = np.where(saved < 0.45, 0.0, np.where(saved < 0.8, 0.45, 0.8)).astype(np.float32)
            try:
                return super().color(layer)
            finally:
                layer.fade = saved
        return super().color(layer)

    def coverage(self, layer: Layer) -> np.ndarray:
        """Keep edges crisp."""
        return layer.alpha

    def water(self, canvas: np.ndarray, layer: Layer) -> np.ndarray:
        """Clear reflection with crisp white glints."""
        col = reflect(canvas, layer, strength=0.65, ripple=0.8, blur=1.0)
        t = np.asarray(layer.t)
        glint = (t > 0.8).astype(np.float32) * 0.5
        return np.clip(col + glint[..., None] * (1 - col), 0, 1)

    def after(self, canvas: np.ndarray, layer: Layer, alpha: np.ndarray) -> None:
        """Ink a clean outline around outlined layers."""
        if not layer.outline:
            return
        width = max(1, int(round((2.6 - 1.8 * layer.depth) * self.unit)))
        kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
        inner = cv2.erode(alpha, kernel)
        line = np.clip((alpha - inner) * 1.3, 0, 1)[..., None] * (0.85 - 0.5 * layer.depth)
        ink = np.asarray(self.lut(layer)[0], np.float32) * 0.35
        band = canvas[layer.y0:layer.y1]
        band *= 1 - line
        band += ink * line

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Add a soft bloom and punchy contrast."""
        bright = np.clip(canvas - 0.72, 0, 1)
        bloom = blur(bright, 10 * self.unit)
        return canvas + bloom * 0.5

