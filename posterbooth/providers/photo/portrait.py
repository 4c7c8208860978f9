"""Offline AI 写真: the attendee's photo, retouched and graded in the theme's colours, framed in a window on a
themed backdrop (a Hanfu moon gate among ink hills, a Dunhuang mural arch with a halo, a New Year arch between
lanterns, an ID photo's blue card, a studio or a garden).

The theme follows the campaign style's StyleId (``hanfu_female`` → hanfu, ``zhengjian_male`` → ID photo ...)
or its ``render`` hint (one of :data:`THEMES`). It is an honest rehearsal: the attendee's own photo, graded and
softened; nothing is invented, and the person is not cut out (an ID photo keeps the photo's own background).
"""

from __future__ import annotations

import cv2
import numpy as np

from .face import find_face
from .pixels import feather, fractal_noise, resize, rng_for

THEMES = ("hanfu", "dunhuang", "newyear", "id", "garden", "studio")
#: StyleId prefixes → theme (the first match wins; anything else is a studio portrait).
_STYLE_THEMES = (
    ("zhengjian", "id"), ("hanfu", "hanfu"), ("ancient", "hanfu"), ("minzu", "hanfu"), ("qipao", "hanfu"),
    ("dunhuang", "dunhuang"), ("newyear", "newyear"), ("christmas", "newyear"), ("fire", "newyear"),
    ("wedding", "garden"), ("flower", "garden"), ("wreath", "garden"), ("forest", "garden"), ("princess", "garden"),
    ("green", "garden"), ("wing", "garden"),
)
#: Per theme: backdrop top and bottom colours, garment colour, garment trim colour, colour grade (multipliers).
_PALETTES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "hanfu": ((226, 236, 228), (178, 204, 196), (196, 72, 74), (246, 240, 226), (255, 250, 246)),
    "dunhuang": ((214, 150, 96), (150, 78, 52), (58, 132, 140), (232, 184, 92), (255, 240, 220)),
    "newyear": ((196, 30, 40), (120, 12, 24), (214, 40, 44), (244, 196, 82), (255, 236, 226)),
    "id": ((67, 142, 219), (67, 142, 219), (40, 44, 56), (238, 238, 240), (252, 250, 250)),
    "garden": ((246, 226, 230), (206, 226, 200), (250, 246, 244), (226, 180, 190), (255, 248, 246)),
    "studio": ((92, 96, 112), (34, 36, 46), (56, 62, 84), (200, 200, 210), (250, 246, 240)),
}


def theme_of(style: str) -> str:
    """Return the offline theme for a StyleId or a render hint."""
    key = style.strip().lower()
    if key in THEMES:
        return key
    return next((theme for prefix, theme in _STYLE_THEMES if key.startswith(prefix)), "studio")


def _frame(rgb: np.ndarray, size: tuple[int, int], id_photo: bool) -> np.ndarray:
    """Return the head-and-shoulders part of the photo at the output's ratio, the face a little above centre."""
    h, w = rgb.shape[:2]
    face = find_face(rgb)
    out_w, out_h = size
    crop_w = min(w, int(face.width * 3.4))
    crop_h = int(crop_w * out_h / out_w)
    if crop_h > h:
        crop_h, crop_w = h, int(h * out_w / out_h)
    cx, cy = face.centre
    x = int(np.clip(cx - crop_w / 2, 0, w - crop_w))
    y = int(np.clip(cy - crop_h * (0.42 if id_photo else 0.36), 0, h - crop_h))
    return resize(rgb[y:y + crop_h, x:x + crop_w], size)


def _gradient(h: int, w: int, top: tuple[int, ...], bottom: tuple[int, ...]) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return ((1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)) / 255.0 * np.ones(
        (1, w, 1), np.float32)


def _disc(h: int, w: int, centre: tuple[float, float], radius: float, width: int = -1) -> np.ndarray:
    mask = np.zeros((h, w), np.float32)
    cv2.circle(mask, (int(centre[0]), int(centre[1])), max(1, int(radius)), 1.0, width, cv2.LINE_AA)
    return mask


def _lay(canvas: np.ndarray, mask: np.ndarray, colour: tuple[int, ...], strength: float = 1.0) -> None:
    canvas += (np.asarray(colour, np.float32) / 255.0 - canvas) * (mask * strength)[..., None]


def _spots(h: int, w: int, spots: list[tuple[float, float, float]], blur: float) -> np.ndarray:
    """Return a soft mask of many discs (x, y, radius), blurred once."""
    mask = np.zeros((h, w), np.float32)
    for x, y, r in spots:
        cv2.circle(mask, (int(x), int(y)), max(1, int(r)), 1.0, -1, cv2.LINE_AA)
    return feather(mask, blur)


