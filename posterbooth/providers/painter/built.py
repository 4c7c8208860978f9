"""Buildings: city skylines with lit windows and neon, Huizhou-style villages, pagodas."""

from __future__ import annotations

import numpy as np

from .layers import Sketch

#: Shade bands used by multi-material sketches: bodies/roofs below 0.3, windows 0.3..0.5, walls above.
ROOF = 0.12
WINDOW_DARK = 0.36
WINDOW_LIT = 0.46
WALL_SHADE = 0.62
WALL_LIT = 0.9


def skyline(sk: Sketch, neon: list[Sketch] | None, rng: np.random.Generator, w: int, base: float,
            tall: float, unit: float, light: float, lit_share: float, windows: bool) -> None:
    """Draw a row of towers standing on ``base``; windows in 0.3..0.5, bodies below 0.3."""
    x = -rng.random() * 40 * unit
    while x < w:
        bw = (34 + 70 * rng.random()) * unit
        centre = 1.0 - abs((x + bw / 2) / w - 0.5) * 1.1
        bh = tall * (0.25 + 0.55 * rng.random() * (0.5 + 0.5 * centre)) + 20 * unit
        if rng.random() < 0.12:
            bh = tall * (0.85 + 0.15 * rng.random())
        top = base - bh
        side = bw * 0.22
        lit_face = (x, top, x + bw - side, base) if light > 0 else (x + side, top, x + bw, base)
        dark_face = (x + bw - side, top, x + bw, base) if light > 0 else (x, top, x + side, base)
        sk.rect(*lit_face, 0.24)
        sk.rect(*dark_face, 0.1)
        kind = rng.random()
        if kind < 0.25:
            sk.poly([(x + bw * 0.2, top), (x + bw * 0.5, top - bh * 0.12), (x + bw * 0.8, top)], 0.2)
            sk.line(x + bw * 0.5, top - bh * 0.12, x + bw * 0.5, top - bh * 0.2, 2 * unit, 0.2)
        elif kind < 0.45:
            sk.rect(x + bw * 0.18, top - bh * 0.08, x + bw * 0.82, top, 0.18)
        elif kind < 0.55:
            sk.line(x + bw * 0.5, top, x + bw * 0.5, top - bh * 0.25, 2.5 * unit, 0.18)
        if windows:
            fx0, _fy0, fx1, _fy1 = lit_face
            cols = max(1, int((fx1 - fx0) / (11 * unit)))
            rows = max(1, int(bh / (15 * unit)))
            cw = (fx1 - fx0) / cols
            rh = 15 * unit
            for r in range(1, rows):
                wy = top + r * rh
                if wy > base - 4 * unit:
                    break
                for c in range(cols):
                    on = rng.random() < lit_share
                    wx = fx0 + c * cw
                    sk.rect(wx + cw * 0.25, wy, wx + cw * 0.75, wy + rh * 0.5, WINDOW_LIT if on else WINDOW_DARK)
        if neon is not None and rng.random() < 0.75:
            pen = neon[int(rng.random() * len(neon))]
            pick = rng.random()
            if pick < 0.35:
                pen.line(x + 2 * unit, top + 3 * unit, x + bw - 2 * unit, top + 3 * unit, 3 * unit, 0.9)
                pen.line(x + 2 * unit, top + 3 * unit, x + 2 * unit, top + bh * 0.4, 2 * unit, 0.9)
            elif pick < 0.7:
                sy = top + bh * (0.1 + 0.35 * rng.random())
                sx = x + bw * (0.15 if rng.random() < 0.5 else 0.7)
                pen.rect(sx, sy, sx + bw * 0.14, sy + bh * 0.3, 0.9)
            else:
                sy = top + bh * (0.15 + 0.4 * rng.random())
                pen.rect(x + bw * 0.2, sy, x + bw * 0.8, sy + bh * 0.07, 0.9)
        x += bw + (rng.random() * 10 - 2) * unit


def huizhou_house(sk: Sketch, x: float, base: float, width: float, height: float, light: float,
                  lit_windows: bool, rng: np.random.Generator) -> None:
    """Draw a whitewashed Huizhou house: white walls, black tile caps, stepped horse-head gables."""
    if rng.random() < 0.55:
        _gable_front(sk, x, base, width, height, lit_windows, rng)
    else:
        _long_side(sk, x, base, width, height, light, lit_windows, rng)


def _cap(sk: Sketch, x0: float, x1: float, y: float, thick: float) -> None:
    """Draw a black tile cap along a wall top, its ends flicked up like horse heads."""
    over = thick * 0.9
    sk.poly([(x0 - over, y + thick * 0.3), (x1 + over, y + thick * 0.3), (x1 + over * 1.4, y - thick * 0.9),
             (x1, y - thick * 0.5), (x0, y - thick * 0.5), (x0 - over * 1.4, y - thick * 0.9)], ROOF)


