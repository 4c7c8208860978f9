"""Image helpers for posters: campaign assets, rounded masks, resizing and the generated picture's frame."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageOps

from posterbooth.layout import ImageBox, PosterLayout, rgba

Color = tuple[int, int, int, int]


@dataclass(frozen=True)
class PosterAssets:
    """Files from the campaign folder that the layout may use; all optional."""

    background_image: Path | None = None
    logo: Path | None = None
    brand_font: Path | None = None


@functools.lru_cache(maxsize=64)
def rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """Return an anti-aliased rounded-rectangle mask (cached; do not modify)."""
    mask = Image.new("L", (width, height), 255)
    radius = min(radius, width // 2, height // 2)
    if radius <= 0:
        return mask
    scale = 4
    big = Image.new("L", (radius * scale, radius * scale), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * radius * scale - 1, 2 * radius * scale - 1), fill=255)
    corner = big.resize((radius, radius), Image.Resampling.BOX)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - radius, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - radius))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
    return mask


@functools.lru_cache(maxsize=32)
def alpha_mask(width: int, height: int, radius: int, alpha: int) -> Image.Image:
    mask = rounded_mask(width, height, radius)
    return mask if alpha == 255 else mask.point(lambda v: v * alpha // 255)


@functools.lru_cache(maxsize=16)
def shadow_mask(width: int, height: int, radius: int, blur: int, alpha: int) -> Image.Image:
    """Return a soft shadow mask of a rounded box, padded by 2×blur on each side (cached)."""
    pad = 2 * blur
    small = 4  # blur at quarter resolution: the result is smooth anyway
    canvas = Image.new("L", ((width + 2 * pad) // small, (height + 2 * pad) // small), 0)
    shape = rounded_mask(max(1, width // small), max(1, height // small), max(0, radius // small))
    canvas.paste(alpha, (pad // small, pad // small), shape)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur / small / 2))
    return canvas.resize((width + 2 * pad, height + 2 * pad), Image.Resampling.BILINEAR)


def paste_rounded(canvas: Image.Image, image: Image.Image, xy: tuple[int, int], radius: int) -> None:
    canvas.paste(image, xy, rounded_mask(image.width, image.height, radius))


def resize(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return the image resized to width×height (area-averaged when shrinking, bicubic otherwise)."""
    if image.size == (width, height):
        return image
    factor = min(image.width // width, image.height // height)
    if factor >= 2:  # cheap integer box reduction first, then a mild final resize
        image = image.reduce(factor)
    if image.mode not in ("RGB", "L"):  # Pillow premultiplies alpha, so transparent edges stay clean
        return image.resize((width, height), Image.Resampling.BICUBIC)
    shrink = image.width > width and image.height > height
    out = cv2.resize(np.asarray(image), (width, height),
                     interpolation=cv2.INTER_AREA if shrink and factor >= 2 else cv2.INTER_CUBIC)
    return Image.fromarray(out, image.mode)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return the image scaled to fill width×height, centre-cropped."""
    scale = max(width / image.width, height / image.height)
    crop_w, crop_h = round(width / scale), round(height / scale)
    left, top = (image.width - crop_w) // 2, (image.height - crop_h) // 2
    if (crop_w, crop_h) != image.size:
        image = image.crop((left, top, left + crop_w, top + crop_h))
    return resize(image, width, height)


def contain_size(image_size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """Return the largest size with the image's aspect ratio that fits in width×height."""
    scale = min(width / image_size[0], height / image_size[1])
    return max(1, round(image_size[0] * scale)), max(1, round(image_size[1] * scale))


def prepare_generated(image: Image.Image, background: Color) -> Image.Image:
    """Return the generated image upright, in sRGB RGB, flattened onto the background colour."""
    image = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, src, ImageCms.createProfile("sRGB"), outputMode=out_mode)
            image = converted or image  # None only when converting in place
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: treat the pixels as sRGB
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba_image = image.convert("RGBA")
        flat = Image.new("RGB", rgba_image.size, background[:3])
        flat.paste(rgba_image, (0, 0), rgba_image)
        return flat
    return image.convert("RGB") if image.mode != "RGB" else image


def open_asset(path: Path) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        upright: Image.Image = ImageOps.exif_transpose(img) or img
        return upright.convert("RGBA")


def asset_key(path: Path | None) -> tuple[str, float] | None:
    if path is None:
        return None
    return str(path), Path(path).stat().st_mtime


@functools.lru_cache(maxsize=8)
def base_layer(layout_json: str, background: tuple[str, float] | None,
                logo: tuple[str, float] | None) -> Image.Image:
    """Return the parts that are the same on every poster of a campaign (cached; copy before use)."""
    layout = PosterLayout.model_validate_json(layout_json)
    canvas = Image.new("RGB", (layout.width, layout.height), rgba(layout.background)[:3])
    if background is not None:
        bg = cover(open_asset(Path(background[0])), layout.width, layout.height)
        canvas.paste(bg, (0, 0), bg)
    if logo is not None and layout.logo is not None:
        box = layout.logo
        img = open_asset(Path(logo[0]))
        w, h = contain_size(img.size, box.width, box.height)
        img = resize(img, w, h)
        dx = {"left": 0, "center": (box.width - w) // 2, "right": box.width - w}[box.align]
        canvas.paste(img, (box.x + dx, box.y + (box.height - h) // 2), img)
    return canvas


def draw_generated(canvas: Image.Image, layout: PosterLayout, image: Image.Image,
                    box: ImageBox | None = None) -> None:
    box = box or layout.image
    if box.fit == "contain":
        w, h = contain_size(image.size, box.width, box.height)
        x, y = box.x + (box.width - w) // 2, box.y + (box.height - h) // 2
    else:
        w, h, x, y = box.width, box.height, box.x, box.y
    radius = min(box.radius, w // 2, h // 2)
    if box.shadow:
        blur = max(8, round(min(layout.width, layout.height) * 0.03))
        mask = shadow_mask(w, h, radius, blur, 70)
        drop = round(blur * 0.6)
        canvas.paste((20, 24, 40), (x - 2 * blur, y - 2 * blur + drop), mask)
    if box.border:
        b = box.border
        frame = alpha_mask(w + 2 * b, h + 2 * b, radius + b if radius else 0, 255)
        canvas.paste(rgba(box.border_color)[:3], (x - b, y - b), frame)
    paste_rounded(canvas, cover(image, w, h), (x, y), radius)
