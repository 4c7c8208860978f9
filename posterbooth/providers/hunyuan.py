"""Tencent Hunyuan image provider: Hunyuan 3.0 jobs, TextToImageLite and the aiart photo actions.

Each supported API action is one :class:`ActionSpec` row in :data:`ACTIONS`
(service, version, sync or job, the generation kinds it makes, prompt limit,
style codes, resolutions, which campaign settings it takes, how it takes the
attendee's photos). The campaign's ``generation.hunyuan`` block is validated by
:class:`HunyuanSettings` against that table and the campaign's
``generation.kind``, at start-up by the campaign loader and again per request.

Photo kinds and their default actions (:data:`KIND_ACTIONS`):

* ``image_to_image``: ``SubmitHunyuanImageJob`` with ``ContentImage``, or the
  aiart ``ImageToImage`` (style codes, ``strength``);
* ``avatar``: ``GenerateAvatar``; ``meme``: ``SubmitMemeJob`` + ``QueryMemeJob``
  (an animated GIF; the prompt is its caption); ``sketch_to_image``:
  ``SketchToImage``; ``product_background``: ``ReplaceBackground``;
  ``try_on``: ``ChangeClothes``.

Photos go as base64 where the action takes it (``InputImage``,
``ContentImage.ImageBase64``), else as the short-lived signed URLs the worker
puts in ``GenerationRequest.input_urls`` (``ProductUrl``, ``ModelUrl``,
``ClothesUrl``). Adding an action is one more :class:`ActionSpec`.
"""

from __future__ import annotations

import base64
import logging
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
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

from posterbooth.config import Settings
from posterbooth.providers.base import (
    GeneratedImage,
    GenerationRequest,
    Pending,
    ProviderError,
    RemoteJobFailed,
    result_ready,
)
from posterbooth.providers.results import Fetch, ResultFetcher, decode_base64_image
from posterbooth.providers.tencent import DEFAULT_REGION, TencentCloudClient, classify_code

log = logging.getLogger(__name__)

HUNYUAN_VERSION = "2023-09-01"
AIART_VERSION = "2022-12-29"
DEFAULT_HUNYUAN_ENDPOINT = "https://hunyuan.tencentcloudapi.com"
DEFAULT_AIART_ENDPOINT = "https://aiart.tencentcloudapi.com"
#: Largest documented positive Seed we send (the API takes "a positive number").
MAX_SEED = 4_294_967_295

_BASE_RESOLUTIONS = (
    "768:768",
    "768:1024",
    "1024:768",
    "1024:1024",
    "720:1280",
    "1280:720",
    "768:1280",
    "1280:768",
)


@dataclass(frozen=True)
class ImageInput:
    """How an action takes one named input photo (``GenerationRequest.inputs`` / ``input_urls`` key)."""

    role: str
    #: API field taking the image base64-encoded (preferred: the photo never leaves by URL).
    base64: str | None = None
    #: API field taking a URL the service downloads the image from.
    url: str | None = None
    #: Object field wrapping the two (SubmitHunyuanImageJob's ``ContentImage``).
    wrapper: str | None = None


