"""Checks of one rendered poster: texts cut or overflowing their box, text contrast, the QR code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from posterbooth.qrdecode import decode_poster_qr
from posterbooth.textdraw import DrawnText

#: WCAG 2.1 AA contrast for normal text and for large text.
AA_NORMAL = 4.5
AA_LARGE = 3.0
#: Posters are judged as seen full-width on a phone this many CSS pixels wide (a 1080-px poster at 390 px).
VIEW_WIDTH = 390
#: WCAG's large text: 18 pt (24 CSS px), or 14 pt (18.66 CSS px) when bold.
LARGE_PX = 24.0
LARGE_BOLD_PX = 18.66
#: The contrast reported is the one at least this share of the text's backdrop reaches (the worst 10% is
#: what a reader struggles with over a busy picture).
PERCENTILE = 10
#: Overflow smaller than this many pixels is rounding, not a problem.
OVERFLOW_SLACK = 1.0


@dataclass(frozen=True)
class TextCheck:
    """What was found about one drawn text."""

    part: str
    name: str
    text: str
    size: int
    truncated: bool
    overflow: tuple[float, float]
    contrast: float
    needed: float

    @property
    def where(self) -> str:
        """Return the text's place, e.g. "poster texts[1]"."""
        return f"{self.part} {self.name}"

    @property
    def low_contrast(self) -> bool:
        """Tell whether the text's contrast is below WCAG AA."""
        return self.contrast < self.needed

    @property
    def overflows(self) -> bool:
        """Tell whether the text reaches past its box."""
        return max(self.overflow) > OVERFLOW_SLACK


def _linear(rgb: np.ndarray) -> np.ndarray:
    value = rgb / 255.0
    return np.where(value <= 0.04045, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    lin = _linear(rgb)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def measured_contrast(drawn: DrawnText) -> float:
    """Return the WCAG contrast of the text against the pixels right behind its glyphs (10th percentile)."""
    ink = drawn.ink()
    grow = max(3, (drawn.fitted.size // 6) | 1)
    under = np.asarray(ink.filter(ImageFilter.MaxFilter(grow))) > 0
    if not under.any():
        return 21.0
    backdrop = np.asarray(drawn.backdrop.convert("RGB"), dtype=float)[under]
    colour = np.asarray(drawn.color[:3], dtype=float)
    alpha = drawn.color[3] / 255
    seen = colour * alpha + backdrop * (1 - alpha)  # a translucent text colour over each pixel
    text_l, back_l = _luminance(seen), _luminance(backdrop)
    ratios = (np.maximum(text_l, back_l) + 0.05) / (np.minimum(text_l, back_l) + 0.05)
    return float(np.percentile(ratios, PERCENTILE))


def needed_contrast(drawn: DrawnText, canvas_width: int) -> float:
    """Return the contrast WCAG AA asks of this text: 3:1 when large as seen on a phone, else 4.5:1."""
    css_px = drawn.fitted.size * VIEW_WIDTH / canvas_width
    bold = drawn.fitted.font.bold
    large = css_px >= LARGE_PX or (bold and css_px >= LARGE_BOLD_PX)
    return AA_LARGE if large else AA_NORMAL


def check_text(drawn: DrawnText, canvas_width: int) -> TextCheck:
    """Check one drawn text: cut with '…', past its box, contrast against what is behind it."""
    x, y, width, height = drawn.box
    return TextCheck(
        part=drawn.part, name=drawn.name, text="\n".join(drawn.fitted.lines), size=drawn.fitted.size,
        truncated=drawn.fitted.truncated, overflow=drawn.fitted.overflow(width, height, drawn.line_height),
        contrast=round(measured_contrast(drawn), 2), needed=needed_contrast(drawn, canvas_width),
    )


def decode_qr(poster: Image.Image, tile: tuple[int, int, int] | None) -> str:
    """Return what the poster's QR code says when read from the image ('' when it does not decode)."""
    return decode_poster_qr(poster, tile)