def _backdrop(theme: str, full_w: int, full_h: int, seed: int) -> np.ndarray:
    """Return the theme's backdrop as a float RGB array (drawn at half size: it is soft anyway)."""
    top, bottom, _garment, trim, _grade = _PALETTES[theme]
    w, h = max(32, full_w // 2), max(40, full_h // 2)
    canvas = _gradient(h, w, top, bottom)
    rng = rng_for("portrait", theme, seed)
    if theme == "id":
        return resize(canvas, (full_w, full_h))
    texture = fractal_noise(rng, h, w, max(w, h) / 5, octaves=3)
    canvas *= (0.94 + 0.1 * texture)[..., None]
    head = (w * 0.5, h * 0.36)
    line = max(2, w // 90)
    if theme == "hanfu":
        # Ink-wash hills, a round moon gate behind the head, and a branch of plum blossom.
        for i, shade in enumerate((0.9, 0.8)):
            ridge = h * (0.7 + 0.08 * i) + h * 0.05 * np.sin(np.linspace(0, 3 + i, w) + rng.uniform(0, 6))
            hill = (np.arange(h)[:, None] > ridge[None, :]).astype(np.float32)
            canvas *= (1 - feather(hill, w / 60) * (1 - shade))[..., None]
        cv2.line(canvas, (0, int(h * 0.06)), (int(w * 0.32), int(h * 0.3)), (0.32, 0.22, 0.18), line, cv2.LINE_AA)
        cv2.line(canvas, (int(w * 0.12), int(h * 0.13)), (int(w * 0.2), int(h * 0.06)), (0.32, 0.22, 0.18),
                 max(1, line // 2), cv2.LINE_AA)
        jitter = w * 0.04
        blossoms = [(t * w * 0.32 + rng.uniform(-1, 1) * jitter, (0.06 + t * 0.24) * h + rng.uniform(-1, 1) * jitter,
                     w * rng.uniform(0.012, 0.022)) for t in rng.uniform(0.05, 1.0, 18)]
        _lay(canvas, _spots(h, w, blossoms, 0.8), (232, 120, 140), 0.95)
    elif theme == "dunhuang":
        # A mural: turquoise and lapis bands, a halo of rings behind the head, flying ribbons.
        for y0, colour in ((0.04, (46, 120, 130)), (0.93, (40, 70, 130))):
            band = np.zeros((h, w), np.float32)
            band[int(h * y0):int(h * y0) + max(4, h // 40)] = 1.0
            _lay(canvas, band, colour, 0.9)
        halo = (w * 0.5, h * 0.1 + w * 0.38)  # around the arch's top, where the head is
        _lay(canvas, _disc(h, w, halo, w * 0.5), (240, 208, 140), 0.35)
        for k, colour in enumerate(((236, 196, 110), (58, 132, 140), (236, 196, 110), (150, 60, 44))):
            _lay(canvas, _disc(h, w, halo, w * (0.56 - 0.04 * k), max(2, w // 90)), colour, 0.9)
        xs = np.linspace(0, 1, 120)
        for side in (-1, 1):
            pts = np.stack([w * (0.5 + side * (0.15 + 0.35 * xs)), h * (0.58 - 0.34 * xs + 0.05 * np.sin(xs * 9))], 1)
            cv2.polylines(canvas, [pts.astype(np.int32)], False, (0.92, 0.78, 0.46), max(3, w // 60), cv2.LINE_AA)
    elif theme == "newyear":
        # Gold sparkles and two hanging lanterns.
        sparks = [(rng.uniform(0, w), rng.uniform(0, h * 0.75), w * rng.uniform(0.002, 0.006)) for _ in range(70)]
        _lay(canvas, _spots(h, w, sparks, 0.6), trim, 0.85)
        for x in (0.13, 0.87):
            cv2.line(canvas, (int(w * x), 0), (int(w * x), int(h * 0.1)), (0.9, 0.75, 0.3), max(1, w // 200))
            lantern = np.zeros((h, w), np.float32)
            cv2.ellipse(lantern, (int(w * x), int(h * 0.17)), (int(w * 0.09), int(h * 0.07)), 0, 0, 360, 1.0, -1,
                        cv2.LINE_AA)
            _lay(canvas, lantern, (236, 52, 40))
            _lay(canvas, _spots(h, w, [(w * x, h * 0.17, w * 0.05)], w / 40), (255, 214, 120), 0.7)
            cv2.line(canvas, (int(w * x), int(h * 0.24)), (int(w * x), int(h * 0.3)), (0.95, 0.8, 0.35), line)
    elif theme == "garden":
        for colour in ((250, 250, 246), (240, 170, 190), (200, 226, 170)):
            bokeh = [(rng.uniform(0, w), rng.uniform(0, h), w * rng.uniform(0.02, 0.06)) for _ in range(14)]
            _lay(canvas, _spots(h, w, bokeh, w / 50), colour, 0.45)
    else:
        _lay(canvas, _spots(h, w, [(head[0], head[1], w * 0.45)], w / 5), (150, 150, 170), 0.5)
    return resize(np.clip(canvas, 0, 1), (full_w, full_h))


def _window(theme: str, w: int, h: int) -> np.ndarray:
    """Return the soft mask of the window the portrait shows through: a moon gate, an arch, or an ID card."""
    mask = np.zeros((h, w), np.float32)
    if theme == "hanfu":
        cv2.circle(mask, (w // 2, int(h * 0.48)), int(w * 0.44), 1.0, -1, cv2.LINE_AA)
    elif theme == "id":
        mask[int(h * 0.04):int(h * 0.96), int(w * 0.05):int(w * 0.95)] = 1.0
        return mask
    else:
        left, right, top, bottom = int(w * 0.12), int(w * 0.88), int(h * 0.1), int(h * (0.9 if theme != "dunhuang"
                                                                                             else 0.86))
        radius = (right - left) // 2
        cv2.circle(mask, (w // 2, top + radius), radius, 1.0, -1, cv2.LINE_AA)
        mask[top + radius:bottom, left:right] = 1.0
    return feather(mask, 0.8)


def _frame_lines(canvas: np.ndarray, window: np.ndarray, theme: str, w: int) -> np.ndarray:
    """Draw the window's frame: a dark wood ring, a gold double border, or a mural border."""
    colours = {"hanfu": ((110, 76, 60), (226, 196, 150)), "dunhuang": ((58, 132, 140), (236, 196, 110)),
               "newyear": ((244, 196, 82), (160, 20, 30)), "garden": ((255, 255, 255), (226, 180, 190)),
               "studio": ((210, 200, 180), (60, 60, 70))}
    if theme not in colours:
        return canvas
    binary = (window > 0.5).astype(np.uint8)
    outer, inner = colours[theme]
    for grow, colour in ((max(3, w // 45), outer), (max(2, w // 120), inner)):
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        ring = feather(cv2.dilate(binary, kernel).astype(np.float32) - binary, 0.8)
        canvas = canvas + (np.asarray(colour, np.float32) / 255.0 - canvas) * ring[..., None]
    return canvas


def portrait(rgb: np.ndarray, style: str, seed: int, size: tuple[int, int]) -> np.ndarray:
    """Return an RGB portrait of the photo's person in the style's theme, ``size`` (width, height)."""
    theme = theme_of(style)
    w, h = size
    framed = _frame(rgb, size, theme == "id")
    subject = framed.astype(np.float32) / 255.0
    # Retouch: smoothed skin (edge-preserving), a soft glow, the theme's colour grade, a painted touch.
    smooth = cv2.bilateralFilter(framed, 9, 40, 9).astype(np.float32) / 255.0
    subject = 0.4 * subject + 0.6 * smooth
    glow = cv2.GaussianBlur(subject, (0, 0), max(2.0, w / 80))
    subject = 1 - (1 - subject) * (1 - 0.25 * glow)
    subject = np.clip(subject * np.asarray(_PALETTES[theme][4], np.float32) / 255.0 * 1.04, 0, 1)
    if theme != "id":  # the photo's own backdrop fades into the theme's colours at the window's edge
        top, bottom = _PALETTES[theme][0], _PALETTES[theme][1]
        tint = _gradient(h, w, top, bottom)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.sqrt(((xx - w / 2) / (w * 0.5)) ** 2 + ((yy - h * 0.42) / (h * 0.62)) ** 2)
        fade = np.clip((r - 0.55) / 0.6, 0, 1)[..., None] * 0.55
        subject = subject * (1 - fade) + tint * fade
    canvas = _backdrop(theme, w, h, seed)
    window = _window(theme, w, h)
    shadow = np.roll(cv2.GaussianBlur(window, (0, 0), w / 60), (h // 90, w // 90), axis=(0, 1))
    canvas *= (1 - 0.35 * shadow)[..., None]
    out = canvas * (1 - window[..., None]) + subject * window[..., None]
    out = _frame_lines(out, window, theme, w)
    return np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