@dataclass(frozen=True)
class ActionSpec:
    """How one Tencent image action is called and answered."""

    name: str
    service: str
    version: str
    #: Query action of a job API; ``None`` for synchronous actions.
    query_action: str | None
    prompt_limit: int
    styles: frozenset[str]
    resolutions: tuple[str, ...]
    #: Settings keys (of :class:`HunyuanSettings`) this action accepts -> API field names.
    settings_fields: Mapping[str, str]
    #: Generic renderer hints (``GenerationRequest.style``) -> this action's style code.
    style_hints: Mapping[str, str] = field(default_factory=dict)
    style_field: str = "Style"
    #: Input photos the action takes, sent for the photo kinds.
    inputs: tuple[ImageInput, ...] = ()
    #: Whether the action takes ``RspImgType`` (base64 | url).
    rsp_img_type: bool = False
    poll_after: float = 3.0
    #: Generation kinds (``GenerationRequest.kind``) the action makes.
    kinds: frozenset[str] = frozenset({"text_to_image"})
    #: API field taking the prompt (None: the action takes no text); ``NegativePrompt`` when it takes one.
    prompt_field: str | None = "Prompt"
    prompt_required: bool = True
    negative_prompt: bool = True
    #: API field of the resolution ("ResultConfig.Resolution" for a nested one); None: no resolution.
    resolution_field: str | None = "Resolution"
    #: Resolutions allowed when a photo is sent (SubmitHunyuanImageJob with ContentImage takes fewer).
    photo_resolutions: tuple[str, ...] | None = None
    #: Pick the listed resolution nearest the poster's image slot when the campaign sets none.
    auto_resolution: bool = True
    #: Any 'W:H' with both sides in (low, high) and an aspect ratio within 2:5..5:2, instead of a list.
    free_resolution: tuple[int, int] | None = None
    #: Send the resolution as an integer (SubmitMemeJob's 256 | 512).
    integer_resolution: bool = False
    #: Settings a campaign must give for this action.
    required_settings: tuple[str, ...] = ()

    @property
    def is_job(self) -> bool:
        """Tell whether the action starts a remote job that must be polled."""
        return self.query_action is not None


_COMMON_FIELDS = {"logo_add": "LogoAdd", "logo_param": "LogoParam"}
_PHOTO_KINDS = frozenset(
    {"image_to_image", "avatar", "meme", "sketch_to_image", "product_background", "try_on"}
)
#: The action each generation kind uses unless the campaign names another.
KIND_ACTIONS: dict[str, str] = {
    "text_to_image": "SubmitHunyuanImageJob",
    "image_to_image": "SubmitHunyuanImageJob",
    "avatar": "GenerateAvatar",
    "meme": "SubmitMemeJob",
    "sketch_to_image": "SketchToImage",
    "product_background": "ReplaceBackground",
    "try_on": "ChangeClothes",
}


def _input(role: str, base64_field: str | None = "InputImage", url: str | None = "InputUrl") -> ImageInput:
    return ImageInput(role, base64=base64_field, url=url)


