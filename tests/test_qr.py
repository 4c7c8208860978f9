"""QR codes decode back to their URL in every format we produce."""

from __future__ import annotations

import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from posterbooth.qr import qr_image, qr_png, qr_svg

URL = "https://event.example.com/c/spring-outing?ref=7Kq2xYz"


def _decode(gray: np.ndarray) -> str:
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(gray)
    return text


def test_png_is_large_and_decodes() -> None:
    data = qr_png(URL)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.width == image.height
    assert image.width >= 20 * (25 + 8)  # at least version 2 plus the quiet zone, 20 px a module
    assert _decode(np.asarray(image.convert("L"))) == URL


def test_png_box_size_is_honoured() -> None:
    small = Image.open(io.BytesIO(qr_png(URL, box_size=4)))
    large = Image.open(io.BytesIO(qr_png(URL, box_size=12)))
    assert large.width == small.width * 3


@pytest.mark.parametrize("size", [120, 184, 333])
def test_raster_image_has_exact_size_and_decodes(size: int) -> None:
    image = qr_image(URL, size)
    assert image.size == (size, size)
    assert image.mode == "RGB"
    gray = np.asarray(image.convert("L"))
    assert (gray[:3, :] == 255).all() and (gray[:, :3] == 255).all()  # white quiet zone
    assert _decode(gray) == URL


def test_raster_image_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        qr_image(URL, 20)
    with pytest.raises(ValueError, match="empty"):
        qr_image("", 200)


def test_svg_draws_the_same_code() -> None:
    svg = qr_svg(URL).decode("utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    assert "<path" in svg
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view is not None
    n = int(view.group(1))
    # Rasterise the path's unit squares ourselves and scan the result.
    grid = np.full((n, n), 255, dtype=np.uint8)
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", svg)
    assert squares
    for x0, y0, x1, y1 in squares:
        grid[int(float(y0)) : int(float(y1)), int(float(x0)) : int(float(x1))] = 0
    big = cv2.resize(grid, (n * 10, n * 10), interpolation=cv2.INTER_NEAREST)
    assert _decode(big) == URL
