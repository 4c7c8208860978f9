"""Run a photo generation kind offline: restyle, avatar, meme, sketch colouring, product background, portrait.

``render_offline`` is the one entry point the offline provider calls for kinds that start from
the attendee's photo. ``text_to_image`` is not here: the offline painter does it.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from posterbooth.providers.base import ProviderError
from posterbooth.schema import KIND_ROLES

from .avatar import avatar
from .background import product_background
from .filters import apply_filter, canonical_filter
from .glam import glam_swap
from .meme import MAX_SIDE as MEME_MAX_SIDE
from .meme import canonical_motion, meme_gif
from .pixels import fit_size, limit_side, resize, to_rgb
from .portrait import portrait
from .sketch import colour_sketch

#: The named input images each kind needs (the web stores uploads under these names).
KIND_INPUTS: dict[str, tuple[str, ...]] = {kind: roles for kind, roles in KIND_ROLES.items() if roles}
PHOTO_KINDS = tuple(KIND_INPUTS)
#: Kinds the offline provider can really do (try-on needs a model and a real provider).
OFFLINE_KINDS = ("image_to_image", "avatar", "meme", "sketch_to_image", "product_background", "glam", "portrait")
JPEG_QUALITY = 92

TRY_ON_MESSAGE = (
    "Virtual try-on (dressing a model photo in a garment photo) needs a real image provider such as "
    "Tencent Hunyuan's ChangeClothes; the offline provider cannot do it. Set this campaign's generation "
    "provider to hunyuan, or choose another generation kind."
)


def _input(inputs: dict[str, Image.Image], kind: str, name: str) -> Image.Image:
    """Return the named input; a kind with a single input also takes a lone image under any name."""
    if name in inputs:
        return inputs[name]
    if len(KIND_INPUTS[kind]) == 1 and len(inputs) == 1:
        return next(iter(inputs.values()))
    raise ProviderError("bad_request", "missing_input",
                        f"the {kind} kind needs an input image named {name!r}; got {sorted(inputs) or 'none'}")


def _jpeg(array: np.ndarray) -> tuple[bytes, str]:
    """Encode an RGB array as JPEG bytes (deterministic for the same pixels)."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), "image/jpeg"


def render_offline(kind: str, inputs: dict[str, Image.Image], prompt: str, style: str, seed: int,
                   size: tuple[int, int], face_box: tuple[int, int, int, int] | None = None) -> tuple[bytes, str]:
    """Make the picture for a photo kind offline; return (encoded bytes, content type).

    ``glam`` also takes the template photo as ``inputs["template"]`` and its face box (template pixels).
    """
    width, height = int(size[0]), int(size[1])
    if width < 64 or height < 64:
        raise ProviderError("bad_request", "bad_size", f"unsupported image size {width}x{height}")
    if kind == "try_on":
        raise ProviderError("bad_request", "needs_real_provider", TRY_ON_MESSAGE)
    if kind not in OFFLINE_KINDS:
        raise ProviderError("bad_request", "unsupported_kind",
                            f"the offline photo renderer cannot make {kind!r} images")
    name = KIND_INPUTS[kind][0]
    source = _input(inputs, kind, name)
    if kind == "product_background":
        alpha = None
        rgb = to_rgb(source)
        if source.mode in ("RGBA", "LA", "PA") or "transparency" in source.info:
            rgba = np.asarray(source.convert("RGBA"))
            if rgba[..., 3].min() < 255:  # a cut-out product: use its own outline, unblended colours
                rgb, alpha = rgba[..., :3].copy(), rgba[..., 3].copy()
        if alpha is not None:
            rgb, alpha = _limit_pair(rgb, alpha, 2 * max(width, height))
        else:
            rgb = limit_side(rgb, 2 * max(width, height))
        return _jpeg(product_background(rgb, prompt, seed, (width, height), alpha=alpha))
    rgb = to_rgb(source)
    if kind == "glam":
        if "template" not in inputs:
            raise ProviderError("bad_request", "missing_input", "the glam kind needs the template photo")
        return _jpeg(glam_swap(limit_side(rgb, 2048), to_rgb(inputs["template"]), face_box))
    if kind == "image_to_image":
        fitted = resize(rgb, fit_size(rgb.shape[1], rgb.shape[0], (width, height)))
        return _jpeg(apply_filter(fitted, canonical_filter(style, prompt), seed))
    if kind == "avatar":
        return _jpeg(avatar(limit_side(rgb, 2048), canonical_filter(style, prompt), seed, min(width, height)))
    if kind == "portrait":
        return _jpeg(portrait(limit_side(rgb, 2048), style, seed, (width, height)))
    if kind == "sketch_to_image":
        fitted = resize(rgb, fit_size(rgb.shape[1], rgb.shape[0], (width, height)))
        return _jpeg(colour_sketch(fitted, prompt, seed, max_side=max(width, height)))
    # meme
    side = min(MEME_MAX_SIDE, width, height)
    return meme_gif(limit_side(rgb, 1600), prompt, canonical_motion(style, seed), seed, side), "image/gif"


def _limit_pair(rgb: np.ndarray, alpha: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Shrink a picture and its alpha channel together so the longer side is at most ``side``."""
    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return rgb, alpha
    size = fit_size(w, h, (side, side))
    return resize(rgb, size), resize(alpha, size)