def _codes(text: str) -> frozenset[str]:
    """Return the space-separated codes in ``text``."""
    return frozenset(text.split())


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            name="SubmitHunyuanImageJob",
            service="hunyuan",
            version=HUNYUAN_VERSION,
            query_action="QueryHunyuanImageJob",
            prompt_limit=1024,
            styles=_codes(
                "riman shuimo monai bianping xiangsu ertonghuiben 3dxuanran manhua heibaimanhua "
                "xieshi dongman bijiasuo saibopengke youhua masaike qinghuaci xinnianjianzhi "
                "xinnianhuayi"
            ),
            resolutions=_BASE_RESOLUTIONS,
            settings_fields={
                **_COMMON_FIELDS,
                "revise": "Revise",
                "seed": "Seed",
                "clarity": "Clarity",
                "num": "Num",
            },
            style_hints={
                "ink": "shuimo",
                "anime": "dongman",
                "3d": "3dxuanran",
                "oil": "youhua",
                "pixel": "xiangsu",
                "comic": "manhua",
                "realistic": "xieshi",
                "cyberpunk": "saibopengke",
                "flat": "bianping",
                "picturebook": "ertonghuiben",
                "papercut": "xinnianjianzhi",
                "monet": "monai",
            },
            kinds=frozenset({"text_to_image", "image_to_image"}),
            inputs=(ImageInput("photo", base64="ImageBase64", url="ImageUrl", wrapper="ContentImage"),),
            photo_resolutions=("768:768", "768:1024", "1024:768", "1024:1024"),
        ),
        ActionSpec(
            name="TextToImageLite",
            service="hunyuan",
            version=HUNYUAN_VERSION,
            query_action=None,
            prompt_limit=256,
            styles=_codes(
                "000 101 102 103 118 104 105 106 107 108 109 119 110 111 112 113 114 115 116 117 "
                "201 202 203 204 301 401"
            ),
            resolutions=(*_BASE_RESOLUTIONS, "1080:1920", "1920:1080"),
            settings_fields=dict(_COMMON_FIELDS),
            style_hints={
                "ink": "101",
                "oil": "103",
                "watercolor": "104",
                "pixel": "105",
                "illustration": "107",
                "papercut": "108",
                "monet": "109",
                "sketch": "112",
                "cyberpunk": "113",
                "scifi": "114",
                "3d": "116",
                "vangogh": "118",
                "anime": "201",
                "guofeng": "203",
                "realistic": "401",
            },
            rsp_img_type=True,
        ),
        ActionSpec(
            name="ImageToImage",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=256,
            styles=_codes("104 107 116 201 203 210 120 121 " + " ".join(str(c) for c in range(123, 136))),
            resolutions=("origin", "768:768", "768:1024", "1024:768"),
            settings_fields={
                **_COMMON_FIELDS, "strength": "Strength", "enhance_image": "EnhanceImage",
                "restore_face": "RestoreFace",
            },
            style_hints={"watercolor": "104", "illustration": "107", "3d": "116", "anime": "201", "guofeng": "203"},
            style_field="Styles",
            inputs=(_input("photo"),),
            rsp_img_type=True,
            kinds=frozenset({"image_to_image"}),
            prompt_required=False,
            resolution_field="ResultConfig.Resolution",
            auto_resolution=False,
        ),
        ActionSpec(
            name="GenerateAvatar",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=0,
            styles=_codes(
                "flower babi commerce wedding gufeng coin water retro amusement astronaut cartoon star "
                "dopamine comic beach"
            ),
            resolutions=(),
            settings_fields={**_COMMON_FIELDS, "avatar_type": "Type", "filter": "Filter"},
            style_hints={"anime": "cartoon", "cartoon": "cartoon", "comic": "comic", "guofeng": "gufeng",
                         "retro": "retro", "watercolor": "water"},
            inputs=(_input("photo"),),
            rsp_img_type=True,
            kinds=frozenset({"avatar"}),
            prompt_field=None,
            prompt_required=False,
            negative_prompt=False,
            resolution_field=None,
        ),
        ActionSpec(
            name="SubmitMemeJob",
            service="aiart",
            version=AIART_VERSION,
            query_action="QueryMemeJob",
            # The prompt is the meme's caption; the service shows its first 10 characters.
            prompt_limit=10,
            styles=frozenset(),
            resolutions=("256", "512"),
            settings_fields={**_COMMON_FIELDS, "pose": "Pose", "haircut": "Haircut"},
            inputs=(_input("photo"),),
            kinds=frozenset({"meme"}),
            prompt_field="Text",
            prompt_required=False,
            negative_prompt=False,
            auto_resolution=False,
            integer_resolution=True,
            required_settings=("pose",),
        ),
        ActionSpec(
            name="SketchToImage",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=200,
            styles=frozenset(),
            resolutions=(),
            settings_fields=dict(_COMMON_FIELDS),
            inputs=(_input("sketch"),),
            rsp_img_type=True,
            kinds=frozenset({"sketch_to_image"}),
            negative_prompt=False,
            resolution_field=None,
        ),
        ActionSpec(
            name="ReplaceBackground",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=256,
            styles=frozenset(),
            resolutions=(),
            settings_fields={**_COMMON_FIELDS, "product": "Product"},
            inputs=(ImageInput("product", url="ProductUrl"),),
            rsp_img_type=True,
            kinds=frozenset({"product_background"}),
            free_resolution=(500, 4000),
        ),
        ActionSpec(
            name="ChangeClothes",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=0,
            styles=frozenset(),
            resolutions=(),
            settings_fields={**_COMMON_FIELDS, "clothes_type": "ClothesType"},
            inputs=(ImageInput("model", url="ModelUrl"), ImageInput("garment", url="ClothesUrl")),
            rsp_img_type=True,
            kinds=frozenset({"try_on"}),
            prompt_field=None,
            prompt_required=False,
            negative_prompt=False,
            resolution_field=None,
            required_settings=("clothes_type",),
        ),
    )
}


