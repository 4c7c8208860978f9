"""混元生图 3.0 reference images (``generation.hunyuan.references``): files of the campaign folder, checked at load.

Each is a file in the campaign folder (a mascot, a product) that SubmitTextToImageJob takes as one of its
``Images``: JPEG, PNG, BMP, TIFF or WebP, each side 50–5000 px, under 6 MB once Base64-encoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from posterbooth.schema import Campaign

#: The formats, sides and Base64 size the service takes for a reference image.
FORMATS = {"JPEG", "PNG", "BMP", "TIFF", "WEBP"}
SIDES = (50, 5000)
MAX_BASE64 = 6 * 1024 * 1024


def _blocks(campaign: Campaign) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Yield each Hunyuan settings block (the campaign's, each style's) with its field path."""
    yield ("generation", "hunyuan"), campaign.generation.hunyuan
    for index, style in enumerate(campaign.styles):
        if "hunyuan" in style.settings:
            yield ("styles", index, "settings", "hunyuan"), style.settings["hunyuan"]


def problem(folder: Path, name: str) -> str:
    """Return what is wrong with a reference image file of the campaign folder, or '' when it can be sent."""
    root = folder.resolve()
    path = (folder / name).resolve()
    if root not in path.parents or not path.is_file():
        return f"{name!r} is not a file in the campaign folder"
    if (path.stat().st_size + 2) // 3 * 4 >= MAX_BASE64:
        return f"{name!r} is over 6 MB once Base64-encoded"
    try:
        with Image.open(path) as image:
            fmt, (width, height) = str(image.format), image.size
            image.verify()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"{name!r} cannot be read as a picture ({exc})"
    if fmt not in FORMATS:
        return f"{name!r} is {fmt}; use JPEG, PNG, BMP, TIFF or WebP"
    low, high = SIDES
    if not (low <= width <= high and low <= height <= high):
        return f"{name!r} is {width}×{height}; each side must be {low}–{high} px"
    return ""


def check(campaign: Campaign, folder: Path) -> tuple[tuple[Any, ...], str] | None:
    """Return the field path and problem of the first unusable reference image, or None when all can be sent."""
    for loc, settings in _blocks(campaign):
        for index, name in enumerate(settings.get("references") or ()):
            found = problem(folder, str(name))
            if found:
                return (*loc, "references", index), found
    return None
