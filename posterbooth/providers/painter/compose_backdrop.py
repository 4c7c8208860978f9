"""The scene's backdrop: sky, mountains, city skyline, open water, rivers, ground bands and dunes."""

from __future__ import annotations

import numpy as np

from . import built, land, sky
from .color import RGB, mix, ramp, rgb, scale
from .compose_base import SceneParts, pair_ramp
from .fast import blur
from .layers import Layer, Sketch
from .water import water_layer


class Backdrop(SceneParts):
    """Add the far parts of a scene."""

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
