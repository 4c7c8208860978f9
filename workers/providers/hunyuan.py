"""Tencent Hunyuan image provider: Hunyuan 3.0 jobs and the fast synchronous TextToImageLite.

Each supported API action is one :class:`ActionSpec` row in :data:`ACTIONS`
(service, version, sync or job, prompt limit, style codes, resolutions, which
campaign settings it takes). The campaign's ``generation.hunyuan`` block is
validated by :class:`HunyuanSettings` against that table, at start-up by the
campaign loader and again per request here.

Adding an action (e.g. aiart ``ImageToImage``, ``GenerateAvatar`` or
``SubmitMemeJob``) is one more :class:`ActionSpec`: set ``service="aiart"``,
``version=AIART_VERSION``, ``query_action`` for job APIs, its styles and
resolutions, ``settings_fields`` for the settings it accepts, and ``inputs``
for photo inputs (``{"photo": "InputImage"}`` sends ``request.inputs["photo"]``
base64-encoded), ``style_field="Styles"`` for list-valued styles; then give the
provider an ``aiart_client``.
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
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from workers.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError
from workers.providers.results import Fetch, ResultFetcher, decode_base64_image
from workers.providers.tencent import DEFAULT_REGION, TencentCloudClient, classify_code

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
    #: Named request inputs -> API field taking them base64-encoded.
    inputs: Mapping[str, str] = field(default_factory=dict)
    #: Whether the action takes ``RspImgType`` (base64 | url).
    rsp_img_type: bool = False
    poll_after: float = 3.0

    @property
    def is_job(self) -> bool:
        """Tell whether the action starts a remote job that must be polled."""
        return self.query_action is not None


_COMMON_FIELDS = {"logo_add": "LogoAdd", "logo_param": "LogoParam"}


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
        "SubmitHunyuanImageJob",
        description="API action: SubmitHunyuanImageJob (Hunyuan 3.0, async job, best quality) "
        "or TextToImageLite (fast, synchronous).",
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
        None, description="TextToImageLite only: return the image inline (base64, default) or as a URL."
    )

    @field_validator("style", mode="before")
    @classmethod
    def _style_as_code(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:03d}"  # YAML reads 104 and 000 as integers
        return value

    @model_validator(mode="after")
    def _fits_action(self) -> HunyuanSettings:
        spec = ACTIONS.get(self.action)
        if spec is None:
            raise ValueError(f"action {self.action!r} is not supported; choose one of: {', '.join(ACTIONS)}")
        if self.style is not None and self.style not in spec.styles:
            choices = ", ".join(sorted(spec.styles))
            raise ValueError(f"style {self.style!r} is not a {spec.name} style; choose one of: {choices}")
        if self.resolution is not None and self.resolution not in spec.resolutions:
            raise ValueError(
                f"resolution {self.resolution!r} is not offered by {spec.name}; "
                f"choose one of: {', '.join(spec.resolutions)}"
            )
        optional = {"revise", "seed", "clarity", "num", "logo_add", "logo_param"}
        unsupported = sorted(
            key for key in optional if getattr(self, key) is not None and key not in spec.settings_fields
        )
        if self.rsp_img_type is not None and not spec.rsp_img_type:
            unsupported.append("rsp_img_type")
        if unsupported:
            raise ValueError(f"{spec.name} does not take: {', '.join(unsupported)}")
        if self.seed is not None and self.revise != 0:
            raise ValueError("seed only takes effect with revise: 0 (prompt rewriting makes the seed random)")
        return self


def validation_message(exc: ValidationError) -> str:
    """Summarise a settings ValidationError in one operator-readable line."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_settings(settings: Mapping[str, Any] | None, default_action: str) -> HunyuanSettings:
    """Validate a request's settings; raise ProviderError(bad_request) when they are invalid."""
    data = dict(settings or {})
    data.setdefault("action", default_action)
    try:
        return HunyuanSettings.model_validate(data)
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


