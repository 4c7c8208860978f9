"""Page colours that meet WCAG AA: a campaign's theme, adjusted where its colours are too faint."""

from __future__ import annotations

import functools

WHITE = "#FFFFFF"
#: WCAG 2.1 AA for normal-size text.
AA = 4.5
#: How far the muted text colour sits from the ink towards the background before it is checked.
MUTED_MIX = 0.45


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02X}" for c in rgb)


def _luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """Return ``color`` moved ``amount`` (0 to 1) of the way towards ``other``."""
    a, b = _rgb(color), _rgb(other)
    r, g, bl = (x + (y - x) * amount for x, y in zip(a, b, strict=True))
    return _hex((r, g, bl))


def readable(color: str, backgrounds: tuple[str, ...], minimum: float = AA) -> str:
    """Return the colour, darkened (or lightened on dark backgrounds) just enough to reach ``minimum`` on each."""
    dark_backgrounds = sum(_luminance(bg) < 0.18 for bg in backgrounds) > len(backgrounds) / 2
    target = WHITE if dark_backgrounds else "#000000"
    for step in range(0, 101):
        candidate = mix(color, target, step / 100) if step else color.upper()
        if all(contrast(candidate, bg) >= minimum for bg in backgrounds):
            return candidate
    return target


@functools.lru_cache(maxsize=256)
def theme_style(primary: str, background: str, text: str) -> str:
    """Return the page's CSS custom properties for a theme, each text colour at AA contrast or better."""
    ink = readable(text, (background, WHITE))
    # The primary colour is text on the page and the card, and the background of white button labels.
    accent = readable(primary, (background, WHITE))
    muted = readable(mix(ink, background, MUTED_MIX), (background, WHITE))
    return f"--primary:{accent};--bg:{background};--ink:{ink};--muted:{muted}"
