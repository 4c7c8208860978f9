"""Compose a scene: turn scene features and a seed into back-to-front layers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import built, flora, land, sky
from .color import RGB, mix, ramp, rgb, saturate, scale
from .fast import blur
from .keywords import SceneSpec
from .layers import Layer, Sketch
from .palettes import Palette, make_palette
from .water import water_layer

FLOWER_COLORS: dict[str, list[tuple[str, str, str]]] = {
    "rapeseed": [("#b98a12", "#f2c230", "#ffe880")],
    "cherry": [("#d58aa6", "#f7c2d2", "#fff3f6")],
    "peach": [("#cf4f76", "#f08aa8", "#ffd3de")],
    "plum": [("#9c2538", "#d8475a", "#ff9fac")],
    "lavender": [("#553c87", "#8b6cc2", "#cdb9f0")],
    "sunflower": [("#b8650e", "#f1ad1e", "#ffe16e")],
    "lotus": [("#c0507e", "#f08bb0", "#ffe4ee")],
    "generic": [("#cf4f76", "#f08aa8", "#ffd3de"), ("#c9a21c", "#f5d24a", "#fff0a0"),
                ("#b8b8c8", "#f4f4f8", "#ffffff"), ("#6c4fa8", "#9b7fd6", "#d6c8f4")],
}
TEMPLATES = ("lake", "village", "coast", "forest", "meadow", "valley")


@dataclass
class Scene:
    """A composed picture: its layers (back to front) and the facts styles need."""

    width: int
    height: int
    layers: list[Layer]
    palette: Palette
    horizon: float
    light: float
    sun: tuple[float, float]
    spec: SceneSpec
    notes: dict = field(default_factory=dict)


def pair_ramp(lit: RGB, dark: RGB, highlight: float = 1.08) -> np.ndarray:
    """Return a shadow-to-light ramp from a (lit, dark) colour pair."""
    return ramp([(0.0, scale(dark, 0.78)), (0.35, dark), (0.72, lit), (1.0, scale(saturate(lit, 1.05), highlight))])


def fill_defaults(spec: SceneSpec, rng: np.random.Generator) -> SceneSpec:
    """Choose with the seed whatever the prompt left open (template, season, time, clouds)."""
    draw = rng.random(8)
    if not spec.landscape_named():
        pick = TEMPLATES[int(draw[0] * len(TEMPLATES))]
        if pick == "lake":
            spec.water, spec.mountains = "lake", "peaks"
            spec.trees.add("pine")
        elif pick == "village":
            spec.village, spec.mountains, spec.water = "huizhou", "hills", "river"
        elif pick == "coast":
            spec.water, spec.beach = "sea", True
        elif pick == "forest":
            spec.trees.add("forest")
            spec.mountains = "peaks"
            spec.water = "river"
        elif pick == "meadow":
            spec.flowers = spec.flowers or "generic"
            spec.mountains = "hills"
        else:
            spec.mountains = "peaks"
            spec.water = "lake"
            spec.village = "village"
    if not spec.season:
        if spec.snowy or spec.snowfall:
            spec.season = "winter"
        else:
            spec.season = ("spring", "summer", "summer", "autumn")[int(draw[1] * 4)]
    if spec.season == "winter" and spec.mountains in ("peaks", "karst") and not spec.desert:
        spec.snowcaps = True
    if not spec.time:
        spec.time = "day" if draw[2] < 0.72 else ("sunset" if draw[2] < 0.9 else "dawn")
    if spec.clouds < 0:
        spec.clouds = {"day": 0.25 + 0.5 * draw[3], "sunset": 0.6, "dawn": 0.5, "night": 0.15}[spec.time]
    if spec.beach and not spec.water:
        spec.water = "sea"
    if spec.city and not spec.water:
        spec.water = "river"
    bare = not (spec.water or spec.village or spec.terraces or spec.flowers or spec.desert or spec.city
                or spec.grassland)
    if bare and spec.mountains:
        if draw[4] < 0.55:
            spec.water = "lake"
        elif draw[4] < 0.75:
            spec.water = "river"
        if spec.season == "winter" or spec.mountains == "peaks":
            spec.trees.add("pine")
    if spec.beach and spec.season == "summer" and draw[7] < 0.85:
        spec.trees.add("palm")
    if spec.time == "night" and not spec.city and not spec.stars and draw[5] < 0.7:
        spec.stars = True
    if spec.time == "night" and not spec.neon:
        spec.moon = spec.moon or draw[6] < 0.85
    return spec


class Composer:
    """Build the layers of one scene."""

    def __init__(self, spec: SceneSpec, rng: np.random.Generator, w: int, h: int) -> None:
        """Fix the palette, horizon, sun and light for this scene."""
        self.spec = fill_defaults(spec, rng)
        self.rng = rng
        self.w, self.h = w, h
        self.unit = max(w, h) / 1024.0
        self.layers: list[Layer] = []
        s = self.spec
        self.pal = make_palette(s.time, s.season, snowy=s.snowy or s.season == "winter", neon=s.neon)
        r = rng.random(6)
        if s.city:
            frac = 0.6 + 0.06 * r[0] if s.water else 0.66 + 0.04 * r[0]
        elif s.water == "sea" and not s.mountains or s.desert:
            frac = 0.5 + 0.08 * r[0]
        elif s.mountains in ("peaks", "karst"):
            frac = 0.56 + 0.06 * r[0]
        else:
            frac = 0.5 + 0.08 * r[0]
        self.horizon = h * frac
        sun_x = sky.sun_path_x(w, rng)
        if s.time == "day":
            sun_y = self.horizon * (0.2 + 0.25 * r[1])
        elif s.time == "night":
            sun_y = self.horizon * (0.18 + 0.25 * r[1])
        else:
            sun_y = self.horizon - h * (0.05 + 0.07 * r[1])
        self.sun = (sun_x, sun_y)
        self.light = 1.0 if sun_x < w / 2 else -1.0
        self.night = s.time == "night"

    # -- helpers -----------------------------------------------------------------------------------
    def add(self, layer: Layer | None) -> None:
        """Append a layer if there is one."""
        if layer is not None:
            self.layers.append(layer)

    def lit(self, color: str | RGB) -> RGB:
        """Return a daylight colour as seen in this scene's light."""
        return self.pal.light(color)

    # -- scene parts -------------------------------------------------------------------------------
    def sky(self) -> None:
        """Add sky, stars, sun or moon, and clouds."""
        s, pal, w, h = self.spec, self.pal, self.w, self.h
        self.add(sky.sky_layer(self.rng, w, h, self.horizon, pal, self.sun))
        if self.night:
            count = 260 if s.city and not s.stars else 700
            self.add(sky.star_layer(self.rng, w, h, self.horizon, pal, count))
        mood = pal.mood
        show_disc = not (s.time == "day" and s.clouds > 0.75) and not (s.neon and not s.moon)
        strength = {"day": 0.35, "sunset": 0.75, "dawn": 0.6, "night": 0.35, "neon": 0.3}[mood]
        for layer in sky.sun_layers(w, h, pal, self.sun, sky.disc_radius(w, h, mood), sky.glow_radius(w, h, mood),
                                    strength, moon=self.night):
            if layer.kind in ("sun", "moon") and not show_disc:
                continue
            self.add(layer)
        cloud_mood = "day" if s.time == "day" else mood
        for layer in sky.cloud_layers(self.rng, w, h, self.horizon, pal, s.clouds, self.sun[0], cloud_mood):
            self.add(layer)

    def mountains(self) -> None:
        """Add layered mountain ridges fading into the haze, with snow caps when asked."""
        s, pal, w, h = self.spec, self.pal, self.w, self.h
        kind = s.mountains or "hills"
        count = 3
        heights = {"peaks": (0.3, 0.22, 0.14), "karst": (0.32, 0.24, 0.17), "hills": (0.15, 0.1, 0.065)}[kind]
        base_mist = 0.75 if s.mist else 0.45
        for i in range(count):
            far = 1.0 - i / max(1, count - 1) if count > 1 else 0.5
            pair = (mix(pal.near[0], pal.far[0], far), mix(pal.near[1], pal.far[1], far))
            pair = (mix(pair[0], pal.haze, 0.25 * far), mix(pair[1], pal.haze, 0.3 * far))
            height = h * heights[i] * (0.85 + 0.3 * self.rng.random())
            base = self.horizon + 2 * self.unit
            prof_kind = kind if not (kind == "karst" and i == 0) else "peaks"
            profile = land.ridge_profile(self.rng, w, base, height, prof_kind)
            snowline = None
            snow_lut = None
            if s.snowcaps and kind != "hills":
                snowline = base - height * (0.45 - 0.12 * i)
                snow_lut = pair_ramp(mix(pal.snow[0], pal.haze, 0.2 * far), mix(pal.snow[1], pal.haze, 0.2 * far),
                                     1.0)
            bottom = self.horizon + (h * 0.25 if not s.water or s.water == "river" else 2 * self.unit)
            for layer in land.ridge_layers(
                self.rng, w, h, profile, bottom, pair_ramp(*pair, highlight=1.04), kind="mountain",
                light=self.light, fade_len=height * (0.8 if s.mist else 1.1), haze=pal.haze,
                mist=base_mist * (0.6 + 0.4 * far), depth=0.6 + 0.35 * far, outline=i == count - 1,
                facets=1.0 if kind == "peaks" else 0.6, smooth=4 if kind == "peaks" else 10,
                snowline=snowline, snow_lut=snow_lut, texture=0.9 if kind == "peaks" else 0.5,
            ):
                self.add(layer)
            if s.pagoda and i == count - 1:
                self._pagoda(profile, pair)

    def _pagoda(self, profile: np.ndarray, pair: tuple[RGB, RGB]) -> None:
        w = self.w
        lo, hi = int(w * 0.15), int(w * 0.85)
        x = lo + int(np.argmin(profile[lo:hi]))
        sk = Sketch(w, self.h)
        height = (self.horizon - profile[x]) * 0.9 + 40 * self.unit
        built.pagoda(sk, x, profile[x] + 6 * self.unit, height)
        self.add(sk.layer("pagoda", pair_ramp(scale(pair[0], 0.85), scale(pair[1], 0.7)), depth=0.6,
                          outline=True, haze=self.pal.haze, mist=0.0))

    def distant_hills(self) -> None:
        """Add one faint range of hills on the horizon for depth."""
        pal, w, h = self.pal, self.w, self.h
        height = h * (0.04 + 0.05 * self.rng.random())
        profile = land.ridge_profile(self.rng, w, self.horizon + 2 * self.unit, height, "hills")
        pair = (mix(pal.far[0], pal.haze, 0.45), mix(pal.far[1], pal.haze, 0.4))
        for layer in land.ridge_layers(self.rng, w, h, profile, self.horizon + 3 * self.unit, pair_ramp(*pair),
                                       light=self.light, fade_len=height, haze=pal.haze, mist=0.5, depth=0.95,
                                       outline=False, facets=0.4, smooth=12, texture=0.3):
            self.add(layer)

    def city(self) -> None:
        """Add a far and a near row of towers with windows (and neon at night)."""
        pal, w, h, u = self.pal, self.w, self.h, self.unit
        night = self.night
        lit_share = 0.45 if night else (0.2 if self.spec.time == "sunset" else 0.0)
        far_body = mix(pal.far[1], pal.haze, 0.35) if not night else mix(pal.sky[-2], "#000000", 0.25)
        near_body = scale(pal.near[1], 0.75) if not night else rgb("#0c0f24")
        if self.spec.neon:
            near_body = rgb("#0d0a26")
            far_body = rgb("#2a1850")
        window_dark = mix(near_body, pal.sky[-1], 0.35) if not night else scale(near_body, 1.4)
        glass = mix(pal.sky[-2], "#ffffff", 0.25)
        win_lit = pal.window if night or self.spec.time == "sunset" else glass
        for depth, body, tall in ((0.85, far_body, h * 0.34), (0.45, near_body, h * 0.24)):
            sk = Sketch(w, h)
            pens = [Sketch(w, h), Sketch(w, h), Sketch(w, h)] if self.spec.neon and depth < 0.6 else None
            body_hi = mix(body, pal.haze, 0.25) if not night else scale(body, 1.5)
            lut = ramp([(0.0, scale(body, 0.8)), (0.1, body), (0.26, body_hi), (0.3, body_hi),
                        (0.34, window_dark), (0.4, window_dark), (0.44, win_lit), (0.5, scale(win_lit, 1.1)),
                        (1.0, scale(win_lit, 1.1))])
            built.skyline(sk, pens, self.rng, w, self.horizon + 2 * u, tall, u * (0.75 if depth > 0.6 else 1.0),
                          self.light, lit_share, windows=True)
            self.add(sk.layer("city", lut, depth=depth, outline=depth < 0.6, haze=pal.haze, mist=0.0,
                              shadow=False, extra={"discrete": True}))
            if pens:
                for pen, color in zip(pens, ("#ff4fb0", "#38e0ff", "#b77bff"), strict=True):
                    layer = pen.layer("neon", ramp([color, "#ffffff"]), depth=depth, glow=True, accent=True)
                    if layer is not None:

                        layer.alpha = np.clip(blur(layer.alpha, 9 * u) * 1.6 + blur(layer.alpha, 2 * u) * 0.6
                                              + layer.alpha, 0, 1)
                        self.add(layer)

    def water(self) -> None:
        """Add a sea or lake surface from the horizon down (it reflects what is above it)."""
        s, pal, w, h = self.spec, self.pal, self.w, self.h
        y0 = int(self.horizon)
        alpha = np.ones((h - y0, w), np.float32)
        deep = scale(pal.water, 0.7)
        if s.water == "lake" and s.season == "spring":
            deep = mix(deep, pal.near[1], 0.3)
        lut = ramp([deep, pal.water, mix(pal.water, pal.sky[-1], 0.5)])
        calm = 0.75 if s.water == "lake" else (0.4 if s.water == "river" else 0.1)
        glitter = 0.0 if (s.time == "day" and s.clouds > 0.75) else (0.9 if s.time != "day" else 0.5)
        self.add(water_layer(self.rng, w, h, self.horizon, alpha, y0, lut, sun_x=self.sun[0],
                             sun_color=pal.glow if not self.night else pal.sun, calm=calm, glitter=glitter))

    def river(self, top: float, side: float) -> None:
        """Add a river winding from ``top`` towards the viewer, widening with perspective."""
        pal, w, h = self.pal, self.w, self.h
        y0 = int(top)
        ys = np.arange(y0, h, dtype=np.float32)[:, None]
        xs = np.arange(w, dtype=np.float32)[None, :]
        u = (ys - y0) / max(1.0, h - y0)
        phase = self.rng.random() * 6.28
        centre = w * (side + 0.22 * (np.sin(u * 3.2 + phase) - np.sin(phase)) * (0.3 + u))
        half = w * (0.015 + 0.32 * u ** 1.4)
        alpha = np.clip(half - np.abs(xs - centre) + 0.5, 0, 1) * np.clip((ys - y0) / (0.03 * h), 0, 1)
        alpha = alpha.astype(np.float32)
        lut = ramp([scale(pal.water, 0.75), pal.water, mix(pal.water, pal.sky[-1], 0.5)])
        self.add(water_layer(self.rng, w, h, self.horizon, alpha, y0, lut, sun_x=self.sun[0],
                             sun_color=pal.glow, calm=0.55, glitter=0.5 if self.spec.time != "day" else 0.3))
        self.notes["river"] = (centre[:, 0], half[:, 0], y0)

    def ground_band(self, base: float, height: float, pair: tuple[RGB, RGB], depth: float,
                    kind: str = "ground") -> tuple[Layer | None, np.ndarray]:
        """Add a rolling ground band whose crest sits at ``base``; return its layer and crest profile."""
        profile = land.ridge_profile(self.rng, self.w, base, height, "hills")
        layers = land.ridge_layers(self.rng, self.w, self.h, profile, self.h, pair_ramp(*pair), kind=kind,
                                   light=self.light, fade_len=self.h * 0.25, haze=self.pal.haze, mist=0.15 * depth,
                                   depth=depth, outline=True, facets=0.35, smooth=16, texture=0.35,
                                   grain=3.0)
        layer = layers[0] if layers else None
        self.add(layer)
        return layer, profile

    def desert(self) -> None:
        """Add three ranks of dunes with crisp lit and shaded sides."""
        pal, h = self.pal, self.h
        ranks = ((self.horizon + 2 * self.unit, h * 0.08, 0.9), (self.horizon + h * 0.12, h * 0.12, 0.6),
                 (self.horizon + h * 0.3, h * 0.14, 0.25))
        for base, height, depth in ranks:
            profile = land.ridge_profile(self.rng, self.w, base, height, "dunes")
            pair = (mix(pal.sand[0], pal.haze, 0.35 * depth), mix(pal.sand[1], pal.haze, 0.3 * depth))
            layers = land.ridge_layers(self.rng, self.w, h, profile, h, pair_ramp(*pair), kind="dune",
                                       light=self.light, fade_len=h * 0.2, haze=pal.haze, mist=0.3 * depth,
                                       depth=depth, outline=True, texture=0.12, grain=3.0, facets=4.0, smooth=2)
            if layers:
                self.add(layers[0])

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

    # -- whole composition ------------------------------------------------------------------------
    def build(self) -> Scene:
        """Compose every part the scene asks for, back to front."""
        s, pal, w, h, u = self.spec, self.pal, self.w, self.h, self.unit
        self.notes: dict = {}
        self.sky()
        if s.mountains and not s.desert:
            self.mountains()
        elif not (s.water == "sea" or s.city or s.desert):
            self.distant_hills()
        if s.city:
            self.city()
        if s.desert:
            self.desert()
        open_water = s.water in ("sea", "lake") or (s.water == "river" and s.city)
        if open_water:
            self.water()
        if s.desert:
            pass
        elif open_water:
            self._shore()
        else:
            self._land()
        if s.snowfall:
            for layer in sky.snowfall_layers(self.rng, w, h, pal):
                self.add(layer)
        _ = u
        return Scene(width=w, height=h, layers=self.layers, palette=pal, horizon=self.horizon, light=self.light,
                     sun=self.sun, spec=s, notes=self.notes)

    def _blades(self) -> tuple[RGB, RGB]:
        """Return grass-blade colours: the ground's own hue, a little deeper, leaning to the foliage."""
        ground, foliage = self.pal.ground, self.pal.foliage
        return (mix(scale(ground[0], 0.92), foliage[0], 0.3), mix(scale(ground[1], 0.8), foliage[1], 0.3))

    def _ground_pairs(self) -> tuple[tuple[RGB, RGB], tuple[RGB, RGB]]:
        pal = self.pal
        ground = pal.ground
        if self.spec.season == "winter" and (self.spec.snowy or self.spec.snowcaps):
            ground = (pal.snow[0], mix(pal.snow[1], pal.snow[0], 0.3))
        mid = (mix(ground[0], pal.haze, 0.3), mix(ground[1], pal.haze, 0.25))
        near = (saturate(ground[0], 1.05), scale(ground[1], 0.92))
        if self.spec.terraces:
            mid = (mix(ground[0], pal.sky[-1], 0.4), scale(ground[1], 0.7))
        if self.spec.flowers == "rapeseed":
            yellow = (self.lit("#f6cf3a"), self.lit("#c7931c"))
            mid = (mix(yellow[0], pal.haze, 0.2), mix(yellow[1], pal.haze, 0.2))
            near = yellow
        elif self.spec.flowers == "lavender":
            purple = (self.lit("#a688d8"), self.lit("#5b428e"))
            mid = (mix(purple[0], pal.haze, 0.25), mix(purple[1], pal.haze, 0.2))
            near = purple
        return mid, near

    def _decorate_field(self, layer: Layer | None) -> Layer | None:
        """Shape a mid-ground layer into terraces or fields; return a patch layer to lay over it."""
        if layer is None:
            return None
        s = self.spec
        if s.terraces:
            land.terrace_shade(layer, self.notes["mid_profile"], self.horizon, self.h, self.rng, 9 * self.unit)
        elif s.flowers == "lavender" or (s.grassland and s.flowers != "rapeseed"):
            land.field_rows(layer, self.horizon, self.w * (0.3 + 0.4 * self.rng.random()), self.rng,
                            rows=70.0, strength=0.3)
        if s.flowers == "rapeseed":
            green = pair_ramp(*self.pal.ground)
            if not s.terraces:
                land.terrace_shade(layer, self.notes["mid_profile"], self.horizon, self.h, self.rng,
                                   16 * self.unit)
            return land.terrace_patches(self.rng, layer, green, 0.35, "field")
        return None

    def _land(self) -> None:
        """Lay mid-ground and foreground bands with fields, villages, rivers, trees and flowers."""
        s, h, w = self.spec, self.h, self.w
        mid_pair, near_pair = self._ground_pairs()
        mid_base = self.horizon + h * (0.05 + 0.04 * self.rng.random())
        mid_height = h * 0.07
        if s.terraces:
            mid_base, mid_height = self.horizon + h * 0.22, h * 0.2
        river_side = 0.5 + (self.rng.random() - 0.5) * 0.5
        profile = land.ridge_profile(self.rng, w, mid_base, mid_height, "hills")
        self.notes["mid_profile"] = profile
        layers = land.ridge_layers(self.rng, w, h, profile, h, pair_ramp(*mid_pair), kind="ground",
                                   light=self.light, fade_len=h * 0.2, haze=self.pal.haze, mist=0.12, depth=0.5,
                                   outline=True, facets=0.35, smooth=16, texture=0.35, grain=3.0)
        mid = layers[0] if layers else None
        patch = self._decorate_field(mid)
        self.add(mid)
        self.add(patch)
        if "forest" in s.trees:
            kind = self._forest_kind()
            self.tree_row(profile, 0.6, kind, 40, h * 0.07)
            self.tree_row(profile, 0.5, kind, 18, h * 0.1, below=h * 0.035)
        elif s.grassland and not s.village:
            self.tree_row(profile, 0.5, "round", 3, h * 0.09, x_range=(0.1, 0.9))
        elif s.trees & {"pine"} or (s.mountains and not s.village and not s.terraces):
            kind = "pine" if ("pine" in s.trees or s.season == "winter") else "round"
            self.tree_row(profile, 0.5, kind, 9, h * 0.065)
        if s.village:
            self.village(profile, 0.45, away_from=river_side * w if s.water == "river" else None)
        near_base = h * (0.86 + 0.05 * self.rng.random())
        near, near_profile = self.ground_band(near_base, h * 0.08, near_pair, 0.15)
        if near is not None and s.flowers in ("rapeseed", "lavender"):
            land.field_rows(near, self.horizon, w * 0.5, self.rng, rows=50.0, strength=0.35)
        if s.water == "river":
            self.river(mid_base + h * 0.02, river_side)
        self._foreground(near_profile)

    def _forest_kind(self) -> str:
        """Pick the tree kind for a forest in this season."""
        if self.spec.season == "winter":
            return "pine"
        if self.spec.season == "autumn":
            return "round"
        return "pine" if self.rng.random() < 0.5 else "round"

    def _shore(self) -> None:
        """Lay a beach or a lake bank in the foreground."""
        s, h, w = self.spec, self.h, self.w
        if s.beach:
            base = h * (0.8 + 0.05 * self.rng.random())
            profile = land.ridge_profile(self.rng, w, base, h * 0.05, "hills")
            layers = land.ridge_layers(self.rng, w, h, profile, h, pair_ramp(*self.pal.sand, highlight=1.03),
                                       kind="beach", light=self.light, fade_len=h * 0.2, depth=0.2, outline=True,
                                       facets=0.2, smooth=20, texture=0.25, grain=4.0)
            foam_color = mix("#ffffff", self.pal.sky[-1], 0.2) if not self.night else scale(self.pal.sky[-1], 1.4)
            for layer in layers:
                self.add(layer)
            shallow = mix(self.pal.water, self.lit("#3fd0c8"), 0.6)
            self.add(land.shallows(w, h, self.horizon, profile, shallow))
            self.add(land.wet_sand(w, h, profile, self.unit, scale(self.pal.sand[1], 0.85)))
            self.add(land.shore_foam(w, h, profile, self.unit, foam_color))
            if "palm" in s.trees:
                self.palms(profile)
            return
        if s.city:
            _, profile = self.ground_band(h * 0.95, h * 0.03, (scale(self.pal.near[1], 0.5),
                                                                scale(self.pal.near[1], 0.35)), 0.1, kind="bank")
            return
        _, near_pair = self._ground_pairs()
        base = h * (0.84 + 0.06 * self.rng.random())
        _, profile = self.ground_band(base, h * 0.07, near_pair, 0.15, kind="bank")
        if not s.flowers and s.season != "winter":
            grass = Sketch(w, h)
            flora.grass_tufts(grass, self.rng, w, float(profile.min()), h * 1.02, 260, h * 0.012, profile)
            blades = self._blades()
            self.add(grass.layer("grass", pair_ramp(*blades), depth=0.12, outline=False))
        self._foreground(profile)

    def _foreground(self, profile: np.ndarray) -> None:
        s, h = self.spec, self.h
        if s.flowers in ("cherry", "peach", "plum"):
            self.blossoms(profile)
        if "forest" in s.trees:
            kind = self._forest_kind()
            self.tree_row(profile, 0.1, kind, 2, h * 0.34, x_range=(0.0, 0.16), below=h * 0.05)
            self.tree_row(profile, 0.1, kind, 2, h * 0.3, x_range=(0.84, 1.0), below=h * 0.05)
        trees = s.trees - {"willow", "forest", "pine", "palm"}
        for kind in sorted(trees):
            self.tree_row(profile, 0.1, kind, 3, h * 0.22, x_range=(0.0, 0.3), below=h * 0.03)
            self.tree_row(profile, 0.1, kind, 2, h * 0.2, x_range=(0.75, 1.0), below=h * 0.03)
        if "pine" in s.trees and not s.village:
            self.tree_row(profile, 0.1, "pine", 2, h * 0.3, x_range=(0.0, 0.15), below=h * 0.04)
        if s.flowers:
            count = 900 if s.flowers in ("rapeseed", "lavender", "generic", "sunflower") else 260
            size = h * (0.012 if s.flowers != "sunflower" else 0.02)
            self.flowers_meadow(float(profile.min()), profile, count, size)
        if "willow" in s.trees:
            self.willows()


def compose(spec: SceneSpec, rng: np.random.Generator, width: int, height: int) -> Scene:
    """Return the layered scene for the features, seeded randomness and size."""
    return Composer(spec, rng, width, height).build()
