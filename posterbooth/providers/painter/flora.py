"""Plants drawn into sketches: conifers, round trees, blossom trees, willows, palms, flower meadows."""

from __future__ import annotations

import math

import numpy as np

from .layers import Sketch


def conifer(sk: Sketch, x: float, base: float, height: float, light: float, snow: Sketch | None = None) -> None:
    """Draw a layered fir tree, lit on the side the light comes from."""
    width = height * 0.42
    tiers = 4
    lit_left = light > 0
    for i in range(tiers):
        top = base - height * (0.35 + 0.65 * (i + 1) / tiers)
        bottom = base - height * (0.05 + 0.6 * i / tiers)
        half = width * (1.0 - 0.18 * i) / 2
        apex = (x, top)
        left = [(x, bottom + height * 0.03), (x - half, bottom), apex]
        right = [(x, bottom + height * 0.03), (x + half, bottom), apex]
        sk.poly(left, 0.78 if lit_left else 0.32)
        sk.poly(right, 0.32 if lit_left else 0.78)
        if snow is not None:
            sx = half * 0.28
            snow.poly([(x, top), (x - sx, top + (bottom - top) * 0.28), (x + sx, top + (bottom - top) * 0.28)],
                      0.85)
            snow.line(x - half * 0.85, bottom - height * 0.01, x + half * 0.35, bottom - height * 0.03,
                      max(2.0, height * 0.025), 0.7)
    sk.rect(x - width * 0.05, base - height * 0.08, x + width * 0.05, base, 0.15)


def round_tree(trunk: Sketch, crown: Sketch, rng: np.random.Generator, x: float, base: float, height: float,
               light: float) -> None:
    """Draw a broadleaf tree: a trunk and a crown of shaded spheres."""
    tw = max(1.5, height * 0.06)
    trunk.line(x, base, x, base - height * 0.5, tw, 0.5)
    cr = height * 0.3
    cy = base - height * 0.62
    for _ in range(6):
        px = x + (rng.random() - 0.5) * cr * 1.3
        py = cy + (rng.random() - 0.5) * cr * 0.9
        r = cr * (0.5 + 0.35 * rng.random())
        crown.circle(px, py, r, 0.3)
        crown.circle(px - light * r * 0.2, py - r * 0.2, r * 0.72, 0.58)
        crown.circle(px - light * r * 0.33, py - r * 0.35, r * 0.38, 0.86)


def blossom_tree(trunk: Sketch, bloom: Sketch, rng: np.random.Generator, x: float, base: float, size: float,
                 light: float, lean: float = 0.0) -> None:
    """Draw a flowering tree: forking dark branches under a cloud of small blossoms."""
    tips: list[tuple[float, float]] = []

    def branch(x0: float, y0: float, angle: float, length: float, width: float, level: int) -> None:
        """Draw one limb and fork it until the twigs are short."""
        x1 = x0 + math.cos(angle) * length
        y1 = y0 - math.sin(angle) * length
        trunk.line(x0, y0, x1, y1, width, 0.5)
        if level >= 4 or length < size * 0.05:
            tips.append((x1, y1))
            return
        for k in range(2 + int(rng.random() < 0.35)):
            spread = 0.35 + 0.35 * rng.random()
            a = angle + (spread if k == 0 else -spread) + (rng.random() - 0.5) * 0.3
            branch(x1, y1, a, length * (0.62 + 0.15 * rng.random()), width * 0.62, level + 1)
        if level >= 2:
            tips.append((x1, y1))

    branch(x, base, math.pi / 2 + lean, size * 0.3, size * 0.055, 0)
    _blossom_cloud(bloom, rng, tips, size * 0.085, size * 0.011, light)


