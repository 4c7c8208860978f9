"""Landforms: mountain ridges with snow, rolling hills, dunes, terraces and fields."""

from __future__ import annotations

import numpy as np

from .color import RGB, ramp
from .fast import blur
from .layers import Layer
from .noise import fbm, noise1d, smooth1d


def ridge_profile(rng: np.random.Generator, w: int, base: float, height: float, kind: str) -> np.ndarray:
    """Return the top edge (y per column) of a ridge of the given kind standing on ``base``."""
    x = np.arange(w, dtype=np.float32)
    if kind == "peaks":
        env = np.zeros(w, np.float32)
        for _ in range(1 + int(rng.random() * 2.6)):
            xc = rng.random() * w * 1.2 - w * 0.1
            wc = w * (0.25 + 0.35 * rng.random())
            hc = 0.6 + 0.4 * rng.random()
            env = np.maximum(env, hc * np.clip(1.0 - np.abs(x - xc) / wc, 0, 1) ** 1.1)
        low = 0.5 + 0.5 * noise1d(rng, w, w / 2.5, octaves=2)
        detail = noise1d(rng, w, w / 10.0, octaves=4, gain=0.55, ridged=True)
        s = 0.6 * env + 0.3 * low + 0.1 * detail
    elif kind == "karst":
        s = np.full(w, 0.08, np.float32)
        n = 5 + int(rng.random() * 5)
        for i in range(n):
            xc = (i + rng.random()) / n * w * 1.1 - w * 0.05
            wc = w * (0.05 + 0.06 * rng.random())
            hc = 0.35 + 0.65 * rng.random()
            u = np.clip(1.0 - ((x - xc) / wc) ** 2, 0, 1)
            s = np.maximum(s, hc * u ** 0.55)
        s += 0.03 * noise1d(rng, w, w / 30.0, octaves=2)
    elif kind == "dunes":
        ridge = 1.0 - np.abs(noise1d(rng, w, w / 1.6, octaves=2, gain=0.3))
        s = 0.3 + 0.7 * ridge ** 2
    else:  # hills
        s = 0.5 + 0.5 * noise1d(rng, w, w / 1.5, octaves=3, gain=0.35)
    s = s - s.min()
    s = s / max(1e-6, float(s.max()))
    if kind == "hills":
        s = 0.3 + 0.7 * s
    return (base - height * s).astype(np.float32)


def ridge_layers(rng: np.random.Generator, w: int, h: int, profile: np.ndarray, bottom: float,
                 lut: np.ndarray, *, kind: str = "mountain", light: float = 1.0, fade_len: float = 100.0,
                 haze: RGB | None = None, mist: float = 0.0, depth: float = 0.5, outline: bool = True,
                 facets: float = 1.0, smooth: int = 6, snowline: float | None = None,
                 snow_lut: np.ndarray | None = None, texture: float = 1.0, grain: float = 0.35) -> list[Layer]:
    """Fill below a ridge profile with light/shadow faces, gullies and optional snow."""
    unit = max(w, h) / 1024.0
    y0 = max(0, int(profile.min()) - 2)
    y1 = min(h, int(np.ceil(bottom)))
    if y1 <= y0 + 1:
        return []
    bh = y1 - y0
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    slope = np.gradient(smooth1d(profile, max(1, int(smooth * unit))))
    norm = np.sqrt(1.0 + slope * slope)
    below = ys - profile[None, :]
    alpha = np.clip(below / norm[None, :] + 0.5, 0.0, 1.0).astype(np.float32)
    below = np.maximum(below, 0.0)
    wiggle = fbm(rng, bh, w, w / 9.0, octaves=2) - 0.5
    face = -_spreading_slope(profile, below, xs, wiggle, unit, smooth) * light
    t = 0.5 + 0.38 * np.tanh(face * 2.0 * facets)
    gully = fbm(rng, bh, w, w / 24.0, octaves=3, aspect=grain)
    fade = np.clip(below / max(1.0, fade_len), 0.0, 1.0).astype(np.float32)
    t = t + (gully - 0.5) * 0.22 * texture * (1.0 - 0.5 * fade) - 0.08 * fade
    t = np.clip(t, 0.0, 1.0).astype(np.float32)
    layers = [Layer(kind=kind, y0=y0, y1=y1, alpha=alpha, t=t, ramp=lut, fade=fade, haze=haze, mist=mist,
                    depth=depth, outline=outline, shadow=False)]
    if snowline is not None and snow_lut is not None and profile.min() < snowline:
        jag = (gully - 0.5) * 30 * unit + (wiggle * 2.0) * 45 * unit + (t - 0.5) * 40 * unit
        snow_edge = snowline + jag - ys
        snow_alpha = alpha * np.clip(snow_edge * 0.35 + 0.5, 0.0, 1.0)
        rows = np.nonzero(snow_alpha.max(axis=1) > 0.004)[0]
        if rows.size:
            a, b = int(rows[0]), int(rows[-1]) + 1
            layers.append(Layer(kind="snowcap", y0=y0 + a, y1=y0 + b, alpha=snow_alpha[a:b].astype(np.float32),
                                t=np.clip(t[a:b] * 1.1 + 0.05, 0, 1), ramp=snow_lut, fade=fade[a:b],
                                haze=haze, mist=mist * 0.6, depth=depth, outline=False))
    return layers


