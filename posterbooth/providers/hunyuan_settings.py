"""The campaign's ``generation.hunyuan`` settings, validated against the chosen action and generation kind.

:class:`HunyuanSettings` is checked against the :data:`~posterbooth.providers.hunyuan_actions.ACTIONS`
table and the campaign's ``generation.kind``, at start-up by the campaign loader and again per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from posterbooth.providers.base import ProviderError
from posterbooth.providers.hunyuan_actions import (
    ACTIONS,
    KIND_ACTIONS,
    MAX_REFERENCES,
    MAX_SEED,
    PHOTO_KINDS,
    TEXT_TO_IMAGE_3,
    ActionSpec,
    t2i3_resolution_problem,
)


class LogoRect(BaseModel):
    """Where the replacement logo goes on the result image, in result pixels."""

    model_config = ConfigDict(extra="forbid")

    x: int = Field(ge=0, description="Left edge of the logo box (pixels from the left).")
    y: int = Field(ge=0, description="Top edge of the logo box (pixels from the top).")
    width: int = Field(gt=0, description="Width of the logo box in pixels.")
    height: int = Field(gt=0, description="Height of the logo box in pixels.")


class LogoParam(BaseModel):
    """A replacement for the service's default "图片由 AI 生成" mark."""

    model_config = ConfigDict(extra="forbid")

    logo_url: HttpUrl | None = Field(None, description="URL of the logo image (give this or logo_image).")
    logo_image: str | None = Field(None, description="Base64 of the logo image (give this or logo_url).")
    logo_rect: LogoRect = Field(description="Box the logo is stretched into.")

    @model_validator(mode="after")
    def _one_source(self) -> LogoParam:
        if (self.logo_url is None) == (self.logo_image is None):
            raise ValueError("logo_param needs exactly one of logo_url or logo_image")
        return self

    def to_api(self) -> dict[str, Any]:
        """Return the API's LogoParam object."""
        out: dict[str, Any] = {}
        if self.logo_url is not None:
            out["LogoUrl"] = str(self.logo_url)
        if self.logo_image is not None:
            out["LogoImage"] = self.logo_image
        r = self.logo_rect
        out["LogoRect"] = {"X": r.x, "Y": r.y, "Width": r.width, "Height": r.height}
        return out


