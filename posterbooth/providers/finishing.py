"""Poster finishing: which ratio a picture is outpainted to, and the offline equivalents of the two steps.

``outpaint`` extends the picture to the poster image box's ratio (the nearest of :data:`OUTPAINT_RATIOS`, the
ratios Tencent's ImageOutpainting offers), so it fills the box instead of being cropped; offline, the picture
is extended with a mirrored, blurred, slightly dimmed copy of its own edges. ``refine`` is super-resolution
(RefineImage: long side 2048 px); offline, a Lanczos upscale with an unsharp mask.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image

from posterbooth.providers.base import FinishRequest, GeneratedImage, ProviderError

#: The ratios a picture can be outpainted to (ImageOutpainting's ``Ratio``).
OUTPAINT_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16")
#: The order finishing steps run in: outpaint the generated picture, then sharpen the whole.
STEPS = ("outpaint", "refine")
#: Long side of a refined picture (RefineImage's fixed output).
REFINED_LONG_SIDE = 2048
#: Two ratios this close (relative) are the same ratio: nothing to outpaint.
SAME_RATIO = 0.02
MODEL = "posterbooth-offline-finish"


def ratio_value(ratio: str) -> float:
    """Return width / height of a 'W:H' ratio."""
    w, h = (int(v) for v in ratio.split(":"))
    return w / h


def nearest_ratio(width: int, height: int) -> str:
    """Return the outpainting ratio nearest to width × height (compared on a log scale)."""
    target = math.log(max(width, 1) / max(height, 1))
    return min(OUTPAINT_RATIOS, key=lambda r: abs(math.log(ratio_value(r)) - target))


def same_ratio(width: int, height: int, ratio: str) -> bool:
    """Tell whether a width × height picture already has ``ratio`` (within :data:`SAME_RATIO`)."""
    return abs(math.log(max(width, 1) / max(height, 1)) - math.log(ratio_value(ratio))) < SAME_RATIO


def extended_size(width: int, height: int, ratio: str) -> tuple[int, int]:
    """Return the size of a picture extended (never cropped) to ``ratio``."""
    target = ratio_value(ratio)
    if width / height < target:
        return round(height * target), height
    return width, round(width / target)


def _decode(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ProviderError("bad_request", "bad_input", f"the picture to finish cannot be read: {exc}") from None
    return image.convert("RGB")


def outpaint(image: Image.Image, ratio: str) -> Image.Image:
    """Extend a picture to ``ratio`` with a mirrored, blurred and slightly dimmed copy of its own edges.

    The mirror is taken a little inside the picture (painted pictures often have a pale paper edge), and the
    picture's outer band fades into the blur, so there is no seam.
    """
    width, height = image.size
    new_w, new_h = extended_size(width, height, ratio)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    right, bottom = new_w - width - left, new_h - height - top
    src = np.asarray(image, dtype=np.uint8)
    band = max(4, round(min(width, height) * 0.05))
    mx, my = (band if left or right else 0), (band if top or bottom else 0)
    inner = src[my:height - my, mx:width - mx]
    mirrored = cv2.copyMakeBorder(inner, top + my, bottom + my, left + mx, right + mx, cv2.BORDER_REFLECT_101)
    blurred = cv2.GaussianBlur(mirrored, (0, 0), max(new_w, new_h) * 0.022).astype(np.float32)
    ys = np.arange(new_h, dtype=np.float32)[:, None]
    xs = np.arange(new_w, dtype=np.float32)[None, :]
    # Signed distance outside the picture along the extended sides (negative inside).
    dx = np.maximum(left - xs, xs - (left + width - 1)) if mx else np.full_like(xs, -np.inf)
    dy = np.maximum(top - ys, ys - (top + height - 1)) if my else np.full_like(ys, -np.inf)
    outside = np.maximum(dx, dy)
    weight = np.clip(1 + outside / band, 0, 1)[..., None]  # 0 deep inside, 1 at the edge and beyond
    canvas = np.zeros((new_h, new_w, 3), np.float32)
    canvas[top:top + height, left:left + width] = src
    out = canvas * (1 - weight) + blurred * weight
    fade = np.clip(outside / max(1.0, left, right, top, bottom), 0, 1)[..., None]
    mean = out.mean(axis=2, keepdims=True)
    # Farther out, the extension recedes: a little darker and less saturated.
    out = (mean + (out - mean) * (1 - 0.22 * fade)) * (1 - 0.14 * fade)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def upscale(image: Image.Image, long_side: int = REFINED_LONG_SIDE) -> Image.Image:
    """Enlarge a picture to ``long_side`` (Lanczos) and sharpen it with an unsharp mask."""
    width, height = image.size
    scale = max(1.0, long_side / max(width, height))
    size = (round(width * scale), round(height * scale))
    src = np.asarray(image, dtype=np.uint8)
    enlarged = cv2.resize(src, size, interpolation=cv2.INTER_LANCZOS4) if scale > 1 else src
    soft = cv2.GaussianBlur(enlarged, (0, 0), 1.2 * scale)
    sharp = cv2.addWeighted(enlarged, 1.6, soft, -0.6, 0)
    return Image.fromarray(sharp, "RGB")


def finish_offline(request: FinishRequest) -> GeneratedImage:
    """Run a finishing step locally: the offline provider's, and the fallback of providers without one."""
    image = _decode(request.image)
    if request.step == "outpaint":
        if request.ratio not in OUTPAINT_RATIOS:
            raise ProviderError("bad_request", "bad_ratio", f"cannot outpaint to {request.ratio!r}")
        finished = outpaint(image, request.ratio)
    elif request.step == "refine":
        finished = upscale(image)
    else:
        raise ProviderError("bad_request", "unknown_step", f"unknown finishing step {request.step!r}")
    out = io.BytesIO()
    finished.save(out, "PNG", compress_level=1)
    return GeneratedImage(out.getvalue(), "image/png", "offline", model=f"{MODEL}/{request.step}")