def _windows(sk: Sketch, x: float, top: float, width: float, height: float, lit: bool,
             rng: np.random.Generator, door: bool) -> None:
    n = 1 + int(width / (height * 0.55))
    ww = min(width / n * 0.28, height * 0.12)
    for i in range(n):
        wx = x + width * (i + 0.5) / n
        if door and n % 2 == 1 and i == n // 2:
            continue
        sk.rect(wx - ww / 2, top + height * 0.28, wx + ww / 2, top + height * 0.42,
                WINDOW_LIT if (lit and rng.random() < 0.6) else WINDOW_DARK)
    if door:
        dw = min(width * 0.14, height * 0.17)
        cx = x + width / 2
        sk.rect(cx - dw, top + height * 0.55, cx + dw, top + height, WINDOW_DARK)
        sk.poly([(cx - dw * 1.9, top + height * 0.52), (cx + dw * 1.9, top + height * 0.52),
                 (cx + dw * 1.4, top + height * 0.45), (cx - dw * 1.4, top + height * 0.45)], ROOF)


def _gable_front(sk: Sketch, x: float, base: float, width: float, height: float, lit: bool,
                 rng: np.random.Generator) -> None:
    """A house seen from its gable end: a symmetric stepped wall top."""
    step = height * (0.13 + 0.05 * rng.random())
    steps = 2 if width < height * 1.1 else 3
    top = base - height
    centre = 0.28
    side = (1.0 - centre) / 2 / steps
    edges = [side * i for i in range(steps + 1)] + [1.0 - side * i for i in range(steps, -1, -1)]
    levels = list(range(steps)) + [steps] + list(range(steps - 1, -1, -1))
    cap = max(1.5, height * 0.045)
    shade = WALL_LIT if rng.random() < 0.7 else WALL_SHADE
    for i, level in enumerate(levels):
        x0 = x + width * edges[i]
        x1 = x + width * edges[i + 1]
        y = top - level * step
        sk.rect(x0, y, x1, base, shade)
        _cap(sk, x0, x1, y, cap)
    _windows(sk, x, top, width, height, lit, rng, door=True)


def _long_side(sk: Sketch, x: float, base: float, width: float, height: float, light: float, lit: bool,
               rng: np.random.Generator) -> None:
    """A house seen along its length: dark roof between stepped gable walls."""
    top = base - height
    roof_h = height * 0.28
    cap = max(1.5, height * 0.045)
    sk.rect(x, top, x + width, base, WALL_LIT if light > 0 else WALL_SHADE)
    sk.poly([(x, top + cap), (x + width * 0.08, top - roof_h), (x + width * 0.92, top - roof_h),
             (x + width, top + cap)], ROOF + 0.04)
    for k in range(1, 4):
        yy = top - roof_h * k / 4
        sk.line(x + width * 0.08, yy, x + width * 0.92, yy, max(1.0, cap * 0.35), ROOF + 0.1)
    gw = width * 0.16
    for side in (0, 1):
        for k in range(3):
            y = top - roof_h * (0.35 + 0.45 * k)
            if side == 0:
                x0, x1 = x + gw * 0.45 * k, x + gw
            else:
                x0, x1 = x + width - gw, x + width - gw * 0.45 * k
            sk.rect(x0, y, x1, top + 1, WALL_LIT)
            _cap(sk, x0, x1, y, cap)
    sk.rect(x - cap * 0.5, top - cap * 0.2, x + width + cap * 0.5, top + cap * 0.8, ROOF)
    _windows(sk, x, top, width, height, lit, rng, door=rng.random() < 0.5)


def cottage(sk: Sketch, x: float, base: float, width: float, height: float, light: float,
            lit_windows: bool, rng: np.random.Generator) -> None:
    """Draw a small house with a pitched roof."""
    top = base - height
    sk.rect(x, top, x + width, base, WALL_LIT if light > 0 else WALL_SHADE)
    over = width * 0.08
    peak = top - height * 0.55
    sk.poly([(x - over, top + 2), (x + width * 0.5, peak), (x + width + over, top + 2)], ROOF + 0.1)
    sk.poly([(x + width * 0.5, peak), (x + width + over, top + 2), (x + width * 0.5, top + 2)],
            ROOF if light > 0 else ROOF + 0.15)
    ww = width * 0.18
    sk.rect(x + width * 0.2, top + height * 0.3, x + width * 0.2 + ww, top + height * 0.55,
            WINDOW_LIT if (lit_windows and rng.random() < 0.7) else WINDOW_DARK)
    sk.rect(x + width * 0.6, base - height * 0.55, x + width * 0.6 + ww * 1.2, base, WINDOW_DARK)


def pagoda(sk: Sketch, x: float, base: float, height: float) -> None:
    """Draw a slender many-eaved pagoda silhouette."""
    tiers = 6
    tier_h = height * 0.8 / tiers
    for i in range(tiers):
        y = base - i * tier_h
        bw = height * (0.16 - 0.014 * i)
        sk.rect(x - bw / 2, y - tier_h, x + bw / 2, y, 0.55)
        ew = bw * 1.55
        eh = tier_h * 0.28
        sk.poly([(x - ew / 2, y - tier_h + eh * 0.2), (x - ew / 2 - eh * 0.5, y - tier_h - eh * 0.3),
                 (x - bw / 2, y - tier_h - eh * 0.5), (x + bw / 2, y - tier_h - eh * 0.5),
                 (x + ew / 2 + eh * 0.5, y - tier_h - eh * 0.3), (x + ew / 2, y - tier_h + eh * 0.2)], 0.25)
    sk.line(x, base - tiers * tier_h, x, base - height, max(1.5, height * 0.02), 0.3)
