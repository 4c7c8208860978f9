"""The campaign fields of ``generation.kind: glam`` (AI 美照): template photos and their face boxes.

Each template names the outcome and/or the campaign style it is for; the most specific one that matches a
participation is used (outcome and style, then style, then outcome, then a template that names neither).
The files are checked on disk by :mod:`posterbooth.glam` when the campaign loads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: Most faces a template may have (SubmitGlamPicJob's documented limit).
MAX_TEMPLATE_FACES = 5


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaceRect(_Model):
    """Where the template's face is, in template pixels: the attendee's face replaces it."""

    x: int = Field(ge=0, description="Left edge of the face box, in template pixels.")
    y: int = Field(ge=0, description="Top edge of the face box, in template pixels.")
    width: int = Field(gt=0, description="Width of the face box, in template pixels.")
    height: int = Field(gt=0, description="Height of the face box, in template pixels.")

    def as_tuple(self) -> tuple[int, int, int, int]:
        """Return (x, y, width, height)."""
        return self.x, self.y, self.width, self.height


class GlamTemplate(_Model):
    """One template photo in the campaign folder, for an outcome, a style, both, or as the default."""

    file: str = Field(min_length=1, description="Template photo in the campaign folder (JPEG, PNG or WebP, each "
                      "side over 300 px, under 10 MB as base64, at most 5 faces).")
    outcome: str | None = Field(None, description="Outcome id this template is for; empty: every outcome.")
    style: str | None = Field(None, description="Style id this template is for; empty: every style.")
    face: FaceRect | None = Field(None, description="Box of the template face the attendee's face replaces; empty: "
                                  "Tencent replaces the largest face (offline: the face found, else the upper "
                                  "middle).")

    def matches(self, outcome: str, style: str | None) -> int:
        """Return how specifically this template fits an outcome and style (-1: it does not)."""
        if self.outcome is not None and self.outcome != outcome:
            return -1
        if self.style is not None and self.style != style:
            return -1
        return (2 if self.style is not None else 0) + (1 if self.outcome is not None else 0)


class GlamSpec(_Model):
    """``generation.glam``: the template photos of an AI 美照 campaign."""

    templates: list[GlamTemplate] = Field(min_length=1, description="The template photos (per outcome or style).")

    def template_for(self, outcome: str, style: str | None) -> GlamTemplate | None:
        """Return the most specific template for an outcome and style (the first listed on a tie), if any."""
        best: tuple[int, GlamTemplate] | None = None
        for template in self.templates:
            score = template.matches(outcome, style)
            if score >= 0 and (best is None or score > best[0]):
                best = (score, template)
        return best[1] if best else None


def glam_problem(spec: GlamSpec | None, kind: str, outcomes: list[str],
                 styles: list[str]) -> tuple[tuple[str | int, ...], str] | None:
    """Return (field path, problem) of a campaign's ``generation.glam`` for its kind, outcomes and styles, or None."""
    if kind != "glam":
        return (("generation", "glam"), "is only for generation.kind: glam") if spec is not None else None
    if spec is None:
        return ("generation", "kind"), "glam needs generation.glam.templates (the template photos)"
    for index, template in enumerate(spec.templates):
        loc = ("generation", "glam", "templates", index)
        if template.outcome is not None and template.outcome not in outcomes:
            return (*loc, "outcome"), f"{template.outcome!r} is not an outcome id ({', '.join(outcomes)})"
        if template.style is not None and template.style not in styles:
            return (*loc, "style"), f"{template.style!r} is not a style id ({', '.join(styles) or 'no styles'})"
    choices: list[str | None] = [*styles] or [None]
    for outcome in outcomes:
        for style in choices:
            if spec.template_for(outcome, style) is None:
                which = f"outcome {outcome!r}" + (f" with style {style!r}" if style else "")
                return ("generation", "glam", "templates"), f"no template for {which} (add one, or one without outcome)"
    return None
