"""The scene's near details: villages, tree rows, flower meadows, blossoms, willows and palms."""

from __future__ import annotations

import numpy as np

from . import built, flora
from .color import RGB, mix, ramp, scale
from .compose_base import FLOWER_COLORS, SceneParts, pair_ramp
from .layers import Sketch


class Details(SceneParts):
    """Add the near parts of a scene."""

    def village(self, line: np.ndarray, depth: float, away_from: float | None = None) -> None:
        """Add a cluster of houses standing along a ground crest ``line`` (away from x ``away_from``)."""
        s, pal, w, h, rng = self.spec, self.pal, self.w, self.h, self.rng
        sk = Sketch(w, h)
        cx = w * (0.3 + 0.4 * rng.random())
        if away_from is not None:
            cx = w * 0.27 if away_from > w / 2 else w * 0.73
        n = 10 + int(rng.random() * 5)
        size = h * (0.07 + 0.03 * (1 - depth))
        spread = w * 0.22
        self.tree_row(line, depth, "round", 4, size * 2.2,
                      x_range=(max(0.0, (cx - spread) / w), min(1.0, (cx + spread) / w)), below=size * 0.5)
        houses = []
        for _ in range(n):
            row = rng.random()
            x = cx + (rng.random() - 0.5) * w * (0.3 + 0.25 * row)
            xi = int(min(w - 1, max(0, x)))
            base = line[xi] + size * (0.2 + 2.6 * row)
            houses.append((base, x, size * (0.7 + 0.5 * row)))
        houses.sort()
        for base, x, sz in houses:
            width = sz * (1.0 + 0.9 * rng.random())
            if s.village == "huizhou":
                built.huizhou_house(sk, x - width / 2, base, width, sz, self.light, self.night, rng)
            else:
                built.cottage(sk, x - width / 2, base, width, sz, self.light, self.night, rng)
        white = "#f7f5ef"
        if s.village == "huizhou":
            wall_lit, wall_shade, roof = mix(self.lit(white), white, 0.0 if self.night else 0.6), \
                mix(self.lit("#d4d2cc"), "#d4d2cc", 0.0 if self.night else 0.4), self.lit("#34383f")
        else:
            wall_lit, wall_shade, roof = self.lit("#ecd8b4"), self.lit("#b89a78"), self.lit("#a4503a")
        window_dark = self.lit("#3b3430")
        window_lit = pal.window if self.night else self.lit("#5a4a40")
        lut = ramp([(0.0, scale(roof, 0.7)), (0.18, roof), (0.28, scale(roof, 1.3)), (0.32, window_dark),
                    (0.4, window_dark), (0.44, window_lit), (0.5, window_lit), (0.55, wall_shade),
                    (0.7, wall_shade), (0.86, wall_lit), (1.0, wall_lit)])
        self.add(sk.layer("village", lut, depth=depth, outline=True, haze=pal.haze, mist=0.0, shadow=True,
                          extra={"discrete": True}))


    def tree_row(self, line: np.ndarray, depth: float, kind: str, count: int, size: float, x_range=(0.0, 1.0),
                 below: float = 0.0) -> None:
        """Add a row of trees of one kind standing along ``line`` (a crest profile)."""
        s, pal, w, h, rng = self.spec, self.pal, self.w, self.h, self.rng
        trunk = Sketch(w, h)
        crown = Sketch(w, h)
        snow = Sketch(w, h) if (s.season == "winter" and s.snowy) else None
        positions = sorted(x_range[0] * w + rng.random() * (x_range[1] - x_range[0]) * w for _ in range(count))
        for x in positions:
            xi = int(min(w - 1, max(0, x)))
            base = line[xi] + below + rng.random() * size * 0.15
            height = size * (0.7 + 0.6 * rng.random())
            if kind in ("pine", "conifer"):
                flora.conifer(crown, x, base, height, self.light, snow)
            else:
                flora.round_tree(trunk, crown, rng, x, base, height, self.light)
        foliage = pal.foliage
        if kind == "maple":
            foliage = (self.lit("#ec5a2e"), self.lit("#8c2a1e"))
        elif kind == "ginkgo":
            foliage = (self.lit("#f7c948"), self.lit("#b27a1c"))
        elif kind in ("pine", "conifer") and s.season in ("autumn", "winter"):
            foliage = (self.lit("#4f7a5a"), self.lit("#1f3d36"))
        foliage = (mix(foliage[0], pal.haze, 0.35 * depth), mix(foliage[1], pal.haze, 0.35 * depth))
        trunk_c = mix(pal.trunk, pal.haze, 0.3 * depth)
        self.add(trunk.layer("trunk", pair_ramp(trunk_c, scale(trunk_c, 0.7)), depth=depth, outline=True,
                             shadow=True))
        self.add(crown.layer("tree", pair_ramp(*foliage), soften=1.5 * self.unit, depth=depth, outline=True,
                             shadow=True))
        if snow is not None:
            self.add(snow.layer("snowcap", pair_ramp(*pal.snow, highlight=1.0), depth=depth))

    def flowers_meadow(self, top: float, line: np.ndarray | None, count: int, size: float) -> None:
        """Scatter flowers of the asked kind over the foreground."""
        s, w, h, rng = self.spec, self.w, self.h, self.rng
        kinds = FLOWER_COLORS.get(s.flowers or "generic", FLOWER_COLORS["generic"])
        if s.flowers in ("cherry", "peach", "plum"):
            kinds = FLOWER_COLORS["generic"][:3]
        sketches = [Sketch(w, h) for _ in kinds]
        if s.season != "winter":
            grass = Sketch(w, h)
            flora.grass_tufts(grass, rng, w, top, h * 1.02, count // 2, size, line)
            blades = self._blades()
            self.add(grass.layer("grass", pair_ramp(*blades), depth=0.12, outline=False))
        flora.meadow(sketches, rng, w, top, h * 1.02, count, size, self.light, line)
        for sk, (dark, mid, light) in zip(sketches, kinds, strict=True):
            lut = ramp([self.lit(dark), self.lit(mid), self.lit(light)])
            self.add(sk.layer("flowers", lut, depth=0.1, outline=True, accent=True, shadow=True))

    def blossoms(self, line: np.ndarray) -> None:
        """Add a flowering tree on one side and a bough from a top corner."""
        s, w, h, rng = self.spec, self.w, self.h, self.rng
        dark, mid, light = FLOWER_COLORS[s.flowers][0]
        trunk = Sketch(w, h)
        bloom = Sketch(w, h)
        left = rng.random() < 0.5
        x = w * (0.12 + 0.1 * rng.random()) if left else w * (0.78 + 0.1 * rng.random())
        xi = int(min(w - 1, max(0, x)))
        flora.blossom_tree(trunk, bloom, rng, x, line[xi] + h * 0.04, h * 0.55, self.light,
                           lean=(0.15 if left else -0.15))
        willow_left = self.light < 0
        if "willow" not in s.trees or willow_left == left:
            flora.branch_from_corner(trunk, bloom, rng, w, h, not left, max(w, h) * 0.55, self.light)
        bark = scale(self.pal.trunk, 0.8)
        self.add(trunk.layer("trunk", pair_ramp(bark, scale(bark, 0.6)), depth=0.05, outline=True, shadow=True))
        lut = ramp([self.lit(dark), self.lit(mid), self.lit(light)])
        self.add(bloom.layer("blossom", lut, soften=1.0 * self.unit, depth=0.05, outline=True, accent=True,
                             shadow=True))

    def willows(self) -> None:
        """Hang willow strands from a top corner (the side away from the sun)."""
        w, h, rng, pal = self.w, self.h, self.rng, self.pal
        trunk = Sketch(w, h)
        leaves = Sketch(w, h)
        left = self.light < 0
        flora.willow_curtain(trunk, leaves, rng, w, h, left, w * 0.45)
        green = (self.lit("#b7dc7a"), self.lit("#5f9a4a")) if self.spec.season == "spring" else pal.foliage
        self.add(trunk.layer("trunk", pair_ramp(pal.trunk, scale(pal.trunk, 0.6)), depth=0.02, outline=True))
        self.add(leaves.layer("willow", pair_ramp(*green), depth=0.02, outline=False, accent=False, shadow=True))

    def palms(self, line: np.ndarray) -> None:
        """Add one or two palms leaning in from a side."""
        w, h, rng, pal = self.w, self.h, self.rng, self.pal
        trunk = Sketch(w, h)
        leaves = Sketch(w, h)
        left = rng.random() < 0.5
        for k in range(1 + int(rng.random() < 0.6)):
            x = w * (0.08 + 0.1 * k + 0.05 * rng.random()) if left else w * (0.92 - 0.1 * k - 0.05 * rng.random())
            xi = int(min(w - 1, max(0, x)))
            flora.palm(trunk, leaves, rng, x, line[xi] + h * 0.05, h * (0.5 - 0.12 * k), 0.35 if left else -0.35,
                       self.light)
        bark = self.lit("#8a6a4a")
        self.add(trunk.layer("trunk", pair_ramp(bark, scale(bark, 0.65)), depth=0.05, outline=True, shadow=True))
        self.add(leaves.layer("palm", pair_ramp(*pal.foliage), depth=0.05, outline=True, shadow=True))


    def _blades(self) -> tuple[RGB, RGB]:
        """Return grass-blade colours: the ground's own hue, a little deeper, leaning to the foliage."""
        ground, foliage = self.pal.ground, self.pal.foliage
        return (mix(scale(ground[0], 0.92), foliage[0], 0.3), mix(scale(ground[1], 0.8), foliage[1], 0.3))