class HunyuanSettings(BaseModel):
    """A campaign's ``generation.hunyuan`` block, checked against the chosen action."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        "",
        description="API action. text_to_image: SubmitHunyuanImageJob (Hunyuan 3.0, async job, best "
        "quality; the default), TextToImageLite (fast, synchronous), TextToImageRapid (混元生图 2.0), "
        "SubmitTextToImageJob (混元生图 3.0 with reference images) or SubmitHunyuanImageChatJob (for edits); "
        "image_to_image: "
        "SubmitHunyuanImageJob (default) or ImageToImage (style codes); avatar: GenerateAvatar; meme: "
        "SubmitMemeJob; sketch_to_image: SketchToImage; product_background: ReplaceBackground; try_on: "
        "ChangeClothes; glam: SubmitGlamPicJob; portrait: SubmitDrawPortraitJob. Unset: the default for the "
        "campaign's generation.kind.",
    )
    style: str | None = Field(
        None,
        description="Style code of the action (SubmitHunyuanImageJob: e.g. shuimo, dongman, youhua; "
        "TextToImageLite: e.g. 104 watercolour, 201 anime, 000 none; TextToImageRapid: 1-30 or the style's "
        "name, e.g. 4 or 水彩; SubmitGlamPicJob: real, balanced, textured or beautiful; SubmitDrawPortraitJob: the "
        "StyleId, e.g. hanfu_female). Unset: derived from the campaign style when it has an equivalent, else the "
        "service default.",
    )
    resolution: str | None = Field(
        None,
        description="Output size 'W:H' from the action's list (e.g. 1024:1024, 768:1024, 720:1280). "
        "Unset: the listed size closest to the poster's image slot.",
    )
    revise: Literal[0, 1] | None = Field(
        None, description="SubmitHunyuanImageJob only: 1 rewrites the prompt (default; ~20 s slower), 0 off."
    )
    seed: int | None = Field(
        None,
        ge=1,
        le=MAX_SEED,
        description=f"SubmitHunyuanImageJob (needs revise: 0) and TextToImageRapid: fixed seed 1..{MAX_SEED}.",
    )
    logo_add: Literal[0, 1] | None = Field(
        None, description="1 adds the service's visible 'AI generated' mark (service default), 0 omits it."
    )
    logo_param: LogoParam | None = Field(None, description="Replace the service's mark with your own logo.")
    clarity: Literal["x2", "x4"] | None = Field(
        None, description="SubmitHunyuanImageJob and SubmitGlamPicJob: super-resolution x2 or x4 (bigger, slower)."
    )
    num: int | None = Field(
        None,
        ge=1,
        le=4,
        description="SubmitHunyuanImageJob and SubmitGlamPicJob: images per job 1-4 (only the first is used; "
        "SubmitGlamPicJob sends 1 when unset).",
    )
    similarity: float | None = Field(
        None, ge=0, le=1,
        description="SubmitGlamPicJob only: how much the result looks like the attendee, 0-1 (service default 0.6).",
    )
    rsp_img_type: Literal["base64", "url"] | None = Field(
        None, description="Synchronous actions (TextToImageLite and the aiart actions but SubmitMemeJob): "
        "return the image inline (base64, default) or as a URL.",
    )
    strength: float | None = Field(
        None, gt=0, le=1,
        description="ImageToImage only: how far the result may move from the photo, (0, 1] "
        "(recommended 0.6-0.8; unset: the model's default).",
    )
    enhance_image: Literal[0, 1] | None = Field(None, description="ImageToImage only: 1 sharpens the result.")
    restore_face: int | None = Field(
        None, ge=0, le=6, description="ImageToImage only: repair the details of up to this many small faces."
    )
    avatar_type: Literal["human", "pet"] | None = Field(
        None, description="GenerateAvatar only: human (default; styles apply) or pet (a sticker; no style)."
    )
    filter: Literal[0, 1] | None = Field(
        None, description="GenerateAvatar only: 1 (default) refuses unclear, small or several faces; 0 relaxes it."
    )
    pose: str | None = Field(
        None, min_length=1, max_length=60,
        description="SubmitMemeJob (required): the meme template's Pose name, from Tencent's meme template list.",
    )
    haircut: bool | None = Field(None, description="SubmitMemeJob only, cartoon poses: trim long hair.")
    product: str | None = Field(
        None, min_length=1, max_length=50,
        description="ReplaceBackground only: what the product is (e.g. 保温杯); improves the cut-out.",
    )
    clothes_type: Literal["Upper-body", "Lower-body", "Dress"] | None = Field(
        None, description="ChangeClothes (required): the garment photo's type: Upper-body, Lower-body or Dress."
    )
    references: list[str] | None = Field(
        None, min_length=1, max_length=MAX_REFERENCES,
        description="SubmitTextToImageJob (混元生图 3.0) only: up to 3 reference images, files in the campaign "
        "folder (a mascot, a product), sent as Base64; with generation.kind image_to_image the attendee's photo "
        "is sent too and counts as one of the 3.",
    )
    definition: Literal["sd", "hd", "hdpro", "uhd"] | None = Field(
        None, description="SubmitDrawPortraitJob (AI 写真) only: sd 512x640 (the default), hd or hdpro 1024x1280 "
        "(hdpro recommended), uhd 2048x2560.",
    )

    @field_validator("style", mode="before")
    @classmethod
    def _style_as_code(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:03d}"  # YAML reads 104 and 000 as integers
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # SubmitMemeJob's 256 / 512
        return value

    @model_validator(mode="after")
    def _fits_action(self, info: ValidationInfo) -> HunyuanSettings:
        kind = str((info.context or {}).get("kind") or "text_to_image")
        if kind not in KIND_ACTIONS:
            raise ValueError(f"generation kind {kind!r} is not supported by Hunyuan")
        if not self.action:
            self.action = KIND_ACTIONS[kind]
        spec = ACTIONS.get(self.action)
        if spec is None:
            raise ValueError(f"action {self.action!r} is not supported; choose one of: {', '.join(ACTIONS)}")
        if kind not in spec.kinds:
            makers = ", ".join(a.name for a in ACTIONS.values() if kind in a.kinds)
            raise ValueError(f"{spec.name} does not make {kind} images; for {kind} use: {makers}")
        if self.style is not None and spec.style_names:
            self.style = _named_style(spec, self.style)
        if self.style is not None and self.style not in spec.styles:
            if not spec.styles:
                raise ValueError(f"{spec.name} takes no style")
            choices = ", ".join(sorted(spec.styles))
            raise ValueError(f"style {self.style!r} is not a {spec.name} style; choose one of: {choices}")
        if self.resolution is not None:
            self._check_resolution(spec, kind)
        optional = {key for key in type(self).model_fields if key not in {"action", "style", "resolution"}}
        unsupported = sorted(
            key for key in optional - {"rsp_img_type"}
            if getattr(self, key) is not None and key not in spec.settings_fields
        )
        if self.rsp_img_type is not None and not spec.rsp_img_type:
            unsupported.append("rsp_img_type")
        if unsupported:
            raise ValueError(f"{spec.name} does not take: {', '.join(unsupported)}")
        missing = [key for key in spec.required_settings if getattr(self, key) is None]
        # At load time a campaign that may never use Hunyuan (in_use false) need not fill in its required fields.
        if missing and (info.context or {}).get("in_use", True):
            raise ValueError(f"{spec.name} needs: {', '.join(missing)}")
        if self.seed is not None and self.revise != 0 and "revise" in spec.settings_fields:
            raise ValueError("seed only takes effect with revise: 0 (prompt rewriting makes the seed random)")
        if self.seed is not None and kind != "text_to_image":
            raise ValueError("seed does not take effect with a photo (the service always rewrites the prompt)")
        if self.references and kind in PHOTO_KINDS and len(self.references) >= MAX_REFERENCES:
            raise ValueError(f"{spec.name} takes {MAX_REFERENCES} images: with the attendee's photo, at most "
                             f"{MAX_REFERENCES - 1} references")
        if self.style is not None and self.avatar_type == "pet":
            raise ValueError("GenerateAvatar styles only apply to human avatars (avatar_type: pet takes none)")
        return self

    def _check_resolution(self, spec: ActionSpec, kind: str) -> None:
        value = self.resolution or ""
        if spec.resolution_field is None:
            raise ValueError(f"{spec.name} takes no resolution")
        if spec.name == TEXT_TO_IMAGE_3:
            problem = t2i3_resolution_problem(value)
            if problem:
                raise ValueError(problem)
            return
        if spec.free_resolution is not None:
            low, high = spec.free_resolution
            try:
                w, h = (int(v) for v in value.split(":"))
            except ValueError:
                raise ValueError(f"resolution must be 'W:H' (got {value!r})") from None
            if not (low < w < high and low < h < high and 2 / 5 <= w / h <= 5 / 2):
                raise ValueError(
                    f"{spec.name} resolution sides must be between {low} and {high} px with an aspect "
                    f"ratio between 2:5 and 5:2 (got {value})"
                )
            return
        choices = spec.photo_resolutions if kind in PHOTO_KINDS and spec.photo_resolutions else spec.resolutions
        if value not in choices:
            raise ValueError(
                f"resolution {value!r} is not offered by {spec.name}"
                + (f" for {kind}" if choices is not spec.resolutions else "")
                + f"; choose one of: {', '.join(choices)}"
            )


def _named_style(spec: ActionSpec, value: str) -> str:
    """Return the style code a campaign wrote as a number (4, "04") or as the style's name (水彩)."""
    text = value.strip()
    if text in spec.style_names:
        return spec.style_names[text]
    if text.isdigit() and str(int(text)) in spec.styles:
        return str(int(text))
    names = ", ".join(f"{code} {name}" for name, code in spec.style_names.items())
    raise ValueError(f"style {value!r} is not a {spec.name} style; choose a code or a name: {names}")


def validation_message(exc: ValidationError) -> str:
    """Summarise a settings ValidationError in one operator-readable line."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_settings(
    settings: Mapping[str, Any] | None, default_action: str, kind: str = "text_to_image"
) -> HunyuanSettings:
    """Validate a request's settings for its kind; raise ProviderError(bad_request) when they are invalid."""
    data = dict(settings or {})
    if kind == "text_to_image":
        data.setdefault("action", default_action)  # photo kinds default to their own action
    try:
        return HunyuanSettings.model_validate(data, context={"kind": kind})
    except ValidationError as exc:
        raise ProviderError("bad_request", "InvalidSettings", validation_message(exc)) from None
