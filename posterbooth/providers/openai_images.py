"""OpenAI-compatible image generation (OpenAI, and gateways serving the same request shape).

``POST <images URL>`` with ``{"prompt", "model", "n": 1, ...settings}``; the
answer's first ``data`` item carries ``b64_json`` or a ``url`` (downloaded at
once, URLs expire). The images URL is derived from the base URL:

* a base ending in a version segment (``/v1``, ``/api/v3``...) gets ``/images/generations``;
* any other base gets ``/v1/images/generations``.

So ``https://api.openai.com``, ``https://api.openai.com/v1`` and Volcengine
Ark's ``https://ark.cn-beijing.volces.com/api/v3`` all work.

The ``image_to_image`` kind goes to ``images/edits`` next to it, as multipart
form data: the attendee's photo as ``image``, with the prompt and settings.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from posterbooth.config import Settings
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError
from posterbooth.providers.hunyuan_settings import validation_message
from posterbooth.providers.results import Fetch, ResultFetcher, decode_base64_image

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com"
DEFAULT_MODEL = "gpt-image-1"
DEFAULT_TIMEOUT = 180.0
_VERSION_SEGMENT = re.compile(r"/v\d+[a-z0-9]*$")


#: Generation kinds this provider makes (image_to_image through images/edits).
OPENAI_KINDS = ("text_to_image", "image_to_image")
_INPUT_TYPES = {b"\xff\xd8\xff": ("photo.jpg", "image/jpeg"), b"\x89PNG": ("photo.png", "image/png")}


class OpenAISettings(BaseModel):
    """A campaign's ``generation.openai`` block."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _fits_kind(self, info: ValidationInfo) -> OpenAISettings:
        kind = str((info.context or {}).get("kind") or "text_to_image")
        if kind not in OPENAI_KINDS and (info.context or {}).get("in_use", True):
            raise ValueError(f"the OpenAI-compatible provider makes {' and '.join(OPENAI_KINDS)} images, not {kind}")
        return self

    model: str | None = Field(None, description="Model name; overrides OPENAI_IMAGE_MODEL for this campaign.")
    size: str | None = Field(
        None,
        pattern=r"^(auto|\d{3,4}x\d{3,4})$",
        description="Output size 'WxH' the model supports (gpt-image: 1024x1024, 1536x1024, 1024x1536, "
        "auto). Unset: the model's default.",
    )
    quality: str | None = Field(
        None,
        description="Quality tier the model supports (gpt-image: low, medium, high, auto; dall-e-3: hd).",
    )
    response_format: Literal["url", "b64_json"] | None = Field(
        None, description="Only for models that support it (dall-e); gpt-image models always answer base64."
    )
    output_format: Literal["png", "jpeg", "webp"] | None = Field(
        None, description="Encoded format of the result (gpt-image models)."
    )
    background: Literal["transparent", "opaque", "auto"] | None = Field(
        None, description="Background handling (gpt-image models)."
    )
    style: Literal["vivid", "natural"] | None = Field(None, description="dall-e-3 only: vivid or natural.")
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Further JSON fields sent as is, for gateways with options of their own "
        "(e.g. seed, watermark).",
    )


def images_url(base_url: str) -> str:
    """Return the image generation URL for a base URL (see the module docstring)."""
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"OpenAI base URL must be http(s), got {base_url!r}")
    if _VERSION_SEGMENT.search(base):
        return f"{base}/images/generations"
    return f"{base}/v1/images/generations"


def edits_url(base_url: str) -> str:
    """Return the image edit URL (``images/edits``) for a base URL."""
    return images_url(base_url).removesuffix("/generations") + "/edits"


