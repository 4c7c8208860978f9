""""Change it" edits offline: an instruction's keywords change the scene the first picture was painted from.

The first picture's scene (its prompt's features, with what the seed chose for the rest) is kept, and each
instruction, oldest first, changes what it names: the time of day (sunset/日落, dawn/日出, night/夜), the season
and snow (snow/雪 also makes it fall), mist and clouds, and scenery it adds (a lake, cherry blossoms, a pagoda…).
The same conversation always paints the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable

from .keywords import SceneSpec, read_prompt

_SET_WHEN_SAID = ("mountains", "water", "flowers", "village")
_FLAGS = ("beach", "city", "neon", "pagoda", "desert", "grassland", "terraces", "mist")


def apply_edits(spec: SceneSpec, instructions: Iterable[str]) -> SceneSpec:
    """Change a filled-in scene by each instruction in turn (later instructions win); return it."""
    for text in instructions:
        said = read_prompt(text)
        if said.time:
            night = said.time == "night"
            spec.time = said.time
            spec.stars = said.stars or (night and spec.stars)
            spec.moon = said.moon or (night and spec.moon)
            spec.clouds = -1.0  # chosen again for the new light
        if said.season:
            spec.season = said.season
            if said.season != "winter":
                spec.snowy = spec.snowfall = spec.snowcaps = False
        if said.snowy or said.snowfall:
            spec.snowy = spec.snowfall = True
            spec.season = "winter"
        if spec.season == "winter" and spec.mountains in ("peaks", "karst"):
            spec.snowcaps = True
        if said.clouds >= 0:
            spec.clouds = said.clouds
        for name in _SET_WHEN_SAID:
            if getattr(said, name):
                setattr(spec, name, getattr(said, name))
        for name in _FLAGS:
            if getattr(said, name):
                setattr(spec, name, True)
        spec.trees |= said.trees
        spec.matched += said.matched
    return spec
