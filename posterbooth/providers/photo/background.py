"""Put a product on a new background: cut it out with GrabCut, then composite it on a painted backdrop.

The backdrop is a studio sweep (wall, floor, soft reflection) tinted by the prompt's colour
words or the product's own colour, or a scene from the offline painter when the prompt names
a landscape. A contact shadow grounds the product.
"""

from __future__ import annotations

import cv2
import numpy as np

from posterbooth.providers.painter import paint, read_prompt

from .pixels import feather, limit_side, resize, rng_for, smoothstep
from .sketch import COLOUR_WORDS

GRABCUT_SIDE = 360
GRABCUT_ITERATIONS = 5


def cut_out(rgb: np.ndarray) -> np.ndarray:
    """Return a 0..1 float foreground mask of the product in an RGB photo (GrabCut, or a soft ellipse)."""
    h, w = rgb.shape[:2]
    small = limit_side(rgb, GRABCUT_SIDE)
    sh, sw = small.shape[:2]
    margin_x, margin_y = max(2, int(sw * 0.03)), max(2, int(sh * 0.03))
    mask = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    mask[margin_y:sh - margin_y, margin_x:sw - margin_x] = cv2.GC_PR_FGD
    # Pixels close to the colour of the photo's border are probably backdrop (studio shots, plain walls).
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    distance = np.min(
        [np.linalg.norm(lab - colour, axis=2) for colour in np.percentile(border, (20, 50, 80), axis=0)], axis=0
    )
    inside = mask == cv2.GC_PR_FGD
    mask[inside & (distance < 9.0)] = cv2.GC_PR_BGD
    # Shadows on the backdrop: the backdrop's hue, somewhat darker.
    median = np.median(border, axis=0)
    chroma = np.linalg.norm(lab[..., 1:] - median[1:], axis=2)
    shade = (lab[..., 0] < median[0] + 4) & (lab[..., 0] > median[0] - 45) & (chroma < 5.0)
    mask[inside & shade] = cv2.GC_PR_BGD
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    try:
        cv2.setRNGSeed(1)
        # The stub wants a rect; OpenCV takes None with GC_INIT_WITH_MASK (the mask gives the regions).
        cv2.grabCut(small, mask, None, background_model, foreground_model, GRABCUT_ITERATIONS,  # type: ignore[call-overload]
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return _ellipse_mask(h, w)
    found = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    found = _main_parts(found)
    share = found.mean()
    if share < 0.03 or share > 0.95:
        return _ellipse_mask(h, w)
    soft = cv2.resize(found.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(soft, (0, 0), max(0.8, max(h, w) / GRABCUT_SIDE * 0.7))
    return feather(smoothstep(0.3, 0.7, soft), 0.7)


def _main_parts(mask: np.ndarray) -> np.ndarray:
    """Keep the biggest foreground piece (and pieces at least 15% as big); fill pin holes."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1:] = areas >= areas.max() * 0.15
    kept = keep[labels].astype(np.uint8)
    holes = 1 - kept
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    small = stats[:, cv2.CC_STAT_AREA] < mask.size * 0.002
    small[0] = False
    kept[small[labels]] = 1
    return kept


def _ellipse_mask(h: int, w: int) -> np.ndarray:
    """Return a soft centred ellipse: the honest fallback when no product outline is found."""
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.36), int(h * 0.42)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    return feather(mask, max(h, w) / 40)


def _hex(colour: str) -> np.ndarray:
    value = colour.lstrip("#")
    return np.asarray([int(value[i:i + 2], 16) for i in (0, 2, 4)], np.float32) / 255.0


def studio_tint(prompt: str, product: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the backdrop colour: the first colour word in the prompt, else a soft tint of the product's hue."""
    lowered = (prompt or "").lower()
    named = sorted((lowered.find(word), hexa) for word, hexa in COLOUR_WORDS.items() if word in lowered)
    if named:
        return _hex(named[0][1])
    weights = mask[..., None]
    mean = (product.astype(np.float32) / 255.0 * weights).sum(axis=(0, 1)) / max(1.0, float(weights.sum()))
    grey = float(mean.mean())
    tint = grey + (mean - grey) * 0.6
    return np.clip(0.55 * tint + 0.45 * np.float32(0.92), 0, 1)


def _studio(width: int, height: int, tint: np.ndarray, horizon: float) -> np.ndarray:
    """Return a float RGB studio sweep: a wall darkening upwards, a lighter floor, a soft curve between them."""
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    wall = 0.78 + 0.22 * smoothstep(0.0, horizon, y)
    floor_light = 1.02 - 0.12 * smoothstep(horizon, 1.0, y)
    blend = smoothstep(horizon - 0.06, horizon + 0.06, y)
    light = wall * (1 - blend) + floor_light * blend
    vignette = 1.0 - 0.12 * (x * x) - 0.05 * smoothstep(0.5, 0.0, y)
    return np.clip(tint[None, None, :] * (light * vignette)[..., None] + 0.04, 0, 1)


def _plinth(canvas: np.ndarray, cx: int, top_y: int, half_width: int, depth: int) -> np.ndarray:
    """Draw a pale stone cylinder from ``top_y`` down to the bottom edge, lit from the left."""
    height, width = canvas.shape[:2]
    body = np.zeros((height, width), np.float32)
    cv2.rectangle(body, (cx - half_width, top_y), (cx + half_width, height), 1.0, -1)
    cv2.ellipse(body, (cx, top_y), (half_width, depth), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    body = feather(body, 1.0)
    x = (np.arange(width, dtype=np.float32) - cx) / max(1, half_width)
    side = 0.92 - 0.22 * np.clip(x, -1, 1) ** 2 - 0.08 * np.clip(x, 0, 1)
    stone = np.asarray((0.94, 0.92, 0.89), np.float32)[None, None, :] * side[None, :, None]
    stone = np.broadcast_to(stone, canvas.shape).copy()
    top = np.zeros((height, width), np.float32)
    cv2.ellipse(top, (cx, top_y), (half_width, depth), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    top = feather(top, 1.0)[..., None]
    stone = stone * (1 - top) + np.float32(0.97) * top
    return canvas * (1 - body[..., None]) + stone * body[..., None]


def product_background(rgb: np.ndarray, prompt: str, seed: int = 0, size: tuple[int, int] = (1024, 1024),
                       alpha: np.ndarray | None = None) -> np.ndarray:
    """Return the product composited on a new backdrop at (width, height).

    ``alpha`` (uint8 0..255) is the product's own outline when the upload was a cut-out; else GrabCut finds it.
    """
    width, height = size
    mask = alpha.astype(np.float32) / 255.0 if alpha is not None else cut_out(rgb)
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) == 0:
        mask = _ellipse_mask(*mask.shape)
        ys, xs = np.nonzero(mask > 0.5)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    product = rgb[y0:y1, x0:x1]
    cut = mask[y0:y1, x0:x1]
    ph, pw = product.shape[:2]
    scale = min(height * 0.6 / ph, width * 0.62 / pw)
    nw, nh = max(1, int(pw * scale)), max(1, int(ph * scale))
    product = resize(product, (nw, nh)).astype(np.float32) / 255.0
    cut = np.clip(resize(cut, (nw, nh)), 0, 1)
    floor_y = int(height * 0.84)
    left, top = (width - nw) // 2, floor_y - nh
    spec = read_prompt(prompt or "")
    if spec.landscape_named():
        scene = np.asarray(paint(prompt, seed, "", (width, height)), np.float32) / 255.0
        canvas: np.ndarray = cv2.GaussianBlur(scene, (0, 0), max(1.0, width / 260))  # a little depth of field
        canvas = canvas * 0.9 + 0.08
        canvas = _plinth(canvas, width // 2, floor_y, int(nw * 0.72), int(height * 0.04))
    else:
        tint = studio_tint(prompt, rgb, mask)
        canvas = _studio(width, height, tint, horizon=0.62)
        # A faint reflection of the product on the glossy floor.
        reflection = product[::-1] * 0.9
        fade = (np.linspace(0.22, 0.0, nh, dtype=np.float32)[:, None] * cut[::-1])[..., None]
        bottom = min(height, floor_y + nh)
        region = canvas[floor_y:bottom, left:left + nw]
        rows = bottom - floor_y
        region[:] = region * (1 - fade[:rows]) + reflection[:rows] * fade[:rows]
    # Contact shadow and a soft cast shadow.
    shadow: np.ndarray = np.zeros((height, width), np.float32)
    cv2.ellipse(shadow, (width // 2, floor_y), (int(nw * 0.48), max(2, int(nh * 0.05))), 0, 0, 360, 1.0, -1,
                cv2.LINE_AA)
    shadow = feather(shadow, max(2.0, nw / 18)) * 0.55
    canvas *= (1.0 - shadow)[..., None]
    layer = canvas[top:floor_y, left:left + nw]
    cut3 = cut[..., None]
    layer[:] = layer * (1 - cut3) + product * cut3
    rng = rng_for("product", seed)
    canvas += (rng.random((height, width, 1), dtype=np.float32) - 0.5) / 255.0  # dither against banding
    return np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
