"""Offline rehearsal of 混元生图 3.0 with reference images: the first reference (a mascot, a product) in the scene.

The real service draws the character or product into the picture; offline, the reference is placed in the
lower right of the painting, as a cut-out when it has transparency or as a white-bordered card when it has
none, with a soft shadow, so a proof sheet shows where it will be. Deterministic.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from posterbooth.providers.base import ProviderError

#: The reference's share of the picture's width, and its margin from the edges.
WIDTH_SHARE = 0.34
MARGIN_SHARE = 0.05


def _sticker(reference: Image.Image, width: int) -> Image.Image:
    """Return the reference scaled to ``width``: its own cut-out, or a white-bordered card with rounded corners."""
    scale = width / reference.width
    size = (width, max(1, round(reference.height * scale)))
    has_alpha = reference.mode in ("RGBA", "LA") or "transparency" in reference.info
    picture = reference.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    lowest = picture.getchannel("A").getextrema()[0]
    if has_alpha and isinstance(lowest, int) and lowest < 250:
        return picture
    border = max(4, width // 30)
    card = Image.new("RGBA", (size[0] + 2 * border, size[1] + 2 * border), (255, 255, 255, 255))
    card.paste(picture, (border, border), picture)
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=border * 2, fill=255)
    card.putalpha(ImageChops.multiply(card.getchannel("A"), mask))
    return card


def place_reference(image: Image.Image, data: bytes) -> Image.Image:
    """Return the painting with the reference image placed in its lower right, with a soft shadow."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            reference = opened.copy()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ProviderError("bad_request", "bad_input", f"the reference image cannot be read: {exc}") from None
    base = image.convert("RGBA")
    sticker = _sticker(reference, max(16, round(base.width * WIDTH_SHARE)))
    if sticker.height > base.height * 0.6:  # a tall reference: fit it by height
        sticker = _sticker(reference, max(16, round(sticker.width * base.height * 0.6 / sticker.height)))
    margin = round(min(base.size) * MARGIN_SHARE)
    x, y = base.width - sticker.width - margin, base.height - sticker.height - margin
    shadow = Image.new("RGBA", base.size, (0, 0, 0, 0))
    alpha = sticker.getchannel("A").point(lambda a: a * 0.45)
    offset = max(2, margin // 4)
    shadow.paste(Image.new("RGBA", sticker.size, (20, 24, 40, 255)), (x + offset, y + offset), alpha)
    base = Image.alpha_composite(base, shadow.filter(ImageFilter.GaussianBlur(max(2, margin // 3))))
    base.alpha_composite(sticker, (x, y))
    return base.convert("RGB")