# --- settings ---------------------------------------------------------------------------------------


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
        "quality; the default) or TextToImageLite (fast, synchronous); image_to_image: "
        "SubmitHunyuanImageJob (default) or ImageToImage (style codes); avatar: GenerateAvatar; meme: "
        "SubmitMemeJob; sketch_to_image: SketchToImage; product_background: ReplaceBackground; try_on: "
        "ChangeClothes. Unset: the default for the campaign's generation.kind.",
    )
    style: str | None = Field(
        None,
        description="Style code of the action (SubmitHunyuanImageJob: e.g. shuimo, dongman, youhua; "
        "TextToImageLite: e.g. 104 watercolour, 201 anime, 000 none). Unset: derived from the "
        "campaign style when it has an equivalent, else the service default.",
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
        description=f"SubmitHunyuanImageJob only: fixed seed 1..{MAX_SEED}; needs revise: 0.",
    )
    logo_add: Literal[0, 1] | None = Field(
        None, description="1 adds the service's visible 'AI generated' mark (service default), 0 omits it."
    )
    logo_param: LogoParam | None = Field(None, description="Replace the service's mark with your own logo.")
    clarity: Literal["x2", "x4"] | None = Field(
        None, description="SubmitHunyuanImageJob only: super-resolution x2 or x4 (bigger, slower)."
    )
    num: int | None = Field(
        None,
        ge=1,
        le=4,
        description="SubmitHunyuanImageJob only: images per job 1-4 (only the first is used).",
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
        if self.seed is not None and self.revise != 0:
            raise ValueError("seed only takes effect with revise: 0 (prompt rewriting makes the seed random)")
        if self.seed is not None and kind != "text_to_image":
            raise ValueError("seed does not take effect with a photo (the service always rewrites the prompt)")
        if self.style is not None and self.avatar_type == "pet":
            raise ValueError("GenerateAvatar styles only apply to human avatars (avatar_type: pet takes none)")
        return self

    def _check_resolution(self, spec: ActionSpec, kind: str) -> None:
        value = self.resolution or ""
        if spec.resolution_field is None:
            raise ValueError(f"{spec.name} takes no resolution")
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
        choices = spec.photo_resolutions if kind in _PHOTO_KINDS and spec.photo_resolutions else spec.resolutions
        if value not in choices:
            raise ValueError(
                f"resolution {value!r} is not offered by {spec.name}"
                + (f" for {kind}" if choices is not spec.resolutions else "")
                + f"; choose one of: {', '.join(choices)}"
            )


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


# --- request building -------------------------------------------------------------------------------

_ZWJ = "\u200d"


def _continues(ch: str) -> bool:
    """Tell whether ``ch`` extends the character before it (joiner, selector, modifier, mark)."""
    return (
        ch in "\u200c\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
        or bool(unicodedata.combining(ch))
    )


def truncate_text(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters without splitting a character sequence.

    Characters outside the BMP count as two (as UTF-16 counts them), and a cut
    never splits an emoji sequence or a letter from its combining marks.
    """
    units = 0
    end = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            break
        end = i + 1
    else:
        return text
    cut = text[:end]
    # Back off while the cut ends in a joiner or the next character continues the last sequence.
    while cut and (cut[-1] == _ZWJ or _continues(text[len(cut)])):
        cut = cut[:-1]
    return cut.rstrip()


def nearest_resolution(width: int, height: int, choices: tuple[str, ...]) -> str:
    """Return the choice 'W:H' closest in aspect ratio, then in area, to width x height."""
    target = math.log(max(width, 1) / max(height, 1))
    area = max(width, 1) * max(height, 1)

    def distance(choice: str) -> tuple[float, float]:
        w, h = (int(v) for v in choice.split(":"))
        return (round(abs(math.log(w / h) - target), 6), abs(math.log(w * h / area)))

    return min(choices, key=distance)


def _put(params: dict[str, Any], path: str, value: Any) -> None:
    """Set ``params[a][b]`` for the dotted path ``a.b``."""
    *parents, last = path.split(".")
    target = params
    for name in parents:
        target = target.setdefault(name, {})
    target[last] = value


def _free_resolution(width: int, height: int, low: int, high: int) -> str:
    """Return 'W:H' for the poster's image slot, clamped into an action's free resolution range."""
    ratio = min(5 / 2, max(2 / 5, max(width, 1) / max(height, 1)))
    w, h = float(width), float(width) / ratio
    scale = max(1.0, (low + 1) / min(w, h))
    scale = min(scale, (high - 1) / max(w * scale, h * scale) * scale)
    return f"{round(w * scale)}:{round(h * scale)}"


def build_params(spec: ActionSpec, settings: HunyuanSettings, request: GenerationRequest) -> dict[str, Any]:
    """Map a generation request and its validated settings to the action's API fields."""
    params: dict[str, Any] = {}
    if spec.prompt_field is not None:
        prompt = truncate_text(request.prompt.strip(), spec.prompt_limit)
        if prompt:
            params[spec.prompt_field] = prompt
        elif spec.prompt_required:
            raise ProviderError("bad_request", "EmptyPrompt", "the prompt is empty")
    if spec.negative_prompt:
        negative = truncate_text(request.negative_prompt.strip(), spec.prompt_limit)
        if negative:
            params["NegativePrompt"] = negative
    style = settings.style or spec.style_hints.get(request.style.strip().lower())
    if style and settings.avatar_type != "pet":
        params[spec.style_field] = [style] if spec.style_field.endswith("s") else style
    photo = request.kind != "text_to_image"
    resolution = settings.resolution
    if resolution is None and spec.free_resolution is not None:
        resolution = _free_resolution(request.width, request.height, *spec.free_resolution)
    elif resolution is None and spec.auto_resolution and spec.resolutions and not (photo and spec.photo_resolutions):
        resolution = nearest_resolution(request.width, request.height, spec.resolutions)
    if resolution is not None and spec.resolution_field is not None:
        _put(params, spec.resolution_field, int(resolution) if spec.integer_resolution else resolution)
    for key, api_field in spec.settings_fields.items():
        value = getattr(settings, key)
        if value is None:
            continue
        params[api_field] = value.to_api() if isinstance(value, LogoParam) else value
    if "Seed" not in params and "seed" in spec.settings_fields and settings.revise == 0 and request.seed \
            and not photo:
        # A fixed per-participation seed only matters when the prompt is not rewritten.
        params["Seed"] = request.seed if 1 <= request.seed <= MAX_SEED else request.seed % MAX_SEED + 1
    if photo:
        for item in spec.inputs:
            _put_input(params, spec, item, request)
    if spec.rsp_img_type:
        params["RspImgType"] = settings.rsp_img_type or "base64"
    return params


def _put_input(params: dict[str, Any], spec: ActionSpec, item: ImageInput, request: GenerationRequest) -> None:
    """Add one input photo: base64 where the action takes it, else its signed URL."""
    target = params.setdefault(item.wrapper, {}) if item.wrapper else params
    if item.base64 and item.role in request.inputs:
        target[item.base64] = base64.b64encode(request.inputs[item.role]).decode("ascii")
    elif item.url and request.input_urls.get(item.role):
        target[item.url] = request.input_urls[item.role]
    elif item.url and not item.base64 and item.role in request.inputs:
        raise ProviderError(
            "bad_request", "InputNeedsURL",
            f"{spec.name} only takes the {item.role!r} photo as a URL: set PUBLIC_BASE_URL (or INPUT_URL_BASE) "
            "to an address the service can reach",
        )
    else:
        raise ProviderError("bad_request", "MissingInput", f"{spec.name} needs the input image {item.role!r}")


# --- the provider -----------------------------------------------------------------------------------


_MODERATION_WORDS = ("审核", "违规", "敏感", "illegal", "moderation", "sensitive", "porn", "politic")
#: Error code parts that mean the attendee's photo cannot be used (no face, too small, unreadable...).
_PHOTO_PROBLEMS = ("Face", "Body", "ImageDecodeFailed", "ImageResolution", "ImageSize", "ImageTooSmall",
                   "ImageHasNo", "NoPerson", "NoHuman")


def _is_photo_problem(code: str) -> bool:
    """Tell whether an error code blames the input photo rather than the request or the account."""
    return any(part in code for part in _PHOTO_PROBLEMS)


def photo_refusal(exc: ProviderError) -> ProviderError:
    """Return the error to raise for a photo request: photo problems become a refusal the attendee can fix.

    They are reported as ``moderation`` (the attendee is told and may pick another photo) instead of
    ``bad_request`` (which would blame the campaign's settings).
    """
    if exc.kind in ("bad_request", "retryable") and _is_photo_problem(exc.code) and exc.kind != "moderation":
        return type(exc)("moderation", exc.code, f"the photo cannot be used: {exc.message}")
    return exc


class HunyuanProvider:
    """Generate images with Tencent Hunyuan (and, given an aiart client, aiart actions)."""

    name = "hunyuan"

    def __init__(
        self,
        client: TencentCloudClient,
        action: str = "SubmitHunyuanImageJob",
        fetch: Fetch | None = None,
        *,
        aiart_client: TencentCloudClient | None = None,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unsupported Hunyuan action {action!r}; choose one of: {', '.join(ACTIONS)}")
        self.action = action
        self._clients = {client.service: client}
        if aiart_client is not None:
            self._clients[aiart_client.service] = aiart_client
        self._fetch: Fetch = fetch or ResultFetcher()

    def __repr__(self) -> str:
        return f"HunyuanProvider(action={self.action!r}, clients={list(self._clients.values())!r})"

    def close(self) -> None:
        """Close the underlying HTTP clients."""
        for client in self._clients.values():
            client.close()

    def _client(self, spec: ActionSpec) -> TencentCloudClient:
        client = self._clients.get(spec.service)
        if client is None:
            raise ProviderError(
                "bad_request", "NoClient", f"{spec.name} needs a {spec.service} client, none configured"
            )
        return client

    def _spec(self, request: GenerationRequest) -> tuple[ActionSpec, HunyuanSettings]:
        settings = parse_settings(request.settings, self.action, request.kind)
        return ACTIONS[settings.action], settings

    def start(self, request: GenerationRequest) -> GeneratedImage | Pending:
        """Submit a job (returns Pending) or, for synchronous actions, return the image."""
        spec, settings = self._spec(request)
        params = build_params(spec, settings, request)
        try:
            response = self._client(spec).call(spec.name, params)
        except ProviderError as exc:
            raise photo_refusal(exc) if request.kind != "text_to_image" else exc from None
        if spec.is_job:
            job_id = str(response.get("JobId") or "")
            if not job_id:
                raise ProviderError("retryable", "InvalidResponse", f"{spec.name} returned no JobId")
            log.info("hunyuan %s submitted job %s for %s", spec.name, job_id, request.reference or "-")
            return Pending(job_id=job_id, poll_after=spec.poll_after)
        result = response.get("ResultImage")
        if not isinstance(result, str) or not result:
            raise ProviderError("retryable", "ResultMissing", f"{spec.name} returned no image")
        url = params.get("RspImgType") == "url"
        image = self._fetch(result) if url else decode_base64_image(result)
        return image.generated(self.name, model=spec.name)

    def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage | Pending:
        """Query a job started by :meth:`start`; return Pending, the image, or raise its failure."""
        spec, _ = self._spec(request)
        if spec.query_action is None:
            raise ProviderError("bad_request", "NotAJob", f"{spec.name} is synchronous; nothing to resume")
        response = self._client(spec).call(spec.query_action, {"JobId": job_id})
        status = str(response.get("JobStatusCode", ""))
        if status == "5":
            return self._finished(spec, job_id, response)
        if status == "4":
            raise self._job_error(spec, job_id, response)
        # "1" queued, "2" running; an unknown status is polled again (the caller bounds the wait).
        return Pending(job_id=job_id, poll_after=spec.poll_after)

    def _finished(self, spec: ActionSpec, job_id: str, response: Mapping[str, Any]) -> GeneratedImage:
        images = response.get("ResultImage")
        if isinstance(images, str):
            images = [images]
        urls = [u for u in images or [] if isinstance(u, str) and u]
        if not urls:
            raise RemoteJobFailed("retryable", "ResultMissing", f"job {job_id} finished without an image")
        revised = response.get("RevisedPrompt")
        if isinstance(revised, list):
            revised = next((r for r in revised if isinstance(r, str) and r), None)
        result_ready()  # the job no longer uses the account's concurrency while we download
        image = self._fetch(urls[0])
        return image.generated(self.name, model=spec.name, revised_prompt=revised or None)

    def _job_error(self, spec: ActionSpec, job_id: str, response: Mapping[str, Any]) -> ProviderError:
        code = str(response.get("JobErrorCode") or "JobFailed")
        message = str(response.get("JobErrorMsg") or response.get("JobStatusMsg") or "job failed")
        kind = classify_code(code)
        if kind == "retryable" and any(w in message.lower() for w in _MODERATION_WORDS):
            kind = "moderation"
        if kind != "moderation" and spec.kinds <= _PHOTO_KINDS and _is_photo_problem(code):
            kind = "moderation"
        log.warning("hunyuan %s job %s failed: %s %s", spec.name, job_id, kind, code)
        return RemoteJobFailed(kind, code, f"job {job_id}: {message}")


# --- configuration ----------------------------------------------------------------------------------


def provider_from_settings(settings: Settings, transport: httpx.BaseTransport | None = None) -> HunyuanProvider:
    """Build the Hunyuan provider from the TENCENTCLOUD_* / HUNYUAN_ENDPOINT / AIART_ENDPOINT settings."""
    secret_id, secret_key = settings.TENCENTCLOUD_SECRET_ID, settings.TENCENTCLOUD_SECRET_KEY
    if not secret_id or not secret_key:
        raise ValueError("TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must both be set for Hunyuan")
    hunyuan_endpoint = settings.HUNYUAN_ENDPOINT or DEFAULT_HUNYUAN_ENDPOINT
    aiart_endpoint = settings.AIART_ENDPOINT or DEFAULT_AIART_ENDPOINT
    overrides = tuple(
        endpoint
        for endpoint, default in (
            (hunyuan_endpoint, DEFAULT_HUNYUAN_ENDPOINT),
            (aiart_endpoint, DEFAULT_AIART_ENDPOINT),
        )
        if endpoint.rstrip("/") != default
    )

    def client(service: str, version: str, endpoint: str) -> TencentCloudClient:
        return TencentCloudClient(
            service,
            version,
            endpoint,
            secret_id,
            secret_key,
            token=settings.TENCENTCLOUD_TOKEN or None,
            region=settings.TENCENTCLOUD_REGION or DEFAULT_REGION,
            transport=transport,
        )

    return HunyuanProvider(
        client("hunyuan", HUNYUAN_VERSION, hunyuan_endpoint),
        fetch=ResultFetcher(override_origin=overrides or None, transport=transport),
        aiart_client=client("aiart", AIART_VERSION, aiart_endpoint),
    )
