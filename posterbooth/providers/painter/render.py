"""Paint a prompt: read keywords, compose layers, render them in a style."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
from PIL import Image

from .compose import Scene, compose, fill_defaults
from .edits import apply_edits
from .keywords import read_prompt
from .styles import STYLE_CLASSES, canonical_style, curve_table


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def render_scene(scene: Scene, look: str, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Composite a scene's layers back to front in a look; return float RGB (0..1) and its contrast."""
    w, h = scene.width, scene.height
    style = STYLE_CLASSES[look](w, h, rng, scene)
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = np.asarray(style.background(), np.float32)
    for layer in scene.layers:
        if layer.alpha.size == 0 or layer.y1 <= layer.y0 or style.skip(layer):
            continue
        if layer.kind == "water":
            color = style.water(canvas, layer)
            alpha = layer.alpha
        else:
            alpha = style.coverage(layer)
            color = style.color(layer)
        style.before(canvas, layer, alpha)
        band = canvas[layer.y0:layer.y1]
        style.blend(band, color.astype(np.float32, copy=False), alpha.astype(np.float32, copy=False), layer)
        style.after(canvas, layer, alpha)
    return style.finish(canvas), style.curve


def to_image(canvas: np.ndarray, rng: np.random.Generator, contrast: float = 0.0) -> Image.Image:
    """Quantise a float canvas to 8-bit RGB with a touch of dither, then apply an S-curve of ``contrast``."""
    dither = rng.random((64, 64, 1), dtype=np.float32) - 0.5
    h, w = canvas.shape[:2]
    reps = (h // 64 + 1, w // 64 + 1, 1)
    noise = np.tile(dither, reps)[:h, :w]
    out: np.ndarray = np.clip(canvas * 255.0 + noise, 0, 255).astype(np.uint8)
    if contrast:
        out = cv2.LUT(out, curve_table(contrast))
    return Image.fromarray(out, "RGB")


def paint(prompt: str, seed: int, style: str = "", size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    """Paint a deterministic landscape for a prompt, seed, style and (width, height)."""
    width, height = int(size[0]), int(size[1])
    if width < 16 or height < 16:
        raise ValueError(f"image size too small: {width}x{height}")
    look = canonical_style(style)
    spec = read_prompt(prompt)
    scene = compose(spec, _rng("scene", seed, prompt), width, height)
    canvas, contrast = render_scene(scene, look, _rng("texture", seed, look))
    return to_image(canvas, _rng("dither", seed), contrast)


def paint_edit(first_prompt: str, instructions: tuple[str, ...], seed: int, style: str = "",
               size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    """Paint the first picture of a conversation again, its scene changed by the instructions (oldest first)."""
    width, height = int(size[0]), int(size[1])
    if width < 16 or height < 16:
        raise ValueError(f"image size too small: {width}x{height}")
    look = canonical_style(style)
    # What the first picture's seed chose for the scene, then the instructions' changes; the composition's
    # random draws are the first picture's, so the same landscape comes back in the new light or weather.
    spec = apply_edits(fill_defaults(read_prompt(first_prompt), _rng("scene", seed, first_prompt)), instructions)
    scene = compose(spec, _rng("scene", seed, first_prompt), width, height)
    canvas, contrast = render_scene(scene, look, _rng("texture", seed, look))
    return to_image(canvas, _rng("dither", seed), contrast)
