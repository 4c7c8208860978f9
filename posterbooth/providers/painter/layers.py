"""Scene layers: coverage, shading and colour ramp for one painted element."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .fast import blur


@dataclass
class Layer:
    """One element of the picture, composited back to front by a style.

    ``alpha`` is coverage and ``t`` is shading (0 = shadow, 1 = light), both
    float32 arrays of shape ``(y1 - y0, width)`` (``t`` may be a scalar).
    ``ramp`` turns shading into colour.  ``fade`` (0 at the top of a form,
    1 at its foot) lets styles dissolve forms into ``haze`` mist.
    """

    kind: str
    y0: int
    y1: int
    alpha: np.ndarray
    t: np.ndarray | float
    ramp: np.ndarray
    fade: np.ndarray | None = None
    haze: tuple[float, float, float] | None = None
    mist: float = 0.0
    depth: float = 0.5
    outline: bool = False
    glow: bool = False
    accent: bool = False
    shadow: bool = False
    extra: dict = field(default_factory=dict)


class Sketch:
    """Draw anti-aliased shapes into coverage and shading buffers, then cut them into a Layer."""

    def __init__(self, width: int, height: int) -> None:
        """Start empty full-frame buffers."""
        self.width = width
        self.height = height
        self.alpha = np.zeros((height, width), dtype=np.uint8)
        self.shade = np.zeros((height, width), dtype=np.uint8)
        self.ymin = height
        self.ymax = 0

    def _track(self, y_lo: float, y_hi: float) -> None:
        self.ymin = max(0, min(self.ymin, int(y_lo) - 2))
        self.ymax = min(self.height, max(self.ymax, int(y_hi) + 3))

    def circle(self, x: float, y: float, r: float, t: float, a: int = 255) -> None:
        """Fill a circle with shade ``t``."""
        r = max(1, int(round(r)))
        c = (int(round(x)), int(round(y)))
        cv2.circle(self.alpha, c, r, a, -1, cv2.LINE_AA)
        cv2.circle(self.shade, c, r, int(t * 255), -1, cv2.LINE_8)
        self._track(y - r, y + r)

    def ellipse(self, x: float, y: float, rx: float, ry: float, angle: float, t: float, a: int = 255) -> None:
        """Fill a rotated ellipse with shade ``t``."""
        c = (int(round(x)), int(round(y)))
        axes = (max(1, int(round(rx))), max(1, int(round(ry))))
        cv2.ellipse(self.alpha, c, axes, angle, 0, 360, a, -1, cv2.LINE_AA)
        cv2.ellipse(self.shade, c, axes, angle, 0, 360, int(t * 255), -1, cv2.LINE_8)
        rr = max(rx, ry)
        self._track(y - rr, y + rr)

    def poly(self, points: np.ndarray | list, t: float, a: int = 255) -> None:
        """Fill a polygon given as an (n, 2) array of x, y points."""
        pts = np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(self.alpha, [pts], a, cv2.LINE_AA)
        cv2.fillPoly(self.shade, [pts], int(t * 255), cv2.LINE_8)
        self._track(pts[:, 0, 1].min(), pts[:, 0, 1].max())

    def rect(self, x0: float, y0: float, x1: float, y1: float, t: float, a: int = 255) -> None:
        """Fill an axis-aligned rectangle."""
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], t, a)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float, t: float, a: int = 255) -> None:
        """Draw a thick line segment."""
        w = max(1, int(round(width)))
        p0 = (int(round(x0)), int(round(y0)))
        p1 = (int(round(x1)), int(round(y1)))
        cv2.line(self.alpha, p0, p1, a, w, cv2.LINE_AA)
        cv2.line(self.shade, p0, p1, int(t * 255), w, cv2.LINE_8)
        self._track(min(y0, y1) - w, max(y0, y1) + w)

    def polyline(self, points: np.ndarray | list, width: float, t: float, a: int = 255) -> None:
        """Draw an open thick polyline."""
        pts = np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
        w = max(1, int(round(width)))
        cv2.polylines(self.alpha, [pts], False, a, w, cv2.LINE_AA)
        cv2.polylines(self.shade, [pts], False, int(t * 255), w, cv2.LINE_8)
        self._track(pts[:, 0, 1].min() - w, pts[:, 0, 1].max() + w)

    def empty(self) -> bool:
        """Tell whether nothing has been drawn."""
        return self.ymax <= self.ymin

    def layer(self, kind: str, ramp: np.ndarray, *, soften: float = 0.0, **kwargs: object) -> Layer | None:
        """Cut the drawn band into a Layer (None if nothing was drawn); ``soften`` blurs the shading."""
        if self.empty():
            return None
        y0, y1 = self.ymin, self.ymax
        alpha = self.alpha[y0:y1].astype(np.float32) * (1.0 / 255.0)
        shade = self.shade[y0:y1].astype(np.float32) * (1.0 / 255.0)
        if soften > 0:
            weight = blur(alpha, soften)
            shade = blur(shade * alpha, soften) / np.maximum(weight, 1e-3)
        return Layer(kind=kind, y0=y0, y1=y1, alpha=alpha, t=shade, ramp=ramp, **kwargs)  # type: ignore[arg-type]
