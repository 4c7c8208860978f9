"""Tencent Hunyuan image provider: Hunyuan 3.0 jobs, TextToImageLite and the aiart photo actions.

The supported actions are the :class:`~posterbooth.providers.hunyuan_actions.ActionSpec` rows in
:mod:`posterbooth.providers.hunyuan_actions`; a campaign's ``generation.hunyuan`` block is validated by
:class:`~posterbooth.providers.hunyuan_settings.HunyuanSettings`, and
:mod:`posterbooth.providers.hunyuan_params` maps a request to the action's API fields.

Photos go as base64 where the action takes it (``InputImage``,
``ContentImage.ImageBase64``), else as the short-lived signed URLs the worker
puts in ``GenerationRequest.input_urls`` (``ProductUrl``, ``ModelUrl``,
``ClothesUrl``; AI 美照's ``TemplateUrl`` and ``FaceInfos``, built by
:mod:`posterbooth.providers.hunyuan_glam`).

AI 写真 (``kind: portrait``) is :mod:`posterbooth.providers.hunyuan_portrait`: :meth:`HunyuanProvider.prepare`
uploads the photo (its ``BaseUrl``), then :meth:`~HunyuanProvider.start` and :meth:`~HunyuanProvider.resume` draw.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx

from posterbooth.config import Settings
from posterbooth.providers import hunyuan_portrait as portrait
from posterbooth.providers.base import (
    FinishRequest,
    GeneratedImage,
    GenerationRequest,
    Pending,
    ProviderError,
    RemoteJobFailed,
    face_problem,
    result_ready,
)
from posterbooth.providers.hunyuan_actions import (
    ACTIONS,
    AIART_VERSION,
    FINISH_ACTIONS,
    HUNYUAN_VERSION,
    KIND_ACTIONS,
    MAX_SEED,
    PHOTO_KINDS,
    ActionSpec,
    ImageInput,
)
from posterbooth.providers.hunyuan_params import build_params, finish_params, nearest_resolution, truncate_text
from posterbooth.providers.hunyuan_settings import (
    HunyuanSettings,
    LogoParam,
    LogoRect,
    parse_settings,
    validation_message,
)
from posterbooth.providers.results import Fetch, ResultFetcher, decode_base64_image
from posterbooth.providers.tencent import DEFAULT_REGION, TencentCloudClient, classify_code

# The names other modules have always imported from here; they live in the hunyuan_* modules.
__all__ = [
    "ACTIONS", "AIART_VERSION", "DEFAULT_AIART_ENDPOINT", "DEFAULT_HUNYUAN_ENDPOINT", "HUNYUAN_VERSION",
    "KIND_ACTIONS", "MAX_SEED", "ActionSpec", "HunyuanProvider", "HunyuanSettings", "ImageInput", "LogoParam",
    "LogoRect", "RemoteJobFailed", "build_params", "nearest_resolution", "parse_settings", "photo_refusal",
    "provider_from_settings", "truncate_text", "validation_message",
]

log = logging.getLogger(__name__)

DEFAULT_HUNYUAN_ENDPOINT = "https://hunyuan.tencentcloudapi.com"
DEFAULT_AIART_ENDPOINT = "https://aiart.tencentcloudapi.com"

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
        if spec.name == portrait.DRAW_ACTION:
            logo: dict[str, Any] = {"LogoAdd": settings.logo_add} if settings.logo_add is not None else {}
            if settings.logo_param is not None:
                logo["LogoParam"] = settings.logo_param.to_api()
            params = portrait.draw_params(request, settings.style, settings.definition, logo)
            return portrait.submit(self._client(spec), params, request.reference)
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

    def prepare(self, step: str, request: GenerationRequest) -> str:
        """Run a preparation step: AI 写真's upload of the attendee's photo (UploadTrainPortraitImages, no training)."""
        client = self._clients.get("aiart")
        if step != portrait.UPLOAD_STEP or client is None:
            raise ProviderError("bad_request", "NoPreparation", f"cannot run preparation step {step!r}")
        return portrait.upload(client, request)

    def finish(self, request: FinishRequest) -> GeneratedImage:
        """Run a poster finishing step: ImageOutpainting to the box's ratio, or RefineImage (aiart, synchronous)."""
        action = FINISH_ACTIONS.get(request.step)
        client = self._clients.get("aiart")
        if action is None or client is None:
            raise ProviderError("bad_request", "NoFinishing", f"cannot run finishing step {request.step!r}")
        response = client.call(action, finish_params(request))
        result = response.get("ResultImage")
        if not isinstance(result, str) or not result:
            raise ProviderError("retryable", "ResultMissing", f"{action} returned no image")
        image = self._fetch(result) if result.startswith(("http://", "https://")) else decode_base64_image(result)
        log.info("hunyuan %s finished the picture of %s", action, request.reference or "-")
        return image.generated(self.name, model=action)

    def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage | Pending:
        """Query a job started by :meth:`start`; return Pending, the image, or raise its failure."""
        spec, _ = self._spec(request)
        if spec.name == portrait.DRAW_ACTION:
            return portrait.query(self._client(spec), self._fetch, job_id, self.name)
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
        generated = image.generated(self.name, model=spec.name, revised_prompt=revised or None)
        chat_id = response.get("ChatId")  # SubmitHunyuanImageChatJob: this turn, for "change it" edits
        return replace(generated, chat_id=chat_id) if isinstance(chat_id, str) and chat_id else generated

    def _job_error(self, spec: ActionSpec, job_id: str, response: Mapping[str, Any]) -> ProviderError:
        code = str(response.get("JobErrorCode") or "JobFailed")
        message = str(response.get("JobErrorMsg") or response.get("JobStatusMsg") or "job failed")
        kind = classify_code(code)
        if kind == "retryable" and any(w in message.lower() for w in _MODERATION_WORDS):
            kind = "moderation"
        if kind != "moderation" and spec.kinds <= PHOTO_KINDS and _is_photo_problem(code):
            kind = "moderation"
        if kind == "retryable" and spec.kinds <= PHOTO_KINDS and face_problem(ProviderError(kind, code, message)):
            kind = "moderation"  # e.g. AI 美照's job failing with "未检测到人脸": the attendee's photo, not the service
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