def _blossom_cloud(bloom: Sketch, rng: np.random.Generator, tips: list[tuple[float, float]], reach: float,
                   petal: float, light: float) -> None:
    """Fill the space around branch tips with a shaded mass of small blossoms."""
    if not tips:
        return
    ys = [p[1] for p in tips]
    xs = [p[0] for p in tips]
    top, bottom = min(ys) - reach, max(ys) + reach
    left, right = min(xs) - reach, max(xs) + reach
    for tx, ty in tips:
        for _ in range(3):
            bloom.circle(tx + (rng.random() - 0.5) * reach, ty + (rng.random() - 0.5) * reach * 0.7,
                         reach * (0.35 + 0.25 * rng.random()), 0.3)
    dots = []
    for tx, ty in tips:
        for _ in range(14):
            px = tx + (rng.random() - 0.5) * reach * 1.7
            py = ty + (rng.random() - 0.5) * reach * 1.3
            up = 1.0 - (py - top) / max(1.0, bottom - top)
            side = (px - left) / max(1.0, right - left)
            lit_side = 1.0 - side if light > 0 else side
            t = 0.35 + 0.35 * up + 0.2 * lit_side + 0.15 * (rng.random() - 0.5)
            dots.append((t, px, py))
    dots.sort()
    for t, px, py in dots:
        r = petal * (0.7 + 0.8 * rng.random())
        bloom.circle(px, py, r, min(1.0, max(0.0, t)))


def branch_from_corner(trunk: Sketch, bloom: Sketch, rng: np.random.Generator, w: int, h: int, left: bool,
                       size: float, light: float) -> None:
    """Draw a flowering bough reaching into the frame from a top corner."""
    sx = -size * 0.05 if left else w + size * 0.05
    sy = h * (0.02 + 0.1 * rng.random())
    direction = 1.0 if left else -1.0
    pts = [(sx, sy)]
    tips: list[tuple[float, float]] = []
    x, y = sx, sy
    ang = -0.15 - 0.2 * rng.random()
    for i in range(6):
        step = size * 0.1
        x += direction * math.cos(ang) * step
        y -= math.sin(ang) * step
        ang += (rng.random() - 0.5) * 0.5
        pts.append((x, y))
        if i >= 1:
            tx = x + direction * size * (0.04 + 0.08 * rng.random())
            ty = y + size * (0.05 + 0.08 * rng.random()) * (1 if rng.random() < 0.6 else -1)
            trunk.line(x, y, tx, ty, max(1.5, size * 0.01), 0.5)
            tips.append((tx, ty))
    for i in range(len(pts) - 1):
        width = size * 0.035 * (1.0 - i / len(pts)) + 1.5
        trunk.line(pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1], width, 0.5)
    _blossom_cloud(bloom, rng, tips, size * 0.06, size * 0.009, light)


def willow_curtain(trunk: Sketch, leaves: Sketch, rng: np.random.Generator, w: int, h: int, left: bool,
                   reach: float) -> None:
    """Draw willow boughs entering from a top corner with long, thin hanging strands."""
    unit = max(w, h) / 1024.0
    direction = 1.0 if left else -1.0
    x0 = -10 * unit if left else w + 10 * unit
    for b in range(2):
        y = h * (-0.03 + 0.04 * b) + rng.random() * 20 * unit
        x = x0
        ang = -0.35 - 0.2 * rng.random()
        seg = reach * (1.0 - 0.25 * b) / 8
        pts = [(x, y)]
        for _ in range(8):
            x += direction * math.cos(ang) * seg
            y -= math.sin(ang) * seg
            ang += 0.09 + 0.04 * rng.random()
            pts.append((x, y))
        for i in range(len(pts) - 1):
            trunk.line(pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1], (8 - i) * 0.4 * unit + 1, 0.5)
        for i, (px, py) in enumerate(pts[1:]):
            for _ in range(4):
                leaves.ellipse(px + (rng.random() - 0.5) * seg, py + (rng.random() - 0.3) * 8 * unit, 2.0 * unit,
                               5.0 * unit, rng.random() * 180, 0.25 + 0.3 * rng.random())
            for _ in range(5):
                sx = px + (rng.random() - 0.5) * seg
                length = h * (0.1 + 0.28 * rng.random()) * (1.0 - 0.06 * i)
                sway = direction * (rng.random() - 0.3) * 24 * unit
                n = 10
                strand = [(sx + sway * (k / n) ** 2, py + length * k / n) for k in range(n + 1)]
                leaves.polyline(strand, max(1.0, 1.3 * unit), 0.3)
                for k in range(1, n + 1):
                    lx, ly = strand[k]
                    tone = 0.35 + 0.55 * (k / n) * (0.6 + 0.4 * rng.random())
                    lean = 25 * direction if k % 2 else -25 * direction
                    leaves.ellipse(lx + (1.8 * unit if k % 2 else -1.8 * unit), ly, 1.6 * unit, 4.2 * unit, lean,
                                   tone)


