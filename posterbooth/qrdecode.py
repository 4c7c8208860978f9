"""Read the QR code on a poster the way a phone would: whole image first, then closer (OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image


def decode_poster_qr(poster: Image.Image, tile: tuple[int, int, int] | None = None) -> str:
    """Return the text of the poster's QR code ('' if unreadable); ``tile`` is the layout's (x, y, size)."""
    views = [poster]
    if tile is not None:
        x, y, size = tile
        views.append(poster.crop((max(0, x - 40), max(0, y - 40), x + size + 40, y + size + 40)))
    for view in views:
        gray = np.asarray(view.convert("L"))
        for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
            text, _points, _ = detector.detectAndDecode(gray)
            if text:
                return text
    return ""
