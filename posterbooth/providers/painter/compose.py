"""Compose a scene: turn scene features and a seed into back-to-front layers."""

from __future__ import annotations

import numpy as np

from . import flora, land, sky
from .color import RGB, mix, saturate, scale
from .compose_backdrop import Backdrop
from .compose_base import FLOWER_COLORS, TEMPLATES, Scene, fill_defaults, pair_ramp
from .compose_details import Details
from .keywords import SceneSpec
from .layers import Layer, Sketch
from .palettes import make_palette

__all__ = ["FLOWER_COLORS", "TEMPLATES", "Composer", "Scene", "compose", "fill_defaults", "pair_ramp"]


class Composer(Backdrop, Details):
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