def _spreading_slope(profile: np.ndarray, below: np.ndarray, xs: np.ndarray, wiggle: np.ndarray, unit: float,
                     smooth: float) -> np.ndarray:
    """Return the surface slope under a ridge: the crest's own slope, blurred more the deeper below it.

    Ridges spread and merge downhill like real massifs, so faces read as big lit and shaded planes.
    """
    radii = [1, 3, 7, 15, 32, 70, 150]
    w = profile.shape[0]
    slopes = np.stack([np.gradient(smooth1d(profile, max(1, int(r * unit)))) for r in radii]).astype(np.float32)
    top = len(radii) - 1.001
    depth = np.arange(int(below.max()) + 2, dtype=np.float32)
    level = np.clip(np.log2(np.maximum(depth * 0.45 + smooth * unit * 0.5, 1.0) / unit + 1e-3) / np.log2(2.15), 0, top)
    lo_tab = level.astype(np.int32)
    frac_tab = (level - lo_tab).astype(np.float32)
    d = below.astype(np.int32)
    col = np.clip(xs + wiggle * (below * 0.5 + 6 * unit), 0, w - 1).astype(np.int32)
    idx = lo_tab[d] * w + col
    flat = slopes.ravel()
    s0 = flat[idx]
    s1 = flat[idx + w]
    return s0 + (s1 - s0) * frac_tab[d]


def terrace_shade(layer: Layer, profile: np.ndarray, horizon: float, h: int, rng: np.random.Generator,
                  spacing: float) -> None:
    """Carve contour-following terrace bands into a hill layer's shading (in place)."""
    w = layer.alpha.shape[1]
    ys = np.arange(layer.y0, layer.y1, dtype=np.float32)[:, None]
    below = np.maximum(ys - profile[None, :], 0.0)
    wobble = (fbm(rng, layer.y1 - layer.y0, w, w / 6.0, octaves=2) - 0.5) * spacing * 2.5
    persp = 1.0 + 2.2 * np.clip((ys - horizon) / max(1.0, h - horizon), 0, 1)
    phase = (below + wobble) / (spacing * persp)
    frac = phase - np.floor(phase)
    lip = np.clip((0.14 - frac) / 0.05, 0.0, 1.0)
    within = 0.5 + 0.5 * frac
    t = np.asarray(layer.t, dtype=np.float32)
    layer.t = np.clip(0.3 * t + 0.7 * within - 0.75 * lip, 0.0, 1.0).astype(np.float32)
    layer.extra["terraces"] = np.floor(phase).astype(np.float32)


