"""Colour a line drawing: find its closed regions, fill them from a palette the prompt suggests, shade softly.

The drawing may be a clean scan or a phone photo of paper (uneven light is evened out first).
Regions touching the top edge become sky, regions touching the bottom edge ground; the rest
get palette colours so that neighbouring regions differ. The original lines stay on top.
"""

from __future__ import annotations

import cv2
import numpy as np

from posterbooth.providers.painter import read_prompt

from .pixels import limit_side, paper, rng_for, smoothstep

PALETTES: dict[str, tuple[str, ...]] = {
    "default": ("#f4a259", "#f25c54", "#f7d35c", "#5fb49c", "#6c9bd2", "#b388eb", "#f19cbb", "#8cc084"),
    "spring": ("#f7b7c8", "#a8d672", "#fce38a", "#95d5e8", "#c5a3e0", "#ffcf9e", "#7cc58f", "#f49ac1"),
    "summer": ("#ffcc33", "#ff7f50", "#3fb8af", "#5b8ff9", "#7ac74f", "#ff5e78", "#9b72cf", "#ffa94d"),
    "autumn": ("#e07a3f", "#c8553d", "#f2b134", "#8c5a3c", "#b5a642", "#d98c5f", "#6b8f71", "#a44a3f"),
    "winter": ("#8ecae6", "#d7e3fc", "#bde0fe", "#a9b4c2", "#e63946", "#577590", "#cdb4db", "#f1faee"),
    "night": ("#ffd166", "#6c7bd1", "#4ea8de", "#8e7dbe", "#f4a261", "#5fa8a0", "#c8a2e0", "#3d5a80"),
    "sunset": ("#ff9f1c", "#e76f51", "#f4a261", "#9d4edd", "#ffbf69", "#cb997e", "#e5989b", "#6d597a"),
}
SKIES: dict[str, tuple[str, str]] = {
    "day": ("#9fd3f0", "#e4f4fb"), "sunset": ("#f08a6c", "#fde3b5"), "dawn": ("#c8b6e2", "#fde2e4"),
    "night": ("#14213d", "#3d4f85"),
}
GROUNDS: dict[str, str] = {
    "spring": "#a8d672", "summer": "#6cbf5a", "autumn": "#d9a441", "winter": "#eef3f8", "": "#8fcf6a",
}
#: Colour words (Chinese and English) that put a colour first in the palette.
COLOUR_WORDS: dict[str, str] = {
    "红": "#e84a4a", "red": "#e84a4a", "橙": "#f59a3c", "orange": "#f59a3c", "黄": "#f7d046", "yellow": "#f7d046",
    "绿": "#5cb85c", "green": "#5cb85c", "青": "#3fb8af", "cyan": "#3fb8af", "蓝": "#4a90e2", "blue": "#4a90e2",
    "紫": "#9b6bd6", "purple": "#9b6bd6", "粉": "#f49ac1", "pink": "#f49ac1", "棕": "#9c6b43", "褐": "#9c6b43",
    "brown": "#9c6b43", "金": "#e6b422", "gold": "#e6b422", "灰": "#a0a4ab", "grey": "#a0a4ab", "gray": "#a0a4ab",
}


def _hex(colour: str) -> np.ndarray:
    """Return a #rrggbb colour as a float RGB array in 0..1."""
    value = colour.lstrip("#")
    return np.asarray([int(value[i:i + 2], 16) for i in (0, 2, 4)], np.float32) / 255.0


def choose_palette(prompt: str) -> tuple[list[np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Return (region colours, (sky top, sky horizon), ground) for a prompt's season, time and colour words."""
    spec = read_prompt(prompt or "")
    time = spec.time or "day"
    season = "winter" if spec.snowy else spec.season
    mood = time if time in ("night", "sunset") else (season or "default")
    colours = [_hex(c) for c in PALETTES.get(mood, PALETTES["default"])]
    lowered = (prompt or "").lower()
    named = sorted({(lowered.find(word), hexa) for word, hexa in COLOUR_WORDS.items() if word in lowered})
    firsts = [_hex(hexa) for _, hexa in named]
    sky_top, sky_low = SKIES.get(time, SKIES["day"])
    ground = GROUNDS.get(season, GROUNDS[""])
    if time == "night":
        ground = "#2f5d50"
    return firsts + colours, (_hex(sky_top), _hex(sky_low)), _hex(ground)


def line_darkness(rgb: np.ndarray) -> np.ndarray:
    """Return the drawing's ink as 0..1 (1 = line), with the paper's uneven lighting evened out."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = gray.shape
    k = max(15, (min(h, w) // 24) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.GaussianBlur(background, (0, 0), k / 3)
    ratio = np.clip(gray / np.maximum(background, 1.0), 0.0, 1.0)
    return smoothstep(0.88, 0.45, ratio)


def _regions(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the closed regions between lines (small gaps in the lines are bridged)."""
    h, w = ink.shape
    lines: np.ndarray = (ink > 0.35).astype(np.uint8)
    bridge = max(1, int(min(h, w) / 300))
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * bridge + 1, 2 * bridge + 1)))
    count, labels = cv2.connectedComponents(1 - lines, connectivity=4)
    return labels, count


