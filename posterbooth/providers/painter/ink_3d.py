"""The Chinese ink wash (水墨) and smooth 3D render looks."""

from __future__ import annotations

import cv2
import numpy as np

from .color import RGB, rgb, saturate_lut
from .fast import blur
from .layers import Layer
from .noise import fbm, grid_noise
from .painterly import BIG, GROUND, Style, smoothstep, stamp_seal, vignette
from .water import reflect


class Ink(Style):
    """Chinese ink wash (水墨): ink greys, mist and empty paper, a red seal."""

    name = "ink"
    curve = 0.0
    INK = rgb("#1b1b1d")
    PAPER = rgb("#f4efe2")
    dry: np.ndarray
    edge: np.ndarray
    paper: np.ndarray

    @staticmethod
    def textures(rng: np.random.Generator, w: int, h: int, u: float) -> dict[str, np.ndarray]:
        """Make paper fibres and dry-brush textures."""
        fibre = grid_noise(rng, h, w, 3 * u, aspect=6.0) - 0.5
        grain = grid_noise(rng, h, w, 1.5 * u) - 0.5
        return {
            "dry": fbm(rng, h, w, 14 * u, octaves=3, aspect=0.35) - 0.5,
            "edge": fbm(rng, h, w, 7 * u, octaves=2) - 0.5,
            "paper": (1.0 + 0.035 * fibre + 0.03 * grain).astype(np.float32),
        }

    def background(self) -> RGB:
        """Start on rice paper."""
        return self.PAPER

    def skip(self, layer: Layer) -> bool:
        """Leave out stars, glows and clouds: the paper is the sky."""
        return layer.kind in ("stars", "glow", "cloud", "neon")

    def lut(self, layer: Layer) -> np.ndarray:
        """Turn colours into ink greys (keep soft colour accents for sun, flowers, blossoms)."""
        paper = np.asarray(self.PAPER, np.float32)
        ink = np.asarray(self.INK, np.float32)
        lum = layer.ramp @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        if layer.kind == "sky":
            spec = getattr(self.scene, "spec", None)
            night = spec is not None and spec.time == "night"
            density = (0.42 - 0.32 * np.linspace(0, 1, 256, dtype=np.float32)) if night else (
                0.06 * np.linspace(0, 1, 256, dtype=np.float32))
            return (paper * (1 - density[:, None]) + ink * density[:, None]).astype(np.float32)
        if layer.kind == "sun":
            return np.tile(np.asarray(rgb("#c8402c"), np.float32), (256, 1))
        if layer.kind == "moon":
            return np.tile(np.asarray(rgb("#fbf8ef"), np.float32), (256, 1))
        if layer.accent:
            soft = saturate_lut(layer.ramp, 0.75)
            return (soft * 0.8 + paper * 0.2).astype(np.float32)
        strength = 1.0 - 0.5 * layer.depth
        density = np.clip((1.0 - lum) * 1.6, 0, 1) ** 0.8 * strength
        if layer.kind in ("snowcap", "snowfall", "foam"):
            density = density * 0.15
        elif layer.kind in ("ground", "bank", "beach", "field", "dune", "wet", "shallows"):
            density = density * 0.35
        elif layer.kind == "grass":
            density = density * 0.6
        return (paper * (1 - density[:, None]) + ink * density[:, None]).astype(np.float32)

    def shade(self, layer: Layer) -> np.ndarray | float:
        """Add dry-brush texture strokes (softly on the ground)."""
        if np.isscalar(layer.t) or layer.kind == "sky" or layer.extra.get("discrete"):
            return layer.t
        band = slice(layer.y0, layer.y1)
        if layer.kind in GROUND:
            return blur(np.asarray(layer.t), 6 * self.unit)
        return np.asarray(layer.t) + 0.3 * self.dry[band]

    def mist(self, layer: Layer) -> tuple[RGB | None, float]:
        """Dissolve the foot of every form into empty paper."""
        if layer.fade is None:
            return None, 0.0
        amount = 0.92 if layer.kind in ("mountain", "snowcap") else 0.6
        return self.PAPER, max(layer.mist, amount)

    def coverage(self, layer: Layer) -> np.ndarray:
        """Let the ink bleed a little into the paper at the edges."""
        u = self.unit
        if layer.kind in BIG and layer.kind != "sky":
            soft = blur(layer.alpha, 2.0 * u)
            return np.clip((soft - 0.5 + 0.35 * self.edge[layer.y0:layer.y1]) * 2.5 + 0.5, 0, 1)
        return blur(layer.alpha, 0.7 * u)

    def water(self, canvas: np.ndarray, layer: Layer) -> np.ndarray:
        """Leave water as paper with a faint reflection and a few light strokes."""
        paper = np.asarray(self.PAPER, np.float32)
        wash = (self.lut(layer) * 0.3 + paper * 0.7).astype(np.float32)
        col = reflect(canvas, layer, strength=0.45, ripple=0.7, blur=6.0, sparkle=0.0, lut=wash)
        t = np.asarray(layer.t)
        col = col * 0.6 + paper * 0.4
        strokes = np.clip((t - 0.78) * 5, 0, 1)[..., None] * 0.25
        return col * (1 - strokes) + np.asarray(self.INK, np.float32) * strokes

    def after(self, canvas: np.ndarray, layer: Layer, alpha: np.ndarray) -> None:
        """Trace the crest of ridges and trees with a darker brush line."""
        if not layer.outline or layer.accent or layer.kind in ("sun", "moon"):
            return
        width = max(1, int(round(1.6 * self.unit)))
        kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
        line: np.ndarray = np.clip(alpha - cv2.erode(alpha, kernel), 0, 1)
        line *= np.clip(0.6 + 1.2 * self.dry[layer.y0:layer.y1], 0, 1) * (0.75 - 0.45 * layer.depth)
        band = canvas[layer.y0:layer.y1]
        la = line[..., None]
        band *= 1 - la
        band += np.asarray(self.INK, np.float32) * la

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Press into rice paper and stamp a red seal."""
        canvas = canvas * self.paper[..., None]
        stamp_seal(canvas, self.rng, self.unit, getattr(self.scene, "light", 1.0))
        return canvas


class Render3D(Style):
    """Smooth shaded forms with soft shadows, glossy highlights and bloom."""

    name = "3d"
    curve = 0.1

    @staticmethod
    def textures(rng: np.random.Generator, w: int, h: int, u: float) -> dict[str, np.ndarray]:
        """Smooth rendering needs no textures."""
        return {}

    def lut(self, layer: Layer) -> np.ndarray:
        """Slightly richer colours."""
        return saturate_lut(layer.ramp, 1.1)

    def coverage(self, layer: Layer) -> np.ndarray:
        """Keep clean anti-aliased edges."""
        return layer.alpha

    def shade(self, layer: Layer) -> np.ndarray | float:
        """Smooth the shading and push its contrast like studio light."""
        if np.isscalar(layer.t) or layer.kind in ("sky", "glow", "stars") or layer.extra.get("discrete"):
            return layer.t
        t = blur(np.asarray(layer.t), 4.0 * self.unit)
        return smoothstep(0.05, 0.95, t)

    def color(self, layer: Layer) -> np.ndarray:
        """Add ambient occlusion at the foot of forms and glossy highlights."""
        col = super().color(layer)
        if layer.kind in ("sky", "glow", "stars", "sun", "moon", "snowfall"):
            return col
        t = self.shade(layer)
        if not np.isscalar(t) and not layer.extra.get("discrete"):
            spec = np.clip(np.asarray(t) - 0.8, 0, 1) ** 2 * 5.0
            col = col + spec[..., None] * 0.6
        if layer.fade is not None:
            col = col * (1.0 - 0.22 * layer.fade ** 1.5)[..., None]
        if layer.kind not in ("water", "cloud", "foam", "wet", "shallows", "neon"):
            col = col * (1.0 + 0.32 * self._bevel(layer))[..., None]
        return col

    def _bevel(self, layer: Layer) -> np.ndarray:
        """Return -1..1 edge lighting that makes flat shapes look rounded and lit from the sun's side."""
        radius = (9.0 if layer.kind in BIG else 3.0) * self.unit
        soft = blur(layer.alpha, radius)
        gx = cv2.Sobel(soft, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(soft, cv2.CV_32F, 0, 1, ksize=3)
        light = float(getattr(self.scene, "light", 1.0))
        return np.clip((gx * light + gy) * radius * 0.9, -1.0, 1.0)

    def before(self, canvas: np.ndarray, layer: Layer, alpha: np.ndarray) -> None:
        """Soften the far background once (depth of field) and cast soft drop shadows."""
        if not getattr(self, "_focus", False) and layer.depth < 0.55 and layer.kind not in ("glow", "stars"):
            self._focus = True
            canvas[:] = blur(canvas, 1.6 * self.unit)
        if not layer.shadow:
            return
        u = self.unit
        light = float(getattr(self.scene, "light", 1.0))
        dx = int(round(9 * u * light))
        dy = int(round(6 * u))
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        h, w = alpha.shape
        moved = cv2.warpAffine(alpha, m, (w, h))
        shadow = blur(moved, 5 * u) * 0.4
        band = canvas[layer.y0:layer.y1]
        band *= (1 - shadow)[..., None]

    def water(self, canvas: np.ndarray, layer: Layer) -> np.ndarray:
        """Glossy water with a clear reflection."""
        return reflect(canvas, layer, strength=0.85, ripple=0.6, blur=1.5, sparkle=1.3)

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Bloom the highlights and add a lens vignette."""
        bright = np.clip(canvas - 0.7, 0, 1)
        bloom = blur(bright, 16 * self.unit)
        canvas = canvas + bloom * 0.6
        canvas = vignette(canvas, 0.2)
        return canvas