def palm(trunk: Sketch, leaves: Sketch, rng: np.random.Generator, x: float, base: float, height: float,
         lean: float, light: float) -> None:
    """Draw a leaning coconut palm with arching fronds."""
    n = 14
    pts = []
    for i in range(n + 1):
        u = i / n
        pts.append((x + lean * height * u * u, base - height * u))
    for i in range(n):
        width = height * (0.045 - 0.02 * i / n)
        trunk.line(pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1], width, 0.35 + 0.3 * (i % 2))
    tx, ty = pts[-1]
    fronds = 11
    for k in range(fronds):
        ang = 2 * math.pi * (k + 0.5 * rng.random()) / fronds
        dx, dy = math.cos(ang), math.sin(ang) * 0.45 - 0.35
        length = height * (0.42 + 0.14 * rng.random()) * (0.7 + 0.3 * abs(math.cos(ang)))
        m = 12
        spine = []
        for j in range(m + 1):
            u = j / m
            spine.append((tx + dx * length * u, ty + dy * length * u + length * 0.7 * u * u))
        toward_light = (dx * -light) > 0
        shade = 0.78 if toward_light else 0.42
        if dy > 0.0:
            shade -= 0.12
        leaves.polyline(spine, max(1.5, height * 0.012), shade * 0.8)
        for j in range(1, m):
            (ax, ay), (bx, by) = spine[j], spine[j + 1]
            sx, sy = bx - ax, by - ay
            nl = math.hypot(sx, sy) or 1.0
            nx, ny = -sy / nl, sx / nl
            leaf = height * 0.08 * math.sin(math.pi * (0.2 + 0.8 * j / m)) + 2
            for side in (-1.0, 1.0):
                ex = ax + (nx * side * 0.8 + sx / nl * 0.6) * leaf
                ey = ay + (ny * side * 0.8 + sy / nl * 0.6) * leaf + leaf * 0.55
                leaves.line(ax, ay, ex, ey, max(1.2, height * 0.006), shade + (0.08 if side > 0 else 0.0))


def meadow(sketches: list[Sketch], rng: np.random.Generator, w: int, top: float, bottom: float, count: int,
           size: float, light: float, mask_top: np.ndarray | None = None) -> None:
    """Scatter clumps of flowers over rows ``top``..``bottom``, bigger nearer the viewer."""
    clumps = max(1, count // 12)
    for _ in range(clumps):
        u0 = rng.random() ** 0.6
        cy = top + (bottom - top) * u0
        cx = rng.random() * w
        sk = sketches[int(rng.random() * len(sketches))]
        spread = size * (3 + 9 * u0)
        for _k in range(12):
            x = cx + (rng.random() - 0.5) * spread * 2.2
            y = cy + (rng.random() - 0.5) * spread * 0.7
            xi = int(min(w - 1, max(0, x)))
            if mask_top is not None and y < mask_top[xi] + size:
                continue
            u = min(1.0, max(0.0, (y - top) / max(1.0, bottom - top)))
            r = size * (0.3 + 0.9 * u) * (0.7 + 0.5 * rng.random())
            if r > 3.5:
                for p in range(5):
                    a = p * 1.2566 + rng.random() * 0.3
                    sk.circle(x + math.cos(a) * r * 0.55, y + math.sin(a) * r * 0.4, r * 0.5,
                              0.55 + 0.35 * (math.sin(a) < 0))
                sk.circle(x, y, r * 0.3, 0.2)
            else:
                sk.circle(x, y, r, 0.45)
                sk.circle(x - light * r * 0.25, y - r * 0.25, r * 0.55, 0.85)


def grass_tufts(sk: Sketch, rng: np.random.Generator, w: int, top: float, bottom: float, count: int,
                size: float, mask_top: np.ndarray | None = None) -> None:
    """Scatter tufts of grass blades, taller nearer the viewer."""
    for _ in range(count):
        u = rng.random() ** 0.6
        y = top + (bottom - top) * u
        x = rng.random() * w
        xi = int(min(w - 1, max(0, x)))
        if mask_top is not None and y < mask_top[xi] + size:
            continue
        hgt = size * (0.5 + 2.5 * u) * (0.6 + 0.6 * rng.random())
        for _k in range(3):
            dx = (rng.random() - 0.5) * hgt * 0.8
            sk.line(x, y, x + dx, y - hgt, max(1.0, hgt * 0.08), 0.25 + 0.6 * rng.random())
