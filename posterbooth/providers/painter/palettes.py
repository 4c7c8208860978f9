"""Hand-tuned colour sets for time of day and season."""

from __future__ import annotations

from dataclasses import dataclass

from .color import RGB, mix, rgb, saturate

SKIES: dict[str, list[str]] = {
    "day": ["#2f6fc4", "#5a9ae0", "#9cc6ee", "#d9ecf6"],
    "sunset": ["#27305e", "#583f7c", "#b45f80", "#ec8a62", "#f9bf78", "#ffe1a8"],
    "dawn": ["#4f6ba6", "#8c8cc2", "#d9a3bd", "#f6c9b4", "#fff0d9"],
    "night": ["#040919", "#0b1534", "#172a5c", "#2c4580"],
    "neon": ["#060518", "#160f40", "#3b1c66", "#86307d", "#d8508a"],
}

CLOUDS: dict[str, list[str]] = {
    "day": ["#9fb3cc", "#d7e2ee", "#f6f9fc", "#ffffff"],
    "sunset": ["#59457a", "#b8708f", "#f3a482", "#ffe0b0"],
    "dawn": ["#8f8cb8", "#d9a9be", "#f9d6c8", "#fff5ea"],
    "night": ["#141d40", "#25325e", "#3e4c7c", "#6a78a4"],
    "neon": ["#1d1240", "#3a2060", "#6a3478", "#b95590"],
}

SUN: dict[str, tuple[str, str]] = {
    "day": ("#fffbe8", "#fff1c4"),
    "sunset": ("#fff0c8", "#ff9a55"),
    "dawn": ("#fff6e0", "#ffbf8a"),
    "night": ("#f6f1dc", "#a9b8e0"),
    "neon": ("#f8e9ff", "#e070c0"),
}

#: Daylight material colours per season: (lit, shadow) pairs.
SEASON_GROUND: dict[str, dict[str, tuple[str, str]]] = {
    "spring": {"ground": ("#b5d67e", "#6d9f52"), "foliage": ("#9fd36a", "#3f8047"),
               "near": ("#7ea882", "#4a7a68"), "far": ("#a9c5d8", "#8fb0c9")},
    "summer": {"ground": ("#86bb52", "#3f7a3a"), "foliage": ("#6aad43", "#245c33"),
               "near": ("#5e8f6e", "#34604f"), "far": ("#9ab7d0", "#7d9fbf")},
    "autumn": {"ground": ("#e2b860", "#a0682f"), "foliage": ("#f0a040", "#a8452a"),
               "near": ("#9b8662", "#6a5446"), "far": ("#bcb8cc", "#9d9ab5")},
    "winter": {"ground": ("#f4f7fb", "#bccbdd"), "foliage": ("#6e8a78", "#2f4a45"),
               "near": ("#8496b0", "#5d6f8c"), "far": ("#c7d3e0", "#a9b9cd")},
    "winter_dry": {"ground": ("#c9bd94", "#87805f"), "foliage": ("#6e8a78", "#2f4a45"),
                   "near": ("#8a8f9a", "#60677a"), "far": ("#c3cad6", "#a8b2c4")},
}

#: Light colour, exposure and ambient colour per time of day.
LIGHT: dict[str, tuple[str, float, str, float]] = {
    "day": ("#ffffff", 1.0, "#d9ecf6", 0.0),
    "sunset": ("#ffbe88", 0.92, "#6a4a82", 0.16),
    "dawn": ("#ffe0d0", 0.92, "#9c90c4", 0.14),
    "night": ("#8aa0e0", 0.42, "#0d1838", 0.45),
    "neon": ("#b090e0", 0.40, "#1a1040", 0.45),
}


@dataclass
class Palette:
    """All colours one scene uses, already lit for its time of day."""

    mood: str
    sky: list[str]
    cloud: list[str]
    sun: RGB
    glow: RGB
    haze: RGB
    far: tuple[RGB, RGB]
    near: tuple[RGB, RGB]
    ground: tuple[RGB, RGB]
    foliage: tuple[RGB, RGB]
    snow: tuple[RGB, RGB]
    water: RGB
    sand: tuple[RGB, RGB]
    trunk: RGB
    window: RGB
    star: RGB

    def light(self, color: str | RGB) -> RGB:
        """Return a daylight material colour as seen under this palette's light."""
        return lit(color, self.mood)


def lit(color: str | RGB, mood: str) -> RGB:
    """Return ``color`` tinted by the light, exposure and ambient of a time of day."""
    tint, exposure, ambient, amount = LIGHT[mood]
    c = rgb(color)
    t = rgb(tint)
    shaded = tuple(min(1.0, x * y * exposure) for x, y in zip(c, t, strict=True))
    return mix(shaded, ambient, amount)


def make_palette(time: str, season: str, *, snowy: bool, neon: bool) -> Palette:
    """Return the palette for a time of day ("day", "sunset", "dawn", "night") and season."""
    mood = "neon" if (neon and time == "night") else time
    key = season if season != "winter" or snowy else "winter_dry"
    mats = SEASON_GROUND[key]
    sky = SKIES[mood]
    if time == "day" and season == "winter":
        sky = ["#6f9cc8", "#98bde0", "#c9def0", "#eef4f8"]
    elif time == "day" and season == "autumn":
        sky = ["#3f78c0", "#6fa3dc", "#b3d0ea", "#f1ead8"]
    elif time == "day" and season == "spring":
        sky = ["#4a86cc", "#79b0e4", "#b6d8f0", "#eef5ee"]
    horizon = rgb(sky[-1])
    sun, glow = SUN[mood]

    def pair(name: str) -> tuple[RGB, RGB]:
        """Return a season material pair lit for this time of day."""
        a, b = mats[name]
        return (lit(a, mood), lit(b, mood))

    far_lit, far_dark = mats["far"]
    far = (mix(lit(far_lit, mood), horizon, 0.35), mix(lit(far_dark, mood), horizon, 0.3))
    if time in ("night",):
        far = (mix(far[0], sky[-2], 0.5), mix(far[1], sky[-2], 0.5))
    water = {"day": "#3d86b8", "sunset": "#5a4f86", "dawn": "#7a86b8", "night": "#0f1d44",
             "neon": "#1a1240"}[mood]
    snow = (lit("#ffffff", mood), lit("#b8c8e4", mood))
    if mood == "sunset":
        snow = (rgb("#ffe6cc"), rgb("#9c88b4"))
    elif mood == "dawn":
        snow = (rgb("#fff0ea"), rgb("#a8a4cc"))
    sand = (lit("#f0d29a", mood), lit("#c09058", mood))
    window = rgb("#ffd27a") if time in ("night", "sunset") else rgb("#9fc0dc")
    return Palette(
        mood=mood,
        sky=sky,
        cloud=CLOUDS[mood],
        sun=rgb(sun),
        glow=rgb(glow),
        haze=saturate(horizon, 0.9),
        far=far,
        near=pair("near"),
        ground=pair("ground"),
        foliage=pair("foliage"),
        snow=snow,
        water=rgb(water),
        sand=sand,
        trunk=lit("#5a4030", mood),
        window=window,
        star=rgb("#fff8e8"),
    )