def parse_retry_after(value: str | None) -> float | None:
    """Parse a ``retry-after`` header (seconds or HTTP date) into seconds, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_MODERATION_CODES = {"moderation_blocked", "content_policy_violation"}
_ACCOUNT_CODES = {
    "insufficient_quota",
    "billing_hard_limit_reached",
    "account_deactivated",
    "invalid_api_key",
}


class OpenAIImagesProvider:
    """Generate images through an OpenAI-compatible ``images/generations`` endpoint."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str = DEFAULT_MODEL,
        transport: httpx.BaseTransport | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        fetch: Fetch | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required for the OpenAI-compatible provider")
        self.url = images_url(base_url)
        self.edits_url = edits_url(base_url)
        self.model = model
        self._api_key = api_key
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=False,
            trust_env=False,
        )
        # The API's own origin may serve result URLs even over plain http (a local gateway).
        self._fetch: Fetch = fetch or ResultFetcher(override_origin=self.url, transport=transport)

    def __repr__(self) -> str:
        return f"OpenAIImagesProvider(url={self.url!r}, model={self.model!r})"

    def close(self) -> None:
        """Close pooled HTTP connections."""
        self._http.close()

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        """Return the JSON body for a generation request (settings validated)."""
        try:
            settings = OpenAISettings.model_validate(request.settings or {})
        except ValidationError as exc:
            raise ProviderError("bad_request", "InvalidSettings", validation_message(exc)) from None
        prompt = request.prompt.strip()
        if not prompt:
            raise ProviderError("bad_request", "EmptyPrompt", "the prompt is empty")
        body: dict[str, Any] = {
            **settings.extra,
            "prompt": prompt,
            "model": settings.model or self.model,
            "n": 1,
        }
        for key in ("size", "quality", "response_format", "output_format", "background", "style"):
            value = getattr(settings, key)
            if value is not None:
                body[key] = value
        return body

    def build_edit(self, request: GenerationRequest) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
        """Return the form fields and the file of an image edit (image_to_image) request."""
        body = self.build_body(request)
        body.pop("style", None)  # a generations-only option
        photo = request.inputs.get("photo") or next(iter(request.inputs.values()), b"")
        if not photo:
            raise ProviderError("bad_request", "MissingInput", "image_to_image needs the input image 'photo'")
        name, content_type = next(
            (v for magic, v in _INPUT_TYPES.items() if photo.startswith(magic)), ("photo.webp", "image/webp")
        )
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return fields, {"image": (name, photo, content_type)}

    def start(self, request: GenerationRequest) -> GeneratedImage | Pending:
        """Generate the image synchronously and return it."""
        if request.kind not in OPENAI_KINDS:
            raise ProviderError("bad_request", "unsupported_kind",
                                f"the OpenAI-compatible provider cannot make {request.kind!r} images")
        headers = {"Authorization": f"Bearer {self._api_key}"}
        if request.kind == "image_to_image":
            fields, files = self.build_edit(request)
            body: dict[str, Any] = fields
            send: dict[str, Any] = {"url": self.edits_url, "data": fields, "files": files}
        else:
            body = self.build_body(request)
            headers["Content-Type"] = "application/json"
            send = {"url": self.url, "content": json.dumps(body, ensure_ascii=False).encode("utf-8")}
        try:
            resp = self._http.post(**send, headers=headers)
        except httpx.TimeoutException as exc:
            raise ProviderError(
                "retryable", "NetworkTimeout", f"image API did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                "retryable", "NetworkError", f"image API unreachable ({type(exc).__name__})"
            ) from None
        if resp.status_code != 200:
            raise self._error(resp)
        try:
            payload = resp.json()
            item = payload["data"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError("retryable", "InvalidResponse", "image API answer has no data[0]") from None
        revised = item.get("revised_prompt") if isinstance(item, dict) else None
        if isinstance(item, dict) and item.get("b64_json"):
            image = decode_base64_image(str(item["b64_json"]))
        elif isinstance(item, dict) and item.get("url"):
            image = self._fetch(str(item["url"]))
        else:
            raise ProviderError("retryable", "ResultMissing", "image API answer has neither b64_json nor url")
        return image.generated(self.name, model=str(body["model"]), revised_prompt=revised or None)

    def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage | Pending:
        """Refuse: this provider never returns Pending."""
        raise ProviderError("bad_request", "NotAJob", "the OpenAI-compatible provider has no remote jobs")

    def _error(self, resp: httpx.Response) -> ProviderError:
        status = resp.status_code
        code, message = "", ""
        try:
            error = resp.json().get("error") or {}
            if isinstance(error, dict):
                code = str(error.get("code") or error.get("type") or "")
                message = str(error.get("message") or "")
        except (ValueError, AttributeError):
            pass
        code = code or f"HTTP{status}"
        # Some gateways echo the key they were given; never carry it further.
        message = (message or resp.reason_phrase or "error").replace(self._api_key, "***")[:500]
        log.warning("openai images: HTTP %s %s", status, code)
        if code in _MODERATION_CODES:
            return ProviderError("moderation", code, message)
        if status in (401, 403) or code in _ACCOUNT_CODES:
            return ProviderError("account", code, message)
        if status == 429 or status in (408, 409) or status >= 500:
            return ProviderError(
                "retryable", code, message, retry_after=parse_retry_after(resp.headers.get("retry-after"))
            )
        if 400 <= status < 500:
            return ProviderError("bad_request", code, message)
        return ProviderError("retryable", code, f"unexpected HTTP status {status}")


def provider_from_settings(
    settings: Settings, transport: httpx.BaseTransport | None = None
) -> OpenAIImagesProvider:
    """Build the OpenAI-compatible provider from OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_IMAGE_MODEL."""
    if not settings.OPENAI_API_KEY:
        raise ValueError("OPENAI_API_KEY must be set for the OpenAI-compatible provider")
    return OpenAIImagesProvider(
        settings.OPENAI_BASE_URL or DEFAULT_BASE_URL,
        settings.OPENAI_API_KEY,
        settings.OPENAI_IMAGE_MODEL or DEFAULT_MODEL,
        transport=transport,
    )
