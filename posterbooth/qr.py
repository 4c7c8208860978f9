"""Make QR codes for posters (raster), print (large PNG) and the web (SVG)."""

from __future__ import annotations

import functools
import io

import qrcode
import qrcode.constants
import qrcode.image.svg
from PIL import Image

#: Width of the light margin around the code, in modules (the QR standard asks for 4).
QUIET_ZONE = 4


def _matrix(url: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


@functools.lru_cache(maxsize=256)
def _qr_image(url: str, size: int, border: int) -> Image.Image:
    matrix = _matrix(url)
    modules = len(matrix) + 2 * border
    if size < modules:
        raise ValueError(f"a QR code of {modules} modules does not fit in {size} px; make it larger")
    # Draw one pixel per module, then scale by a whole factor so every module has the same size.
    code = Image.new("1", (len(matrix), len(matrix)), 1)
    code.putdata([0 if dark else 1 for row in matrix for dark in row])
    scale = size // modules
    code = code.resize((len(matrix) * scale, len(matrix) * scale), Image.Resampling.NEAREST)
    out = Image.new("L", (size, size), 255)
    offset = (size - code.width) // 2
    out.paste(code.convert("L"), (offset, offset))
    return out.convert("RGB")


def qr_image(url: str, size: int, *, border: int = QUIET_ZONE) -> Image.Image:
    """Return a size×size RGB QR code (error correction M) with a white quiet zone."""
    if not url:
        raise ValueError("QR code URL is empty")
    return _qr_image(url, int(size), int(border)).copy()


def qr_png(url: str, box_size: int = 20) -> bytes:
    """Return a large print-ready PNG of the QR code (box_size px per module)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=QUIET_ZONE
    )
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image()
    buf = io.BytesIO()
    image.convert("1").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def qr_svg(url: str) -> bytes:
    """Return the QR code as an SVG document: one path on a white background."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().to_string(encoding="utf-8")
