"""What composing a scene shares: the Scene result, colour ramps, seeded defaults and the parts' state."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .color import RGB, ramp, saturate, scale
from .keywords import SceneSpec
from .layers import Layer
from .palettes import Palette

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



class SceneParts:
    """The state every scene part draws with (set up by :class:`~.compose.Composer`)."""

    spec: SceneSpec
    rng: np.random.Generator
    w: int
    h: int
    unit: float
    layers: list[Layer]
    pal: Palette
    horizon: float
    sun: tuple[float, float]
    light: float
    night: bool
    notes: dict

    # -- helpers -----------------------------------------------------------------------------------
    def add(self, layer: Layer | None) -> None:
        """Append a layer if there is one."""
        if layer is not None:
            self.layers.append(layer)

    def lit(self, color: str | RGB) -> RGB:
        """Return a daylight colour as seen in this scene's light."""
        return self.pal.light(color)

