"""Find the face in a photo without a model: a skin-tone blob search, else a portrait-centre guess.

OpenCV 5's Python wheels no longer ship Haar cascades (``cv2.CascadeClassifier`` moved out of
the main package) and its DNN face detector needs a model file, so the offline provider
locates a face by colour: the largest well-shaped skin-coloured region in the upper part of
the picture. When nothing convincing is found it falls back to where a selfie puts the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .pixels import limit_side


@dataclass(frozen=True)
class FaceBox:
    """A face's box in pixels; ``found`` is False when it is the fallback guess."""

    x: int
    y: int
    width: int
    height: int
    found: bool

    @property
    def centre(self) -> tuple[float, float]:
        """Return the box centre (x, y) in pixels."""
        return self.x + self.width / 2, self.y + self.height / 2


def guess_face(width: int, height: int) -> FaceBox:
    """Return where a selfie or portrait usually has its face: centred, a little above the middle."""
    side = int(min(width, height) * 0.42)
    cx, cy = width / 2, height * (0.42 if height > width else 0.45)
    return FaceBox(int(cx - side / 2), int(max(0, cy - side * 0.6)), side, int(side * 1.2), found=False)


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """Return a uint8 mask (255 = skin-coloured) using the classic YCrCb skin range."""
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    mask: np.ndarray = cv2.inRange(ycrcb, (50, 136, 80), (250, 178, 128))
    # Warm but not saturated: exclude orange/red objects that fall into the Cr range.
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    warm: np.ndarray = cv2.inRange(hsv, (0, 25, 50), (25, 190, 255))
    mask &= warm | cv2.inRange(hsv, (165, 25, 50), (180, 150, 255))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)


def find_face(rgb: np.ndarray) -> FaceBox:
    """Return the most face-like skin region of an RGB array, or the portrait-centre guess."""
    height, width = rgb.shape[:2]
    small = limit_side(rgb, 320)
    scale = width / small.shape[1]
    mask = skin_mask(small)
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    sh, sw = mask.shape
    best: tuple[float, FaceBox] | None = None
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if area < 0.004 * sw * sh or area > 0.5 * sw * sh or w < 8:
            continue
        # A face joined to its neck is tall: keep the top part, about 1.3 times as tall as wide.
        h = min(h, int(w * 1.35))
        aspect = h / w
        if not 0.7 <= aspect <= 1.8:
            continue
        fill = float(np.count_nonzero(mask[y:y + h, x:x + w])) / (w * h)
        if fill < 0.45:
            continue
        centre_x = (x + w / 2) / sw
        top = y / sh
        score = area * fill * (1.2 - abs(centre_x - 0.5)) * (1.3 - top)
        box = FaceBox(int(x * scale), int(y * scale), int(w * scale), int(h * scale), found=True)
        if best is None or score > best[0]:
            best = (score, box)
    return best[1] if best is not None else guess_face(width, height)


def square_around(box: FaceBox, width: int, height: int, margin: float = 2.4,
                  drop: float = 0.12) -> tuple[int, int, int]:
    """Return (x, y, side) of a square around a face, its centre moved down by ``drop`` face heights.

    The square is kept inside the image (shrunk when the image is smaller).
    """
    side = int(max(box.width, box.height) * margin)
    side = max(16, min(side, width, height))
    cx, cy = box.centre
    cy += box.height * drop  # portraits show more chin and shoulders than forehead
    x = int(np.clip(cx - side / 2, 0, width - side))
    y = int(np.clip(cy - side / 2, 0, height - side))
    return x, y, side
