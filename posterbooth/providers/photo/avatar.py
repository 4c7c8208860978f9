"""Make an avatar from a photo: crop square around the face, restyle it, frame it in a circle on a backdrop."""

from __future__ import annotations

import cv2
import numpy as np

from .face import find_face, square_around
from .filters import apply_filter
from .pixels import feather, fractal_noise, resize, rng_for

#: Backdrop colour pairs (centre, rim) per filter: they suit the look of the restyled portrait.
BACKDROPS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "cartoon": ((255, 214, 120), (246, 120, 96)),
    "watercolor": ((214, 236, 240), (160, 196, 222)),
    "pencil": ((246, 244, 238), (214, 210, 200)),
    "ink": ((240, 232, 212), (206, 192, 160)),
    "oil": ((60, 84, 120), (24, 34, 58)),
    "pixel": ((150, 220, 200), (80, 140, 170)),
}


def face_crop(rgb: np.ndarray, margin: float = 2.4, drop: float = 0.12) -> np.ndarray:
    """Return the square part of an RGB array around the face (or the portrait centre)."""
    h, w = rgb.shape[:2]
    x, y, side = square_around(find_face(rgb), w, h, margin, drop)
    return rgb[y:y + side, x:x + side]


def _backdrop(side: int, name: str, seed: int) -> np.ndarray:
    """Return a float RGB backdrop: a radial gradient with soft rays, in colours chosen for the filter."""
    inner, outer = (np.asarray(c, np.float32) / 255.0 for c in BACKDROPS.get(name, BACKDROPS["cartoon"]))
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side - 0.5
    radius = np.sqrt(xx * xx + yy * yy) / 0.7071
    angle = np.arctan2(yy, xx)
    rays = 0.5 + 0.5 * np.cos(angle * 16 + seed % 7)
    t = np.clip(radius, 0, 1)[..., None]
    base = inner * (1 - t) + outer * t
    base *= (1.0 - 0.05 * rays * np.clip(radius - 0.3, 0, 1))[..., None]
    mottled = fractal_noise(rng_for("avatar-backdrop", seed), side, side, side / 6, octaves=2)
    return np.clip(base * (0.97 + 0.06 * mottled[..., None]), 0, 1)


def avatar(rgb: np.ndarray, name: str, seed: int = 0, side: int = 1024) -> np.ndarray:
    """Return a square RGB avatar: the face region restyled with a filter, in a ringed circle on a backdrop."""
    crop = face_crop(rgb)
    portrait_side = int(side * 0.8)
    styled = apply_filter(resize(crop, (portrait_side, portrait_side)), name, seed).astype(np.float32) / 255.0
    canvas = _backdrop(side, name, seed)
    centre = side // 2
    radius = portrait_side // 2
    # Soft drop shadow under the medallion.
    shadow: np.ndarray = np.zeros((side, side), np.float32)
    cv2.circle(shadow, (centre + side // 90, centre + side // 45), radius + side // 60, 1.0, -1, cv2.LINE_AA)
    shadow = feather(shadow, side / 50) * 0.35
    canvas *= (1.0 - shadow)[..., None]
    # White ring, then the portrait inside it.
    ring = np.zeros((side, side), np.float32)
    cv2.circle(ring, (centre, centre), radius + side // 60, 1.0, -1, cv2.LINE_AA)
    canvas = canvas * (1 - ring[..., None]) + np.float32(0.99) * ring[..., None]
    disc = np.zeros((side, side), np.float32)
    cv2.circle(disc, (centre, centre), radius - side // 160, 1.0, -1, cv2.LINE_AA)
    disc = feather(disc, 0.8)
    offset = centre - portrait_side // 2
    layer = np.zeros_like(canvas)
    layer[offset:offset + portrait_side, offset:offset + portrait_side] = styled
    canvas = canvas * (1 - disc[..., None]) + layer * disc[..., None]
    # A thin accent line just outside the white ring.
    accent = np.zeros((side, side), np.float32)
    cv2.circle(accent, (centre, centre), radius + side // 60 + side // 200, 1.0, max(1, side // 400), cv2.LINE_AA)
    rim = np.asarray(BACKDROPS.get(name, BACKDROPS["cartoon"])[1], np.float32) / 255.0 * 0.7
    canvas = canvas * (1 - accent[..., None]) + rim * accent[..., None]
    return np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
