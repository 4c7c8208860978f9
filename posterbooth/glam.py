"""AI 美照 (``generation.kind: glam``) templates: checked when the campaign loads, chosen per participation.

A template photo is a campaign asset, not personal data: it is served publicly at
``/c/<slug>/glam/<file>`` (only the files a template names), and that URL is what Tencent's
SubmitGlamPicJob downloads (its ``TemplateUrl`` takes URLs only). The attendee's photo goes as its
usual short-lived signed link.

Checks at load (:func:`template_problem`): the file is inside the campaign folder, is a JPEG, PNG or WebP
picture, each side over 300 px, under 10 MB as base64, and its face box (when given) lies inside it.
"At most 5 faces" is not checked: Posterbooth ships no face detection model (OpenCV's wheels carry no
cascades), and its colour-based face finder cannot count faces reliably; Tencent refuses such a template
when the job runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from posterbooth.schema import Campaign
from posterbooth.schema_glam import GlamTemplate, glam_problem

#: Template formats accepted (Tencent also takes BMP and TIFF; browsers and the offline provider use these).
TEMPLATE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Each side of a template must be longer than this (documented).
MIN_TEMPLATE_SIDE = 300
#: A template must be under this size once base64-encoded (documented: < 10 MB as Base64).
MAX_TEMPLATE_BASE64 = 10 * 1024 * 1024

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ChosenTemplate:
    """The template of one participation: its file, bytes and face box."""

    template: GlamTemplate
    path: Path

    @property
    def data(self) -> bytes:
        """Return the template file's bytes."""
        return self.path.read_bytes()

    @property
    def face_box(self) -> tuple[int, int, int, int] | None:
        """Return the face box (x, y, width, height), if the template gives one."""
        return self.template.face.as_tuple() if self.template.face else None


def choose_template(campaign: Campaign, folder: Path, outcome: str, style: str | None) -> ChosenTemplate | None:
    """Return the template a participation with this outcome and style uses (None: not a glam campaign)."""
    spec = campaign.generation.glam
    if campaign.generation.kind != "glam" or spec is None:
        return None
    template = spec.template_for(outcome, style)
    if template is None:
        return None
    return ChosenTemplate(template, folder / template.file)


def template_names(campaign: Campaign) -> set[str]:
    """Return the file names the campaign's templates use (the only files its template route serves)."""
    spec = campaign.generation.glam
    return {t.file for t in spec.templates} if spec is not None and campaign.generation.kind == "glam" else set()


def template_url(base_url: str, slug: str, file: str, data: bytes) -> str:
    """Return the public URL of a template photo, versioned by its content (for caches along the way)."""
    version = hashlib.sha256(data).hexdigest()[:12]
    return f"{base_url.rstrip('/')}/c/{quote(slug, safe='')}/glam/{quote(file)}?v={version}"


def base64_size(size: int) -> int:
    """Return the length of ``size`` bytes once base64-encoded."""
    return (size + 2) // 3 * 4


def _check_file(template: GlamTemplate, folder: Path) -> tuple[str, str] | None:
    """Return (sub-field, problem) of one template's file and face box, or None."""
    from PIL import Image, UnidentifiedImageError

    candidate = (folder / template.file).resolve()
    if folder.resolve() not in candidate.parents:
        return "file", "must be a file inside the campaign folder"
    if not candidate.is_file():
        return "file", f"file {template.file!r} not found in {folder}"
    size = candidate.stat().st_size
    if base64_size(size) >= MAX_TEMPLATE_BASE64:
        return "file", f"{template.file!r} is {size / 1024 / 1024:.1f} MB: it must be under 10 MB as base64 " \
                       "(about 7.5 MB as a file)"
    try:
        with Image.open(candidate) as image:
            fmt, (width, height) = image.format or "", image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return "file", f"{template.file!r} is not a readable image"
    if fmt not in TEMPLATE_FORMATS:
        return "file", f"{template.file!r} is {fmt or 'an unknown format'}: use JPEG, PNG or WebP"
    if min(width, height) <= MIN_TEMPLATE_SIDE:
        return "file", f"{template.file!r} is {width}×{height}: each side must be over {MIN_TEMPLATE_SIDE} px"
    face = template.face
    if face is not None and (face.x + face.width > width or face.y + face.height > height):
        return "face", f"the face box ends at {face.x + face.width}×{face.y + face.height}, outside the " \
                       f"{width}×{height} template"
    return None


def template_problem(campaign: Campaign, folder: Path) -> tuple[Loc, str] | None:
    """Return (field path, problem) of the campaign's glam templates (fields and files), or None."""
    found = glam_problem(campaign.generation.glam, campaign.generation.kind, [o.id for o in campaign.outcomes],
                         [s.id for s in campaign.styles])
    if found is not None or campaign.generation.kind != "glam" or campaign.generation.glam is None:
        return found
    for index, template in enumerate(campaign.generation.glam.templates):
        problem = _check_file(template, folder)
        if problem is not None:
            return ("generation", "glam", "templates", index, problem[0]), problem[1]
    return None