def build_params(spec: ActionSpec, settings: HunyuanSettings, request: GenerationRequest) -> dict[str, Any]:
    """Map a generation request and its validated settings to the action's API fields."""
    prompt = truncate_text(request.prompt.strip(), spec.prompt_limit)
    if not prompt:
        raise ProviderError("bad_request", "EmptyPrompt", "the prompt is empty")
    params: dict[str, Any] = {"Prompt": prompt}
    negative = truncate_text(request.negative_prompt.strip(), spec.prompt_limit)
    if negative:
        params["NegativePrompt"] = negative
    style = settings.style or spec.style_hints.get(request.style.strip().lower())
    if style:
        params[spec.style_field] = [style] if spec.style_field.endswith("s") else style
    params["Resolution"] = settings.resolution or nearest_resolution(
        request.width, request.height, spec.resolutions
    )
    for key, api_field in spec.settings_fields.items():
        value = getattr(settings, key)
        if value is None:
            continue
        params[api_field] = value.to_api() if isinstance(value, LogoParam) else value
    if "Seed" not in params and "seed" in spec.settings_fields and settings.revise == 0 and request.seed:
        # A fixed per-participation seed only matters when the prompt is not rewritten.
        params["Seed"] = request.seed if 1 <= request.seed <= MAX_SEED else request.seed % MAX_SEED + 1
    for name, api_field in spec.inputs.items():
        if name not in request.inputs:
            raise ProviderError("bad_request", "MissingInput", f"{spec.name} needs the input image {name!r}")
        params[api_field] = base64.b64encode(request.inputs[name]).decode("ascii")
    if spec.rsp_img_type:
        params["RspImgType"] = settings.rsp_img_type or "base64"
    return params


# --- the provider -----------------------------------------------------------------------------------


class RemoteJobFailed(ProviderError):
    """The remote job itself failed: polling it again cannot help; ``retryable`` means start anew."""


_MODERATION_WORDS = ("审核", "违规", "敏感", "illegal", "moderation", "sensitive", "porn", "politic")


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
        settings = parse_settings(request.settings, self.action)
        return ACTIONS[settings.action], settings

    def start(self, request: GenerationRequest) -> GeneratedImage | Pending:
        """Submit a job (returns Pending) or, for synchronous actions, return the image."""
        spec, settings = self._spec(request)
        params = build_params(spec, settings, request)
        response = self._client(spec).call(spec.name, params)
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
        image = self._fetch(urls[0])
        return image.generated(self.name, model=spec.name, revised_prompt=revised or None)

    def _job_error(self, spec: ActionSpec, job_id: str, response: Mapping[str, Any]) -> ProviderError:
        code = str(response.get("JobErrorCode") or "JobFailed")
        message = str(response.get("JobErrorMsg") or response.get("JobStatusMsg") or "job failed")
        kind = classify_code(code)
        if kind == "retryable" and any(w in message.lower() for w in _MODERATION_WORDS):
            kind = "moderation"
        log.warning("hunyuan %s job %s failed: %s %s", spec.name, job_id, kind, code)
        return RemoteJobFailed(kind, code, f"job {job_id}: {message}")


# --- configuration ----------------------------------------------------------------------------------


def provider_from_env(
    env: Mapping[str, str], transport: httpx.BaseTransport | None = None
) -> HunyuanProvider:
    """Build the Hunyuan provider from TENCENTCLOUD_* / HUNYUAN_ENDPOINT / AIART_ENDPOINT settings."""
    secret_id = env.get("TENCENTCLOUD_SECRET_ID", "").strip()
    secret_key = env.get("TENCENTCLOUD_SECRET_KEY", "").strip()
    if not secret_id or not secret_key:
        raise ValueError("TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must both be set for Hunyuan")
    token = env.get("TENCENTCLOUD_TOKEN", "").strip() or None
    region = env.get("TENCENTCLOUD_REGION", "").strip() or DEFAULT_REGION
    hunyuan_endpoint = env.get("HUNYUAN_ENDPOINT", "").strip() or DEFAULT_HUNYUAN_ENDPOINT
    aiart_endpoint = env.get("AIART_ENDPOINT", "").strip() or DEFAULT_AIART_ENDPOINT
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
            token=token,
            region=region,
            transport=transport,
        )

    return HunyuanProvider(
        client("hunyuan", HUNYUAN_VERSION, hunyuan_endpoint),
        fetch=ResultFetcher(override_origin=overrides or None, transport=transport),
        aiart_client=client("aiart", AIART_VERSION, aiart_endpoint),
    )
