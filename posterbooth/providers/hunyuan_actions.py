"""Tencent Hunyuan / aiart image actions: one :class:`ActionSpec` row per API action in :data:`ACTIONS`.

Text-to-image: ``SubmitHunyuanImageJob`` (Hunyuan 3.0, the default), ``TextToImageLite`` (fast) and the aiart
``TextToImageRapid`` (混元生图 2.0, its 30 named styles in :data:`RAPID_STYLES`). Poster finishing
(:data:`FINISH_ACTIONS`): ``ImageOutpainting`` (扩图) and ``RefineImage`` (super-resolution).

Each row gives the service, version, sync or job, the generation kinds it makes, prompt limit,
style codes, resolutions, which campaign settings it takes and how it takes the attendee's
photos. Adding an action is one more :class:`ActionSpec`.

Photo kinds and their default actions (:data:`KIND_ACTIONS`):

* ``image_to_image``: ``SubmitHunyuanImageJob`` with ``ContentImage``, or the
  aiart ``ImageToImage`` (style codes, ``strength``);
* ``avatar``: ``GenerateAvatar``; ``meme``: ``SubmitMemeJob`` + ``QueryMemeJob``
  (an animated GIF; the prompt is its caption); ``sketch_to_image``:
  ``SketchToImage``; ``product_background``: ``ReplaceBackground``;
  ``try_on``: ``ChangeClothes``; ``glam`` (AI 美照): ``SubmitGlamPicJob`` + ``QueryGlamPicJob``
  (the template and the photo as URLs only; its fields are built by
  :mod:`posterbooth.providers.hunyuan_glam`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posterbooth.providers import hunyuan_portrait as portrait
from posterbooth.providers.hunyuan_t2i3 import (  # noqa: F401 - the action table's other users import them here
    MAX_REFERENCES,
    T2I3_AREA,
    T2I3_SIDES,
    TEXT_TO_IMAGE_3,
    t2i3_resolution,
    t2i3_resolution_problem,
)

HUNYUAN_VERSION = "2023-09-01"
AIART_VERSION = "2022-12-29"
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
    #: Style names a campaign may write instead of the code (TextToImageRapid: 水彩 -> "4").
    style_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_job(self) -> bool:
        """Tell whether the action starts a remote job that must be polled."""
        return self.query_action is not None


_COMMON_FIELDS = {"logo_add": "LogoAdd", "logo_param": "LogoParam"}
PHOTO_KINDS = frozenset(
    {"image_to_image", "avatar", "meme", "sketch_to_image", "product_background", "try_on", "glam", "portrait"}
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
    "glam": "SubmitGlamPicJob",
    "portrait": portrait.DRAW_ACTION,
}


def _input(role: str, base64_field: str | None = "InputImage", url: str | None = "InputUrl") -> ImageInput:
    return ImageInput(role, base64=base64_field, url=url)


def _codes(text: str) -> frozenset[str]:
    """Return the space-separated codes in ``text``."""
    return frozenset(text.split())


#: TextToImageRapid (混元生图 2.0) ``Style`` codes and their documented names.
RAPID_STYLES: dict[str, str] = {
    "1": "宫崎骏", "2": "新海诚", "3": "去旅行", "4": "水彩", "5": "像素", "6": "童话世界", "7": "奇趣卡通",
    "8": "赛博朋克", "9": "极简", "10": "复古", "11": "暗黑系", "12": "波普风", "13": "糖果色", "14": "胶片电影",
    "15": "素描", "16": "水墨画", "17": "油画", "18": "粉笔", "19": "粘土", "20": "毛毡", "21": "刺绣", "22": "彩铅",
    "23": "莫奈", "24": "毕加索", "25": "穆夏", "26": "古风二次元", "27": "都市二次元", "28": "悬疑", "29": "校园",
    "30": "都市异能",
}
#: TextToImageRapid's documented long sides; its ratios are 1:1, 3:4, 4:3, 9:16 and 16:9.
_RAPID_LONG_SIDES = (160, 200, 225, 258, 512, 520, 608, 768, 1024, 1080, 1280, 1600, 1620, 1920, 2048, 2400,
                     2560, 2592, 3440, 3840, 4096)


def _rapid_resolutions() -> tuple[str, ...]:
    """Return every 'W:H' TextToImageRapid takes whose short side is a whole number of pixels."""
    out: list[str] = []
    for long in _RAPID_LONG_SIDES:
        for a, b in ((1, 1), (4, 3), (3, 4), (16, 9), (9, 16)):
            big, small = max(a, b), min(a, b)
            if long * small % big:
                continue
            short = long * small // big
            out.append(f"{long}:{short}" if a >= b else f"{short}:{long}")
    return tuple(dict.fromkeys(out))


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
            name="TextToImageRapid",
            service="aiart",
            version=AIART_VERSION,
            query_action=None,
            prompt_limit=256,
            styles=frozenset(RAPID_STYLES),
            resolutions=_rapid_resolutions(),
            settings_fields={**_COMMON_FIELDS, "seed": "Seed"},
            style_hints={
                "anime": "1",
                "ghibli": "1",
                "travel": "3",
                "watercolor": "4",
                "pixel": "5",
                "fairytale": "6",
                "cartoon": "7",
                "cyberpunk": "8",
                "minimal": "9",
                "retro": "10",
                "pop": "12",
                "film": "14",
                "sketch": "15",
                "ink": "16",
                "oil": "17",
                "3d": "19",
                "clay": "19",
                "monet": "23",
                "guofeng": "26",
            },
            rsp_img_type=True,
            negative_prompt=False,
            style_names={name: code for code, name in RAPID_STYLES.items()},
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

# --- AI 美照 (SubmitGlamPicJob, aiart, async, default concurrency 1) ----------------------------------
#: Its ``Style`` values (single person): real (closest likeness), balanced, textured (realistic skin), beautiful.
GLAM_STYLES = frozenset({"real", "balanced", "textured", "beautiful"})
ACTIONS["SubmitGlamPicJob"] = ActionSpec(
    name="SubmitGlamPicJob",
    service="aiart",
    version=AIART_VERSION,
    query_action="QueryGlamPicJob",
    prompt_limit=0,
    styles=GLAM_STYLES,
    resolutions=(),
    settings_fields={**_COMMON_FIELDS, "num": "Num", "similarity": "Similarity", "clarity": "Clarity"},
    style_hints={name: name for name in GLAM_STYLES},
    # TemplateUrl and FaceInfos[].ImageUrls: URLs only (hunyuan_glam builds them).
    inputs=(ImageInput("template", url="TemplateUrl"), ImageInput("photo", url="FaceInfos.ImageUrls")),
    kinds=frozenset({"glam"}),
    prompt_field=None,
    prompt_required=False,
    negative_prompt=False,
    resolution_field=None,
)

# AI 写真: the draw (its upload is a preparation step, see hunyuan_portrait). Its style is the StyleId.
ACTIONS[portrait.DRAW_ACTION] = ActionSpec(
    name=portrait.DRAW_ACTION,
    service="aiart",
    version=AIART_VERSION,
    query_action=portrait.QUERY_ACTION,
    prompt_limit=0,
    styles=frozenset(portrait.STYLE_IDS),
    resolutions=(),
    settings_fields={**_COMMON_FIELDS, "definition": "Definition"},
    style_field="StyleId",
    # The photo goes once, by URL, to the upload step before the draw (UploadTrainPortraitImages' BaseUrl).
    inputs=(ImageInput("photo", url="BaseUrl"),),
    kinds=frozenset({"portrait"}),
    prompt_field=None,
    prompt_required=False,
    negative_prompt=False,
    resolution_field=None,
    auto_resolution=False,
)


def rapid_style_name(settings: Mapping[str, Any]) -> str:
    """Return the TextToImageRapid style name a settings block chooses (its code or name), else ''."""
    if settings.get("action") != "TextToImageRapid":
        return ""
    value = str(settings.get("style", "")).strip()
    if value in RAPID_STYLES.values():
        return value
    return RAPID_STYLES.get(str(int(value)), "") if value.isdigit() else ""


#: Poster finishing steps and the synchronous aiart action each uses (default concurrency 1, like the others).
FINISH_ACTIONS: dict[str, str] = {"outpaint": "ImageOutpainting", "refine": "RefineImage"}


# --- "change it" edits: 混元生图（多轮对话） -------------------------------------------------------------------

#: SubmitHunyuanImageChatJob / QueryHunyuanImageChatJob (hunyuan host, async, concurrency 1): text only (no input
#: image), Prompt <= 1024 characters, an optional ChatId continues an earlier turn (at most 100 turns per
#: conversation); the query answers the turn's ChatId and result URLs valid 7 days (downloaded at once anyway).
CHAT_ACTION = "SubmitHunyuanImageChatJob"
#: Turns a conversation may have (the first picture and its edits).
CHAT_TURNS = 100
ACTIONS[CHAT_ACTION] = ActionSpec(
    name=CHAT_ACTION,
    service="hunyuan",
    version=HUNYUAN_VERSION,
    query_action="QueryHunyuanImageChatJob",
    prompt_limit=1024,
    styles=frozenset(),
    resolutions=(),
    settings_fields=dict(_COMMON_FIELDS),
    negative_prompt=False,
    resolution_field=None,
)


# --- 混元生图（3.0）with reference images --------------------------------------------------------------------

# (its limits and resolutions: posterbooth.providers.hunyuan_t2i3)
ACTIONS[TEXT_TO_IMAGE_3] = ActionSpec(
    name=TEXT_TO_IMAGE_3,
    service="aiart",
    version=AIART_VERSION,
    query_action="QueryTextToImageJob",
    prompt_limit=8192,
    styles=frozenset(),
    resolutions=(),
    # "references" (file names) become the Images field (hunyuan_params.build_params sends the files).
    settings_fields={"logo_add": "LogoAdd", "revise": "Revise", "seed": "Seed", "references": "Images"},
    kinds=frozenset({"text_to_image", "image_to_image"}),
    negative_prompt=False,
    auto_resolution=False,
)
