"""Offline AI 写真: the attendee, cut out of their photo, retouched and dressed in the theme's colours on a themed
backdrop (Hanfu moon gate, Dunhuang mural halo, New Year lanterns, a plain ID-photo blue, a studio or a garden).

The theme follows the campaign style's StyleId (``hanfu_female`` → hanfu, ``zhengjian_male`` → ID photo ...)
or its ``render`` hint (one of :data:`THEMES`). It is an honest rehearsal: the attendee's own face and hair,
graded and softened; nothing is invented.
"""

from __future__ import annotations

import cv2
import numpy as np

from .background import cut_out
from .face import FaceBox, find_face
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


def _figure(framed: np.ndarray, face: FaceBox) -> tuple[np.ndarray, int]:
    """Return the person's soft mask (the cut-out, kept to a head-and-shoulders shape) and the shoulders' row."""
    h, w = framed.shape[:2]
    fx, fy = face.centre
    fw, fh = max(face.width, w // 6), max(face.height, h // 6)
    prior = np.zeros((h, w), np.float32)
    cv2.ellipse(prior, (int(fx), int(fy - fh * 0.3)), (int(fw * 0.85), int(fh * 0.85)), 0, 0, 360, 1.0, -1)  # hair
    cv2.ellipse(prior, (int(fx), int(fy + fh * 0.05)), (int(fw * 0.56), int(fh * 0.68)), 0, 0, 360, 1.0, -1)
    shoulders = int(min(h * 0.9, fy + fh * 0.95))
    cv2.rectangle(prior, (int(fx - fw * 0.26), int(fy)), (int(fx + fw * 0.26), shoulders), 1.0, -1)
    body = np.array([(fx - fw * 0.9, shoulders - fh * 0.1), (fx + fw * 0.9, shoulders - fh * 0.1),
                     (fx + fw * 1.6, h), (fx - fw * 1.6, h)], np.int32)
    cv2.fillPoly(prior, [body], 1.0)
    prior = feather(prior, w / 60)
    solid = np.zeros((h, w), np.float32)  # the face itself is never cut (the mouth is not the backdrop)
    cv2.ellipse(solid, (int(fx), int(fy)), (int(fw * 0.42), int(fh * 0.5)), 0, 0, 360, 1.0, -1)
    cv2.rectangle(solid, (int(fx - fw * 0.16), int(fy)), (int(fx + fw * 0.16), shoulders), 1.0, -1)
    cv2.fillPoly(solid, [np.array([(fx - fw * 0.8, shoulders + fh * 0.15), (fx + fw * 0.8, shoulders + fh * 0.15),
                                   (fx + fw * 1.4, h), (fx - fw * 1.4, h)], np.int32)], 1.0)
    mask = np.maximum(cut_out(framed) * prior, feather(solid, w / 120))
    return np.clip(mask, 0, 1), int(shoulders - fh * 0.1)


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
        for i, shade in enumerate((0.82, 0.72)):
            ridge = h * (0.62 + 0.08 * i) + h * 0.05 * np.sin(np.linspace(0, 3 + i, w) + rng.uniform(0, 6))
            hill = (np.arange(h)[:, None] > ridge[None, :]).astype(np.float32)
            canvas *= (1 - feather(hill, w / 60) * (1 - shade))[..., None]
        _lay(canvas, _disc(h, w, head, w * 0.35), (250, 246, 236), 0.35)
        _lay(canvas, _disc(h, w, head, w * 0.36, max(3, w // 40)), (120, 86, 70), 0.85)
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
        _lay(canvas, _disc(h, w, head, w * 0.4), (240, 208, 140), 0.35)
        for k, colour in enumerate(((236, 196, 110), (58, 132, 140), (236, 196, 110), (150, 60, 44))):
            _lay(canvas, _disc(h, w, head, w * (0.42 - 0.05 * k), max(2, w // 90)), colour, 0.9)
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


def _dress(subject: np.ndarray, mask: np.ndarray, theme: str, chin: int) -> np.ndarray:
    """Recolour the clothes (the figure below the chin) in the theme's garment colour, keeping their folds."""
    h, w = mask.shape
    _top, _bottom, garment, trim, _grade = _PALETTES[theme]
    below = np.zeros((h, w), np.float32)
    below[int(chin):] = 1.0
    clothes = feather(below, h / 60) * mask
    light = cv2.cvtColor((subject * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    middle = float(np.median(light[clothes > 0.5])) if np.any(clothes > 0.5) else 0.5
    shading = 1.0 + 0.8 * (light - middle)  # the folds' light and shade around the garment colour
    dyed = np.asarray(garment, np.float32)[None, None, :] / 255.0 * shading[..., None]
    out = subject * (1 - clothes[..., None]) + np.clip(dyed, 0, 1) * clothes[..., None]
    collar = np.zeros((h, w), np.float32)
    neck = (w // 2, int(chin + h * 0.05))
    if theme in ("hanfu", "dunhuang", "newyear"):  # a crossed collar (交领) in the trim colour
        thick = max(4, w // 30)  # right over left: a long stroke and a short one meeting it
        cv2.line(collar, (neck[0] - int(w * 0.15), int(chin)), (neck[0] + int(w * 0.06), int(chin + h * 0.22)), 1.0,
                 thick, cv2.LINE_AA)
        cv2.line(collar, (neck[0] + int(w * 0.15), int(chin)), (neck[0] + int(w * 0.01), int(chin + h * 0.11)),
                 1.0, thick, cv2.LINE_AA)
    elif theme == "id":  # a white shirt collar
        cv2.fillPoly(collar, [np.array([(neck[0] - w // 9, int(chin)), (neck[0], int(chin + h * 0.09)),
                                        (neck[0] + w // 9, int(chin))], np.int32)], 1.0, cv2.LINE_AA)
    collar = feather(collar, 1.2) * clothes
    return out * (1 - collar[..., None]) + np.asarray(trim, np.float32) / 255.0 * collar[..., None]


def portrait(rgb: np.ndarray, style: str, seed: int, size: tuple[int, int]) -> np.ndarray:
    """Return an RGB portrait of the photo's person in the style's theme, ``size`` (width, height)."""
    theme = theme_of(style)
    w, h = size
    framed = _frame(rgb, size, theme == "id")
    face = find_face(framed)
    mask, shoulders = _figure(framed, face)
    subject = framed.astype(np.float32) / 255.0
    # Retouch: smoothed skin (edge-preserving), a soft glow, the theme's colour grade.
    smooth = cv2.bilateralFilter(framed, 9, 40, 9).astype(np.float32) / 255.0
    subject = 0.45 * subject + 0.55 * smooth
    glow = cv2.GaussianBlur(subject, (0, 0), max(2.0, w / 80))
    subject = 1 - (1 - subject) * (1 - 0.25 * glow)
    subject = np.clip(subject * np.asarray(_PALETTES[theme][4], np.float32) / 255.0 * 1.04, 0, 1)
    subject = _dress(subject, mask, theme, shoulders)
    canvas = _backdrop(theme, w, h, seed)
    if theme != "id":  # a soft shadow behind the figure
        shadow = cv2.GaussianBlur(mask, (0, 0), w / 40)
        shadow = np.roll(shadow, (h // 80, w // 60), axis=(0, 1))
        canvas *= (1 - 0.35 * shadow)[..., None]
    out = canvas * (1 - mask[..., None]) + subject * mask[..., None]
    if theme != "id":  # a gentle vignette
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r = np.sqrt(((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
        out *= np.clip(1.08 - 0.45 * r, 0, 1)[..., None]
    return np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
