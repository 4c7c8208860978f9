"""Sky elements: gradient, sun or moon with glow, stars, clouds and falling snow."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .color import mix, ramp, scale
from .fast import blur
from .layers import Layer, Sketch
from .noise import fbm
from .palettes import Palette


def sky_layer(rng: np.random.Generator, w: int, h: int, horizon: float, pal: Palette,
              sun: tuple[float, float]) -> Layer:
    """Paint the sky gradient, brighter around the sun, down to the bottom of the frame."""
    f = 4
    sh, sw = h // f + 1, w // f + 1
    ys = np.arange(sh, dtype=np.float32)[:, None] * f
    xs = np.arange(sw, dtype=np.float32)[None, :] * f
    t = np.clip(ys / max(1.0, horizon), 0.0, 1.0) ** 1.15
    sx, sy = sun
    d = np.sqrt((xs - sx) ** 2 + ((ys - sy) * 1.6) ** 2) / max(w, h)
    lift = 0.18 * np.exp(-(d / 0.35) ** 2)
    wash = (fbm(rng, sh, sw, max(w, h) / 3.0 / f, octaves=2, aspect=3.0) - 0.5) * 0.05
    small = np.clip(t + lift + wash, 0.0, 1.0).astype(np.float32)
    t = cv2.resize(small, (sw * f, sh * f), interpolation=cv2.INTER_LINEAR)[:h, :w]
    return Layer(kind="sky", y0=0, y1=h, alpha=np.ones((h, w), np.float32), t=t, ramp=ramp(pal.sky),
                 depth=1.0)

def sun_layers(w: int, h: int, pal: Palette, pos: tuple[float, float], radius: float,
               glow_size: float, glow_strength: float, moon: bool) -> list[Layer]:
    """Paint a sun (or a moon) disc and an additive glow around it."""
    sx, sy = pos
    layers: list[Layer] = []
    gr = glow_size
    y0 = max(0, int(sy - 3 * gr))
    y1 = min(h, int(sy + 3 * gr))
    if y1 > y0:
        f = 4
        sh, sw = (y1 - y0) // f + 2, w // f + 2
        ys = (np.arange(sh, dtype=np.float32)[:, None] * f + y0)
        xs = np.arange(sw, dtype=np.float32)[None, :] * f
        d2 = ((xs - sx) ** 2 + (ys - sy) ** 2) / (gr * gr)
        small = (glow_strength * (np.exp(-d2) * 0.7 + np.exp(-d2 * 6.0) * 0.3)).astype(np.float32)
        a = cv2.resize(small, (sw * f, sh * f), interpolation=cv2.INTER_LINEAR)[:y1 - y0, :w]
        layers.append(Layer(kind="glow", y0=y0, y1=y1, alpha=np.ascontiguousarray(a), t=0.5,
                            ramp=ramp([pal.glow, pal.glow]), glow=True, depth=1.0))
    sk = Sketch(w, h)
    sk.circle(sx, sy, radius, 0.8)
    if moon:
        lut = ramp([scale(pal.sun, 0.86), pal.sun, pal.sun])
        disc = sk.layer("moon", lut, depth=1.0, accent=True)
        if disc is not None:
            ys = np.arange(disc.y0, disc.y1, dtype=np.float32)[:, None]
            xs = np.arange(w, dtype=np.float32)[None, :]
            u = (xs - sx) / radius
            v = (ys - sy) / radius
            maria = 0.5 + 0.5 * np.sin(u * 3.1 + 1.3) * np.cos(v * 2.7 - 0.4) * np.sin((u + v) * 1.7)
            disc.t = np.clip(0.62 + 0.38 * maria - 0.2 * np.clip(u * u + v * v - 0.6, 0, 1), 0, 1).astype(
                np.float32)
            layers.append(disc)
    else:
        disc = sk.layer("sun", ramp([pal.sun, pal.sun]), depth=1.0, accent=True)
        if disc is not None:
            layers.append(disc)
    return layers

def star_layer(rng: np.random.Generator, w: int, h: int, horizon: float, pal: Palette, count: int) -> Layer | None:
    """Scatter stars, denser high in the sky, a few of them large and twinkling."""
    sk = Sketch(w, h)
    unit = max(w, h) / 1024.0
    for _ in range(count):
        x = rng.random() * w
        y = (rng.random() ** 1.7) * horizon * 0.92
        b = rng.random()
        if b > 0.985:
            r = 2.2 * unit
            sk.circle(x, y, r, 1.0)
            arm = 9 * unit
            sk.line(x - arm, y, x + arm, y, max(1, unit * 0.8), 1.0, 150)
            sk.line(x, y - arm, x, y + arm, max(1, unit * 0.8), 1.0, 150)
        else:
            r = (0.6 + 1.3 * b * b) * unit
            sk.circle(x, y, r, 0.3 + 0.7 * b, int(90 + 165 * b))
    stops: list[str | Sequence[float]] = ["#cfe0ff", pal.star, "#ffffff"]
    return sk.layer("stars", ramp(stops), depth=1.0, glow=False)

def cloud_layers(rng: np.random.Generator, w: int, h: int, horizon: float, pal: Palette,
                 amount: float, sun_x: float, mood: str) -> list[Layer]:
    """Paint puffy cumulus (day) or long lit bands (sunset, dawn, night) across the sky."""
    if amount <= 0.02:
        return []
    unit = max(w, h) / 1024.0
    sk = Sketch(w, h)
    layers: list[Layer] = []
    light_dx = 1.0 if sun_x > w / 2 else -1.0
    if mood == "day":
        n = 1 + int(amount * 4.5 + rng.random())
        for _ in range(n):
            cw = (150 + 250 * rng.random()) * unit * (0.7 + 0.5 * amount)
            cx = rng.random() * w
            base = horizon * (0.28 + 0.55 * rng.random())
            cw *= 0.55 + 0.6 * (base / horizon)
            ch = cw * (0.35 + 0.15 * rng.random())
            sk.ellipse(cx, base - ch * 0.08, cw * 0.5, ch * 0.16, 0, 0.45)
            puffs = 7 + int(rng.random() * 6)
            for i in range(puffs):
                u = (i + 0.5) / puffs - 0.5
                px = cx + u * cw * 0.9 + (rng.random() - 0.5) * cw * 0.08
                top = 1.0 - (2 * u) ** 2
                r = ch * (0.22 + 0.32 * top * (0.7 + 0.6 * rng.random()))
                py = base - r * 0.75 - top * ch * 0.25
                sk.circle(px, py, r, 0.55 + 0.25 * top)
                sk.circle(px + light_dx * r * 0.22, py - r * 0.22, r * 0.68, 0.78 + 0.2 * top)
        layer = sk.layer("cloud", ramp(pal.cloud), soften=6 * unit, depth=0.95, outline=False, shadow=False)
        if layer is not None:
            layers.append(layer)
    else:
        n = 2 + int(amount * 5)
        for _ in range(n):
            cx = rng.random() * w
            cy = horizon * (0.25 + 0.62 * rng.random())
            length = (260 + 460 * rng.random()) * unit
            thick = (5 + 10 * rng.random()) * unit * (0.6 + cy / horizon)
            tilt = (rng.random() - 0.5) * 0.06
            for _k in range(9):
                u = rng.random() - 0.5
                px = cx + u * length
                py = cy + u * length * tilt + (rng.random() - 0.5) * thick * 1.5
                seg = length * (0.12 + 0.2 * rng.random()) * (1.0 - abs(u))
                th = thick * (0.5 + 0.7 * rng.random()) * (1.0 - abs(u))
                sk.ellipse(px, py, seg, th, tilt * 57, 0.45)
                sk.ellipse(px + light_dx * seg * 0.1, py + th * 0.35, seg * 0.8, th * 0.45, tilt * 57, 0.85)
        layer = sk.layer("cloud", ramp(pal.cloud), soften=4 * unit, depth=0.95)
        if layer is not None:
            layer.alpha *= 0.92
            layers.append(layer)
    return layers

def snowfall_layers(rng: np.random.Generator, w: int, h: int, pal: Palette) -> list[Layer]:
    """Scatter falling snowflakes: many small far flakes and a few large soft near ones."""
    unit = max(w, h) / 1024.0
    out: list[Layer] = []
    color = mix(pal.snow[0], "#ffffff", 0.4)
    for count, rmin, rmax, soft, opacity in ((420, 1.0, 2.4, 0.6, 200), (70, 3.0, 6.5, 2.4, 235)):
        sk = Sketch(w, h)
        for _ in range(count):
            r = (rmin + (rmax - rmin) * rng.random() ** 2) * unit
            sk.circle(rng.random() * w, rng.random() * h, r, 0.9, opacity)
        layer = sk.layer("snowfall", ramp([color, color]), depth=0.0)
        if layer is not None:
            if soft > 1:

                layer.alpha = blur(layer.alpha, soft * unit) * 1.6
                np.clip(layer.alpha, 0, 1, out=layer.alpha)
            out.append(layer)
    return out

def sun_path_x(w: int, rng: np.random.Generator) -> float:
    """Choose where along the width the sun or moon stands (away from the exact centre)."""
    side = -1.0 if rng.random() < 0.5 else 1.0
    return w * (0.5 + side * (0.12 + 0.22 * rng.random()))

def glow_radius(w: int, h: int, mood: str) -> float:
    """Return the glow radius for the sun or moon in pixels."""
    base = max(w, h)
    return base * {"day": 0.22, "sunset": 0.30, "dawn": 0.28, "night": 0.12, "neon": 0.1}[mood]

def disc_radius(w: int, h: int, mood: str) -> float:
    """Return the sun or moon disc radius in pixels."""
    base = max(w, h)
    return base * {"day": 0.035, "sunset": 0.055, "dawn": 0.05, "night": 0.04, "neon": 0.035}[mood]