def field_rows(layer: Layer, horizon: float, vanish_x: float, rng: np.random.Generator,
               rows: float = 60.0, strength: float = 0.25) -> None:
    """Add perspective crop rows converging on the horizon to a ground layer's shading (in place)."""
    w = layer.alpha.shape[1]
    ys = np.arange(layer.y0, layer.y1, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    depth = np.maximum(ys - horizon, 2.0)
    u = (xs - vanish_x) / depth
    stripes = 0.5 + 0.5 * np.sin(u * rows)
    near = np.clip(depth / max(1.0, layer.y1 - horizon), 0.0, 1.0)
    patch = fbm(rng, layer.y1 - layer.y0, w, w / 8.0, octaves=3, aspect=2.5)
    t = np.asarray(layer.t, dtype=np.float32)
    layer.t = np.clip(t * 0.55 + 0.3 * patch + strength * (stripes - 0.5) * near + 0.08, 0, 1).astype(
        np.float32)


def terrace_patches(rng: np.random.Generator, base: Layer, lut: np.ndarray, cover: float, kind: str) -> Layer:
    """Return a layer recolouring some terrace bands of ``base`` (e.g. green plots among rapeseed)."""
    bands = base.extra["terraces"]
    bh, w = base.alpha.shape
    offset = rng.random()
    pick = ((bands * 0.6180339 + offset) % 1.0) < cover
    runs = fbm(rng, bh, w, w / 5.0, octaves=2, aspect=2.0) > 0.45
    alpha = blur((pick & runs).astype(np.float32), 1.2) * base.alpha
    t = np.asarray(base.t, dtype=np.float32)
    return Layer(kind=kind, y0=base.y0, y1=base.y1, alpha=alpha.astype(np.float32), t=t, ramp=lut, fade=base.fade,
                 haze=base.haze, mist=base.mist, depth=base.depth, outline=False)


def shore_foam(w: int, h: int, profile: np.ndarray, unit: float, color: RGB) -> Layer:
    """Return a soft foam line along the top edge of a beach profile."""
    y0 = max(0, int(profile.min()) - int(8 * unit))
    y1 = min(h, int(profile.max()) + int(14 * unit))
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    d = ys - profile[None, :]
    band = np.exp(-((d + 2 * unit) / (3.5 * unit)) ** 2) + 0.45 * np.exp(-((d - 8 * unit) / (2.5 * unit)) ** 2)
    alpha = np.clip(band, 0, 1).astype(np.float32)
    alpha = blur(alpha, 0.8)
    return Layer(kind="foam", y0=y0, y1=y1, alpha=alpha * 0.9, t=0.8, ramp=ramp([color, color]), depth=0.3)


def wet_sand(w: int, h: int, profile: np.ndarray, unit: float, color: RGB) -> Layer:
    """Return a darker band of wet sand just below the waterline."""
    y0 = max(0, int(profile.min()))
    y1 = min(h, int(profile.max() + 40 * unit))
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    d = ys - profile[None, :]
    alpha = (np.clip(d / (2 * unit), 0, 1) * np.exp(-np.maximum(d, 0) / (22 * unit)) * 0.7).astype(np.float32)
    return Layer(kind="wet", y0=y0, y1=y1, alpha=alpha, t=0.5, ramp=ramp([color, color]), depth=0.2)


def shallows(w: int, h: int, horizon: float, profile: np.ndarray, color: RGB) -> Layer:
    """Return a turquoise tint over the sea that deepens towards the shoreline."""
    y0 = int(horizon + (profile.min() - horizon) * 0.35)
    y1 = min(h, int(profile.max()) + 2)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    u = np.clip((ys - y0) / np.maximum(profile[None, :] - y0, 1.0), 0.0, 1.0)
    alpha = (u ** 1.6 * 0.55).astype(np.float32)
    return Layer(kind="shallows", y0=y0, y1=y1, alpha=alpha, t=0.5, ramp=ramp([color, color]), depth=0.3)
