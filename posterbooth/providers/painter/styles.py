"""Rendering styles: how each look shades, edges, blends and finishes the scene layers.

``STYLE_ALIASES`` is the one table of accepted style names (English, Chinese and
the Hunyuan style codes) and the look each one gets.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import cv2
import numpy as np

from .color import RGB, lookup, mix, rgb, saturate_lut
from .fast import add_light, blur, mist_to, over
from .layers import Layer
from .noise import fbm, grid_noise
from .water import reflect

STYLES = ("painterly", "watercolor", "anime", "ink", "3d")

STYLE_ALIASES: dict[str, str] = {
    # default painterly look
    "": "painterly", "default": "painterly", "painterly": "painterly", "painting": "painterly",
    "oil": "painterly", "oil painting": "painterly", "youhua": "painterly", "油画": "painterly",
    "monai": "painterly", "莫奈": "painterly", "impressionist": "painterly", "xieshi": "painterly",
    "写实": "painterly", "realistic": "painterly", "illustration": "painterly", "插画": "painterly",
    # watercolour
    "watercolor": "watercolor", "watercolour": "watercolor", "water color": "watercolor",
    "water colour": "watercolor", "water-color": "watercolor", "aquarelle": "watercolor", "shuicai": "watercolor",
    "水彩": "watercolor", "水彩画": "watercolor", "104": "watercolor", "ertonghuiben": "watercolor",
    "儿童绘本": "watercolor", "picture book": "watercolor", "彩铅": "watercolor",
    # anime / cel
    "anime": "anime", "manga": "anime", "cartoon": "anime", "cel": "anime", "cel-shaded": "anime",
    "ghibli": "anime", "riman": "anime", "dongman": "anime", "manhua": "anime", "bianping": "anime",
    "日漫": "anime", "日漫动画": "anime", "动漫": "anime", "动画": "anime", "漫画": "anime", "二次元": "anime",
    "卡通": "anime", "扁平": "anime", "扁平插画": "anime", "日系动漫": "anime", "201": "anime", "204": "anime",
    "301": "anime", "saibopengke": "anime", "赛博朋克": "anime", "flat": "anime",
    # Chinese ink wash
    "ink": "ink", "ink wash": "ink", "inkwash": "ink", "chinese ink": "ink", "sumi-e": "ink", "sumie": "ink",
    "shuimo": "ink", "水墨": "ink", "水墨画": "ink", "国画": "ink", "guohua": "ink", "中国画": "ink",
    "山水画": "ink", "101": "ink", "heibaimanhua": "ink", "qinghuaci": "ink", "青花瓷": "ink",
    # smooth 3D render
    "3d": "3d", "3d render": "3d", "3d-render": "3d", "3drender": "3d", "render": "3d", "3dxuanran": "3d",
    "3d渲染": "3d", "3D渲染": "3d", "c4d": "3d", "clay": "3d", "粘土": "3d", "pixar": "3d", "116": "3d",
    "110": "3d", "2.5d": "3d", "isometric": "3d", "blender": "3d",
}


def canonical_style(style: str) -> str:
    """Return the look ("painterly", "watercolor", "anime", "ink", "3d") for a style name or alias."""
    key = (style or "").strip().lower().replace("_", " ")
    if key in STYLE_ALIASES:
        return STYLE_ALIASES[key]
    compact = key.replace(" ", "").replace("-", "")
    for alias, look in STYLE_ALIASES.items():
        if alias and alias.replace(" ", "").replace("-", "") == compact:
            return look
    return "painterly"


BIG = {"sky", "mountain", "snowcap", "ground", "bank", "beach", "dune", "field", "cloud", "water"}
GROUND = {"ground", "bank", "beach", "field", "dune"}
PAPER = rgb("#f7f2e6")


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Style:
    """The default painterly look: soft brush strokes, gentle canvas grain and a warm finish."""

    name = "painterly"
    curve = 0.06

    def __init__(self, width: int, height: int, rng: np.random.Generator, scene: object) -> None:
        """Prepare the full-frame textures this look needs."""
        self.w, self.h = width, height
        self.unit = max(width, height) / 1024.0
        self.rng = rng
        self.scene = scene
        for key, value in _textures(type(self), width, height).items():
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
        if np.isscalar(layer.t):
            return layer.t
        t = np.asarray(layer.t)
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
        canvas = _vignette(canvas, 0.16)
        weave = 1.0 + 0.05 * self.fine[..., None] + 0.04 * self.stroke[..., None]
        canvas = canvas * weave
        canvas = canvas * np.asarray((1.02, 1.0, 0.96), np.float32)
        return canvas


class Watercolor(Style):
    """Soft transparent washes with ragged, darkened edges on textured paper."""

    name = "watercolor"
    curve = 0.02

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
        if np.isscalar(layer.t):
            return layer.t
        t = np.asarray(layer.t)
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
        fade = _smoothstep(0.95, 1.04, edge)[..., None] * 0.85
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


class Ink(Style):
    """Chinese ink wash (水墨): ink greys, mist and empty paper, a red seal."""

    name = "ink"
    curve = 0.0
    INK = rgb("#1b1b1d")
    PAPER = rgb("#f4efe2")

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
            night = getattr(self.scene, "spec", None) is not None and self.scene.spec.time == "night"
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
        line = np.clip(alpha - cv2.erode(alpha, kernel), 0, 1)
        line *= np.clip(0.6 + 1.2 * self.dry[layer.y0:layer.y1], 0, 1) * (0.75 - 0.45 * layer.depth)
        band = canvas[layer.y0:layer.y1]
        la = line[..., None]
        band *= 1 - la
        band += np.asarray(self.INK, np.float32) * la

    def finish(self, canvas: np.ndarray) -> np.ndarray:
        """Press into rice paper and stamp a red seal."""
        canvas = canvas * self.paper[..., None]
        _seal(canvas, self.rng, self.unit, getattr(self.scene, "light", 1.0))
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
        return _smoothstep(0.05, 0.95, t)

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
        m = np.float32([[1, 0, dx], [0, 1, dy]])
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
        canvas = _vignette(canvas, 0.2)
        return canvas


STYLE_CLASSES: dict[str, type[Style]] = {
    "painterly": Style, "watercolor": Watercolor, "anime": Anime, "ink": Ink, "3d": Render3D,
}


@lru_cache(maxsize=12)
def _textures(cls: type[Style], w: int, h: int) -> dict[str, np.ndarray]:
    """Return a look's textures for a size, made once from a fixed seed and shared read-only."""
    rng = np.random.default_rng(zlib.crc32(f"{cls.name}:{w}x{h}".encode()))
    made = cls.textures(rng, w, h, max(w, h) / 1024.0)
    for arr in made.values():
        arr.flags.writeable = False
    return made


def _vignette(canvas: np.ndarray, strength: float) -> np.ndarray:
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


def _seal(canvas: np.ndarray, rng: np.random.Generator, unit: float, light: float) -> None:
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
