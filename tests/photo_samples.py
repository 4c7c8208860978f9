"""Synthetic test photos (a portrait, a product shot, line art) and helpers to render and decode the photo kinds.

Nothing is committed: the pictures are drawn here. Set PHOTO_SAMPLES=/some/dir to save each kind's output there
for a visual check.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posterbooth.providers.photo import (
    render_offline,
)

# -- synthetic test pictures ---------------------------------------------------------------------------------


def _gradient(h: int, w: int, top, bottom) -> np.ndarray:
    """Return a float vertical gradient image."""
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32) * np.ones((1, w, 1), np.float32)


def _ellipse_mask(h: int, w: int, centre, axes, angle: float = 0.0) -> np.ndarray:
    """Return an anti-aliased filled ellipse as a 0..1 float mask."""
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (int(centre[0] * 16), int(centre[1] * 16)), (int(axes[0] * 16), int(axes[1] * 16)), angle, 0, 360,
                255, -1, cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255.0


def _paint(canvas: np.ndarray, mask: np.ndarray, colour) -> None:
    """Lay a colour over a float canvas through a mask (in place)."""
    canvas += (np.asarray(colour, np.float32) - canvas) * mask[..., None]


@functools.lru_cache(maxsize=16)
def synthetic_portrait(seed: int = 0, size=(768, 1024), skin=(224, 172, 140), shirt=(40, 90, 160),
                       backdrop=((120, 170, 210), (235, 215, 190)), offset: float = 0.0) -> Image.Image:
    """Draw a photo-like portrait: backdrop with a window, a plant and bokeh; hair, face, eyes, mouth, shirt."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = _gradient(h, w, backdrop[0], backdrop[1])
    # window with a frame on the left, a plant on the right, bokeh lights
    x0, y0 = int(w * 0.06), int(h * 0.12)
    cv2.rectangle(img, (x0, y0), (x0 + int(w * 0.26), y0 + int(h * 0.32)), (250, 250, 240), -1)
    cv2.rectangle(img, (x0, y0), (x0 + int(w * 0.26), y0 + int(h * 0.32)), (110, 80, 60), max(3, w // 90))
    cv2.line(img, (x0 + int(w * 0.13), y0), (x0 + int(w * 0.13), y0 + int(h * 0.32)), (110, 80, 60), max(3, w // 120))
    for i in range(9):
        c = (w * (0.8 + 0.12 * np.sin(i * 1.7)), h * (0.55 + 0.04 * i))
        _paint(img, _ellipse_mask(h, w, c, (w * 0.07, h * 0.025), 30 * np.sin(i)), (60 + 10 * i, 140 + 5 * i, 70))
    for _ in range(12):
        c = (rng.uniform(0, w), rng.uniform(0, h * 0.5))
        r = rng.uniform(w * 0.01, w * 0.05)
        m = _ellipse_mask(h, w, c, (r, r)) * 0.35
        _paint(img, m, (255, 240, 200))
    cx = w * (0.5 + offset)
    # shoulders with shading
    body = _ellipse_mask(h, w, (cx, h * 1.02), (w * 0.42, h * 0.3))
    shade = np.linspace(1.1, 0.7, w, dtype=np.float32)[None, :, None]
    shirt_img = np.asarray(shirt, np.float32) * shade * np.ones((h, 1, 1), np.float32)
    img += (shirt_img - img) * body[..., None]
    # neck
    neck = np.zeros((h, w), np.float32)
    cv2.rectangle(neck, (int(cx - w * 0.06), int(h * 0.5)), (int(cx + w * 0.06), int(h * 0.76)), 1.0, -1)
    neck = cv2.GaussianBlur(neck, (0, 0), 2)
    _paint(img, neck, np.asarray(skin) * 0.82)
    # hair back
    _paint(img, _ellipse_mask(h, w, (cx, h * 0.37), (w * 0.2, h * 0.2)), (55, 35, 25))
    # face with side light
    face = _ellipse_mask(h, w, (cx, h * 0.41), (w * 0.155, h * 0.19))
    light = np.linspace(1.12, 0.78, w, dtype=np.float32)[None, :, None]
    skin_img = np.asarray(skin, np.float32) * light * np.ones((h, 1, 1), np.float32)
    img += (np.clip(skin_img, 0, 255) - img) * face[..., None]
    # fringe
    fringe = _ellipse_mask(h, w, (cx + w * 0.03, h * 0.27), (w * 0.19, h * 0.09), -8)
    _paint(img, fringe * (1 - _ellipse_mask(h, w, (cx, h * 0.45), (w * 0.2, h * 0.12))), (60, 38, 28))
    # eyes
    for side in (-1, 1):
        ex = cx + side * w * 0.065
        ey = h * 0.405
        _paint(img, _ellipse_mask(h, w, (ex, ey), (w * 0.035, h * 0.016)), (245, 245, 240))
        _paint(img, _ellipse_mask(h, w, (ex, ey), (w * 0.016, h * 0.016)), (70, 45, 30))
        _paint(img, _ellipse_mask(h, w, (ex, ey), (w * 0.008, h * 0.008)), (10, 10, 10))
        _paint(img, _ellipse_mask(h, w, (ex + w * 0.006, ey - h * 0.005), (w * 0.004, h * 0.003)), (255, 255, 255))
        brow = np.zeros((h, w), np.float32)
        cv2.ellipse(brow, (int(ex), int(ey - h * 0.03)), (int(w * 0.042), int(h * 0.012)), 0, 200, 340, 1.0,
                    max(2, w // 110), cv2.LINE_AA)
        _paint(img, brow, (60, 40, 30))
        _paint(img, _ellipse_mask(h, w, (ex, h * 0.47), (w * 0.03, h * 0.015)) * 0.25, (230, 110, 110))
    # nose and mouth
    nose = np.zeros((h, w), np.float32)
    cv2.line(nose, (int(cx + w * 0.005), int(h * 0.42)), (int(cx + w * 0.015), int(h * 0.47)), 1.0, max(2, w // 200),
             cv2.LINE_AA)
    _paint(img, cv2.GaussianBlur(nose, (0, 0), 1.5) * 0.6, np.asarray(skin) * 0.6)
    mouth = _ellipse_mask(h, w, (cx, h * 0.515), (w * 0.05, h * 0.014))
    mouth *= 1 - _ellipse_mask(h, w, (cx, h * 0.5), (w * 0.06, h * 0.014))
    _paint(img, mouth, (190, 60, 70))
    img = cv2.GaussianBlur(img, (0, 0), 0.9)
    img += rng.normal(0, 3.5, img.shape).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


@functools.lru_cache(maxsize=16)
def synthetic_product(seed: int = 0, size=(900, 900), body=(200, 60, 70), label=(250, 240, 220),
                      backdrop=(228, 228, 232), offset: float = 0.0) -> Image.Image:
    """Draw a studio product shot: a shaded bottle with cap, label and highlight, on a grey sweep."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = _gradient(h, w, np.asarray(backdrop) + 12, np.asarray(backdrop) - 25)
    cx = w * (0.5 + offset)
    # shadow
    _paint(img, cv2.GaussianBlur(_ellipse_mask(h, w, (cx, h * 0.84), (w * 0.2, h * 0.03)), (0, 0), 12) * 0.6,
           (120, 120, 125))
    # bottle body with cylinder shading
    mask = np.zeros((h, w), np.float32)
    cv2.rectangle(mask, (int(cx - w * 0.16), int(h * 0.36)), (int(cx + w * 0.16), int(h * 0.84)), 1.0, -1)
    mask = np.maximum(mask, _ellipse_mask(h, w, (cx, h * 0.37), (w * 0.16, h * 0.06)))
    neck = np.zeros((h, w), np.float32)
    cv2.rectangle(neck, (int(cx - w * 0.06), int(h * 0.2)), (int(cx + w * 0.06), int(h * 0.34)), 1.0, -1)
    mask = np.maximum(mask, neck)
    xs = (np.arange(w, dtype=np.float32) - cx) / (w * 0.16)
    cyl = (0.55 + 0.6 * np.sqrt(np.clip(1 - xs ** 2, 0, 1)) - 0.25 * np.clip(xs, 0, 1))[None, :, None]
    body_img = np.clip(np.asarray(body, np.float32) * cyl * np.ones((h, 1, 1), np.float32), 0, 255)
    img += (body_img - img) * mask[..., None]
    # cap
    cap = np.zeros((h, w), np.float32)
    cv2.rectangle(cap, (int(cx - w * 0.07), int(h * 0.13)), (int(cx + w * 0.07), int(h * 0.21)), 1.0, -1)
    _paint(img, cap, (40, 40, 45))
    # label with stripes
    lab = np.zeros((h, w), np.float32)
    cv2.rectangle(lab, (int(cx - w * 0.16), int(h * 0.5)), (int(cx + w * 0.16), int(h * 0.7)), 1.0, -1)
    label_img = np.clip(np.asarray(label, np.float32) * cyl * np.ones((h, 1, 1), np.float32), 0, 255)
    img += (label_img - img) * lab[..., None]
    stripe = np.zeros((h, w), np.float32)
    cv2.rectangle(stripe, (int(cx - w * 0.16), int(h * 0.57)), (int(cx + w * 0.16), int(h * 0.6)), 1.0, -1)
    _paint(img, stripe, np.asarray(body) * 0.7)
    text = np.zeros((h, w), np.uint8)
    cv2.putText(text, "AROMA", (int(cx - w * 0.11), int(h * 0.555)), cv2.FONT_HERSHEY_DUPLEX, w / 700, 255,
                max(1, w // 400), cv2.LINE_AA)
    _paint(img, text.astype(np.float32) / 255.0, (40, 40, 40))
    # highlight
    hl = np.zeros((h, w), np.float32)
    cv2.rectangle(hl, (int(cx - w * 0.11), int(h * 0.38)), (int(cx - w * 0.085), int(h * 0.8)), 1.0, -1)
    _paint(img, cv2.GaussianBlur(hl, (0, 0), 4) * 0.5, (255, 255, 255))
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    img += rng.normal(0, 2.5, img.shape).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


@functools.lru_cache(maxsize=16)
def synthetic_sketch(seed: int = 0, size=(1024, 768), variant: int = 0, photo: bool = False) -> Image.Image:
    """Draw line art (hills, a house, a tree, a sun, flowers); ``photo`` makes it a phone photo of paper."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.full((h, w), 255, np.uint8)
    t = max(2, w // 220)
    ink = 20
    ground_y = int(h * 0.72)
    pts = np.array([[x, ground_y + int(18 * np.sin(x / w * 6.0 + variant))] for x in range(0, w + 1, 8)], np.int32)
    cv2.polylines(img, [pts], False, ink, t, cv2.LINE_AA)
    hill = np.array([[x, int(h * 0.5 - 90 * np.sin(np.pi * x / w))] for x in range(0, w + 1, 8)], np.int32)
    cv2.polylines(img, [hill], False, ink, t, cv2.LINE_AA)
    # house
    hx = int(w * (0.2 + 0.15 * variant))
    cv2.rectangle(img, (hx, int(h * 0.45)), (hx + int(w * 0.25), ground_y + 10), ink, t, cv2.LINE_AA)
    roof = np.array([[hx - 20, int(h * 0.45)], [hx + int(w * 0.125), int(h * 0.25)], [hx + int(w * 0.25) + 20,
                                                                                    int(h * 0.45)]], np.int32)
    cv2.polylines(img, [roof], True, ink, t, cv2.LINE_AA)
    cv2.rectangle(img, (hx + int(w * 0.1), int(h * 0.56)), (hx + int(w * 0.15), ground_y + 10), ink, t, cv2.LINE_AA)
    cv2.rectangle(img, (hx + 20, int(h * 0.5)), (hx + 20 + int(w * 0.06), int(h * 0.58)), ink, t, cv2.LINE_AA)
    # sun and tree and flowers
    cv2.circle(img, (int(w * 0.82), int(h * 0.16)), int(h * 0.08), ink, t, cv2.LINE_AA)
    tx = int(w * (0.72 - 0.4 * variant))
    cv2.rectangle(img, (tx - 12, int(h * 0.5)), (tx + 12, ground_y + 12), ink, t, cv2.LINE_AA)
    cv2.circle(img, (tx, int(h * 0.4)), int(h * 0.12), ink, t, cv2.LINE_AA)
    for i in range(4):
        fx, fy = int(w * (0.1 + 0.2 * i)), int(h * 0.86)
        for a in range(5):
            ang = a * 2 * np.pi / 5
            cv2.circle(img, (int(fx + 16 * np.cos(ang)), int(fy + 16 * np.sin(ang))), 10, ink, t, cv2.LINE_AA)
        cv2.circle(img, (fx, fy), 8, ink, t, cv2.LINE_AA)
    if photo:  # a phone photo of the drawing: uneven light, grey paper, noise
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        light = 0.78 + 0.2 * (xx / w) - 0.08 * (yy / h)
        arr = img.astype(np.float32) * light + rng.normal(0, 3, (h, w))
        img = np.clip(arr, 0, 255).astype(np.uint8)
    return Image.fromarray(img).convert("RGB")


PORTRAIT_A = dict(seed=0)
PORTRAIT_B = dict(seed=1, skin=(150, 100, 70), shirt=(180, 50, 60), backdrop=((90, 110, 80), (200, 190, 160)),
                  offset=0.12)
SIZE = (1024, 1024)


def inputs_for(kind: str, variant: int) -> dict[str, Image.Image]:
    """Return the named input images for a kind; variant 0 and 1 are clearly different pictures."""
    if kind == "sketch_to_image":
        return {"sketch": synthetic_sketch(variant=variant, photo=bool(variant))}
    if kind == "product_background":
        if variant == 0:
            return {"product": synthetic_product()}
        return {"product": synthetic_product(3, body=(40, 120, 90), label=(240, 200, 80), offset=0.1)}
    if kind == "try_on":
        return {"model": synthetic_portrait(**PORTRAIT_A), "garment": synthetic_product()}
    if kind == "glam":  # the attendee's photo and the campaign's template (720×960)
        from tests.glam_samples import cover_template

        return {"photo": synthetic_portrait(**(PORTRAIT_A if variant == 0 else PORTRAIT_B)),
                "template": cover_template("fashion")}
    return {"photo": synthetic_portrait(**(PORTRAIT_A if variant == 0 else PORTRAIT_B))}


PROMPTS = {"image_to_image": "水彩 春天", "avatar": "", "meme": "今天也要加油！", "sketch_to_image": "春天的小房子",
           "product_background": "", "glam": "", "portrait": ""}
STYLES = {"image_to_image": "104", "avatar": "cartoon", "meme": "bounce", "sketch_to_image": "",
          "product_background": "", "glam": "", "portrait": "hanfu_female"}


def render(kind: str, variant: int = 0, seed: int = 7, prompt: str | None = None,
           style: str | None = None) -> tuple[bytes, str]:
    """Render a kind offline with its usual prompt and style."""
    return render_offline(kind, inputs_for(kind, variant), PROMPTS[kind] if prompt is None else prompt,
                          STYLES[kind] if style is None else style, seed, SIZE)


@functools.lru_cache(maxsize=32)
def rendered(kind: str, variant: int = 0, prompt: str | None = None) -> tuple[bytes, str]:
    """Return a kind's output, computed once per test session (determinism is tested with render())."""
    return render(kind, variant, prompt=prompt)


def decode(data: bytes) -> Image.Image:
    """Decode and fully load an encoded picture."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixels(data: bytes) -> np.ndarray:
    """Return the first frame of an encoded picture as a float RGB array."""
    return np.asarray(decode(data).convert("RGB"), np.float32)


def save_sample(name: str, data: bytes, content_type: str) -> None:
    """Save an output for a visual check when PHOTO_SAMPLES names a folder."""
    folder = os.environ.get("PHOTO_SAMPLES")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.{content_type.split('/')[1]}").write_bytes(data)
