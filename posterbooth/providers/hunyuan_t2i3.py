"""混元生图（3.0） (aiart SubmitTextToImageJob) with reference images: its name, limits and resolutions."""

from __future__ import annotations

#: aiart SubmitTextToImageJob / QueryTextToImageJob (async, concurrency 1): Prompt <= 8192 characters, up to 3
#: reference ``Images`` (each Base64 or a URL; sides 50-5000 px, under 6 MB as Base64), ``Resolution`` 'W:H' with
#: each side 512-2048 and W*H <= 1024*1024, ``Revise`` (prompt rewriting, on by default), ``Seed``, ``LogoAdd``
#: (a custom ``LogoParam`` is refused: LogoParamErr). Results are URLs valid 1 hour.
TEXT_TO_IMAGE_3 = "SubmitTextToImageJob"
#: Most reference images one request takes (campaign assets and the attendee's photo together).
MAX_REFERENCES = 3
#: Resolution limits: each side, and the area.
T2I3_SIDES = (512, 2048)
T2I3_AREA = 1024 * 1024


def t2i3_resolution_problem(value: str) -> str:
    """Return why 'W:H' is not a SubmitTextToImageJob resolution, or '' when it is one."""
    try:
        w, h = (int(v) for v in value.split(":"))
    except ValueError:
        return f"resolution must be 'W:H' (got {value!r})"
    low, high = T2I3_SIDES
    if not (low <= w <= high and low <= h <= high) or w * h > T2I3_AREA:
        return (f"{TEXT_TO_IMAGE_3} resolution sides must be {low}-{high} px with W×H at most 1024×1024 "
                f"(got {value})")
    return ""


def t2i3_resolution(width: int, height: int) -> str:
    """Return the SubmitTextToImageJob resolution nearest the poster's image slot: its ratio, about 1024² area."""
    low, high = T2I3_SIDES
    ratio = min(high / low, max(low / high, max(width, 1) / max(height, 1)))
    w = min(high, int((T2I3_AREA * ratio) ** 0.5))
    h = min(high, int(w / ratio))
    w, h = max(low, w - w % 8), max(low, h - h % 8)
    while w * h > T2I3_AREA:
        w, h = (w - 8, h) if w >= h else (w, h - 8)
    return f"{w}:{h}"