def _spread_labels(labels: np.ndarray) -> np.ndarray:
    """Give every line pixel the label of the nearest region pixel, so fills run under the lines."""
    lines = (labels == 0).astype(np.uint8)
    if not lines.any() or lines.all():
        return labels
    _, nearest = cv2.distanceTransformWithLabels(lines, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    zero_pixels = np.flatnonzero(lines.ravel() == 0)
    return labels.ravel()[zero_pixels[nearest.ravel() - 1]].reshape(labels.shape)


def _neighbours(labels: np.ndarray) -> set[tuple[int, int]]:
    """Return pairs of region labels that touch across a line."""
    grown = cv2.dilate(labels.astype(np.float32), np.ones((7, 7), np.uint8))
    shrunk = cv2.erode(np.where(labels == 0, np.float32(1e9), labels.astype(np.float32)), np.ones((7, 7), np.uint8))
    mask = (labels == 0) & (shrunk < 1e9) & (grown > 0) & (grown != shrunk)
    pairs = np.stack([shrunk[mask], grown[mask]], axis=1).astype(np.int64)
    return {(int(a), int(b)) for a, b in np.unique(pairs, axis=0)}


def colour_sketch(rgb: np.ndarray, prompt: str, seed: int = 0, max_side: int = 1024) -> np.ndarray:
    """Return the line drawing coloured in: palette fills with soft shading, the original lines on top."""
    work = limit_side(rgb, max_side)
    h, w = work.shape[:2]
    rng = rng_for("sketch", seed, prompt)
    ink = line_darkness(work)
    labels, count = _regions(ink)
    colours, (sky_top, sky_low), ground = choose_palette(prompt)
    areas = np.bincount(labels.ravel(), minlength=count)
    touches_top = set(np.unique(labels[0])) - {0}
    touches_bottom = set(np.unique(labels[-1])) - {0}
    adjacency = _neighbours(labels)
    touching: dict[int, set[int]] = {}
    for a, b in adjacency:
        touching.setdefault(a, set()).add(b)
        touching.setdefault(b, set()).add(a)
    fills = np.zeros((count, 3), np.float32)
    kinds = np.zeros(count, np.int8)  # 1 = sky, 2 = ground
    start = int(rng.integers(0, len(colours)))
    tiny = max(12, int(h * w * 0.00005))
    assigned: dict[int, int] = {}
    for label in np.argsort(-areas):
        label = int(label)
        if label == 0:
            continue
        if label in touches_top and areas[label] > h * w * 0.03:
            kinds[label] = 1
            continue
        if label in touches_bottom and areas[label] > h * w * 0.03:
            kinds[label] = 2
            fills[label] = ground
            continue
        if areas[label] < tiny:
            fills[label] = (0.2, 0.2, 0.22)
            continue
        taken = {assigned[n] for n in touching.get(label, ()) if n in assigned}
        choice = next((i % len(colours) for i in range(start, start + len(colours))
                       if i % len(colours) not in taken), start % len(colours))
        assigned[label] = choice
        fills[label] = colours[choice]
        start += 1
    spread = _spread_labels(labels)
    canvas = fills[spread]
    # Sky: a vertical gradient from the top colour to the horizon colour.
    sky = kinds[spread] == 1
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None] ** 0.8
    gradient = sky_top * (1 - t) + sky_low * t
    canvas = np.where(sky[..., None], np.broadcast_to(gradient, canvas.shape), canvas)
    # Soft shading: a little darker along the lines, lighter towards each region's centre; light from top left.
    distance = cv2.distanceTransform((ink < 0.35).astype(np.uint8), cv2.DIST_L2, 3)
    rim = np.exp(-distance / max(3.0, min(h, w) / 60))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.04 - 0.08 * (xx / w + yy / h) / 2
    canvas *= ((1.0 - 0.16 * rim) * light)[..., None]
    # Crayon-like grain, then the drawing's own lines on top.
    canvas *= paper(rng, h, w, (255, 255, 255), grain=0.05)
    line_colour = np.asarray((0.12, 0.1, 0.12), np.float32)
    out = canvas * (1.0 - ink[..., None]) + line_colour * ink[..., None]
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
