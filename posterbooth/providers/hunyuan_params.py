"""Map a generation request and its validated Hunyuan settings to an action's API fields."""

from __future__ import annotations

import base64
import io
import math
import unicodedata
from typing import Any

from posterbooth.providers.base import FinishRequest, GenerationRequest, ProviderError
from posterbooth.providers.hunyuan_actions import (
    CHAT_ACTION,
    MAX_REFERENCES,
    MAX_SEED,
    TEXT_TO_IMAGE_3,
    ActionSpec,
    ImageInput,
    t2i3_resolution,
)
from posterbooth.providers.hunyuan_glam import glam_params
from posterbooth.providers.hunyuan_settings import HunyuanSettings, LogoParam

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
    if spec.name == "SubmitGlamPicJob":
        return glam_params(spec, settings, request)
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
    unrevised = settings.revise == 0 or "revise" not in spec.settings_fields
    if "Seed" not in params and "seed" in spec.settings_fields and unrevised and request.seed and not photo:
        # A fixed per-participation seed only matters when the prompt is not rewritten.
        params["Seed"] = request.seed if 1 <= request.seed <= MAX_SEED else request.seed % MAX_SEED + 1
    if photo:
        for item in spec.inputs:
            _put_input(params, spec, item, request)
    if spec.rsp_img_type:
        params["RspImgType"] = settings.rsp_img_type or "base64"
    if spec.name == CHAT_ACTION and request.chat_id:
        params["ChatId"] = request.chat_id  # a "change it" edit continues the shown picture's turn
    if spec.name == TEXT_TO_IMAGE_3:
        _put_references(params, request)
    return params


def _put_references(params: dict[str, Any], request: GenerationRequest) -> None:
    """混元生图 3.0: the reference Images (the campaign's files as Base64, the attendee's photo by its signed URL)
    and, unless the campaign sets one, the resolution nearest the poster's image slot."""
    images = [base64.b64encode(data).decode("ascii") for data in request.references]
    if request.kind != "text_to_image":
        url = request.input_urls.get("photo")
        if url:
            images.append(url)
        elif "photo" in request.inputs:
            images.append(base64.b64encode(request.inputs["photo"]).decode("ascii"))
        else:
            raise ProviderError("bad_request", "MissingInput", f"{TEXT_TO_IMAGE_3} needs the attendee's photo")
    params.pop("Images", None)  # the settings name the files; the request carries them
    if len(images) > MAX_REFERENCES:
        raise ProviderError("bad_request", "TooManyImages", f"{TEXT_TO_IMAGE_3} takes at most {MAX_REFERENCES} images")
    if images:
        params["Images"] = images
    params.setdefault("Resolution", t2i3_resolution(request.width, request.height))


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


#: Largest InputImage the finishing actions take, as base64 (documented: under 6 MB).
FINISH_INPUT_LIMIT = 6 * 1024 * 1024 - 1024


def _input_base64(data: bytes) -> str:
    """Return the picture as base64 under the finishing actions' limit (re-encoded as JPEG when too big)."""
    encoded = base64.b64encode(data).decode("ascii")
    quality = 92
    while len(encoded) > FINISH_INPUT_LIMIT and quality >= 60:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=quality)
        encoded = base64.b64encode(out.getvalue()).decode("ascii")
        quality -= 8
    if len(encoded) > FINISH_INPUT_LIMIT:
        raise ProviderError("bad_request", "ImageSizeExceed", "the picture to finish is over 6 MB as base64")
    return encoded


def finish_params(request: FinishRequest) -> dict[str, Any]:
    """Return the API fields of a finishing step: ImageOutpainting (Ratio, LogoAdd) or RefineImage."""
    params: dict[str, Any] = {"InputImage": _input_base64(request.image), "RspImgType": "base64"}
    if request.step == "outpaint":
        params["Ratio"] = request.ratio
        logo_add = request.settings.get("logo_add")
        if logo_add in (0, 1):
            params["LogoAdd"] = logo_add
    return params
