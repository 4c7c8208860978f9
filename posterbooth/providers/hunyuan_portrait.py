"""AI 写真 (``generation.kind: portrait``) on Tencent aiart, in the no-training mode: upload, then draw.

1. ``UploadTrainPortraitImages`` (synchronous) with ``TrainMode: 2`` (免训练, no training): the attendee's photo
   goes as ``BaseUrl`` (a short-lived signed link; the action takes URLs only) under a ``ModelId`` made from the
   participation (:func:`model_id`). A base photo the service cannot use (no face, several faces, a blocked or
   turned face) is refused with an error code at once.
2. ``SubmitDrawPortraitJob`` (``ModelId``, ``StyleId`` from the campaign style, ``ImageNum: 1``, ``Definition``)
   returns a ``JobId``; ``QueryDrawPortraitJob`` reports ``INIT``/``WAIT``/``RUN``/``FAIL``/``DONE`` and the
   result's ``ResultUrls`` (signed, valid 1 hour: downloaded at once).

The engine runs the upload as a preparation step of its own (:mod:`posterbooth.generation.preparing`), then
submits and polls the draw like any remote job. Tencent documents no face-specific error codes: a refusal whose
code or message speaks of faces or people is reported as ``face_rejected`` ("please take a clearer photo of just
you"), see :func:`face_refusal`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError, RemoteJobFailed
from posterbooth.providers.base import result_ready as _result_ready
from posterbooth.providers.results import Fetch
from posterbooth.providers.tencent import TencentCloudClient, classify_code, known_retryable

log = logging.getLogger(__name__)

UPLOAD_ACTION = "UploadTrainPortraitImages"
DRAW_ACTION = "SubmitDrawPortraitJob"
QUERY_ACTION = "QueryDrawPortraitJob"
#: The preparation step that uploads the base photo (its PRICE_TABLE action and ``charges`` row).
UPLOAD_STEP = "portrait_upload"
#: 免训练: only the base photo, and no training call before drawing.
NO_TRAINING = 2
#: One picture per participation (the API takes 1-4; each is billed).
IMAGE_NUM = 1

#: The documented StyleId values (docs page 1668/105740); most are made for one gender (``_female`` / ``_male``).
STYLE_IDS: tuple[str, ...] = (
    "zhengjian_female", "zhengjian_shorthair_female", "zhengjian_male", "grey_suit_male", "beige_suit_male",
    "white_sweater_male", "hanfu_female", "hanfu2_female", "green_female", "white_sweater_female", "sports_female",
    "bow_female", "wreath_female", "black_dress1_female", "black_dress2_female", "black_dress3_female",
    "wedding_female", "wedding2_female", "forest_female", "flower_female", "qipao_female", "feather_female",
    "lolita_female", "blue_shirt_female", "green_shirt_female", "purple_shirt_female", "fire_female",
    "christmas1_female", "christmas2_female", "christmas3_female", "newyear1_female", "newyear2_female",
    "newyear3_female", "newyear5_female", "labour_female", "elderly_female", "elderly_male", "princess_female",
    "childlike_female", "little_girl", "little_boy", "underwater_female", "wing_female", "minzu_female",
    "ancient_female", "dunhuang_female", "simple",
)
#: ``Definition`` values and the picture size each gives (``sd`` is the service's default).
DEFINITIONS: dict[str, tuple[int, int]] = {"sd": (512, 640), "hd": (1024, 1280), "hdpro": (1024, 1280),
                                           "uhd": (2048, 2560)}
DEFAULT_DEFINITION = "sd"
#: ModelId: letters, digits and underscores only (no length limit is documented; ours stay under 30).
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9_]+$")

_FACE_WORDS = re.compile(r"face|person|people|human|人脸|脸部|面部|多人|人像|五官", re.IGNORECASE)
_MODERATION_WORDS = ("审核", "违规", "敏感", "illegal", "moderation", "sensitive", "porn", "politic")


def model_id(participation_id: int, public_id: str) -> str:
    """Return the ModelId of a participation: its id and a digest of its private id (unique across instances)."""
    digest = hashlib.sha256(f"posterbooth-portrait:{public_id}".encode()).hexdigest()[:12]
    return f"pb_{participation_id}_{digest}"


def picture_size(definition: str | None) -> tuple[int, int]:
    """Return the width and height of a portrait drawn at ``definition`` (the default: sd)."""
    return DEFINITIONS[definition or DEFAULT_DEFINITION]


def face_problem(code: str, message: str) -> bool:
    """Tell whether a refusal is about the face(s) in the photo (no face, several, too small, hidden)."""
    return "Face" in code or bool(_FACE_WORDS.search(message))


def face_refusal(exc: ProviderError) -> ProviderError:
    """Return a refusal about the photo's face(s) as one the attendee can fix (``face_rejected``), else ``exc``.

    A documented transient failure (a timeout, a busy engine) stays one, whatever its message says.
    """
    transient = exc.kind == "retryable" and known_retryable(exc.code)
    if exc.kind in ("bad_request", "moderation", "retryable") and not transient and face_problem(exc.code, exc.message):
        return type(exc)("moderation", exc.code, f"the photo cannot be used: {exc.message}", reason="face_rejected")
    return exc


def upload_params(request: GenerationRequest) -> dict[str, Any]:
    """Return UploadTrainPortraitImages' fields: the ModelId, the photo's signed URL as BaseUrl, no training."""
    url = request.input_urls.get("photo", "")
    if not url:
        raise ProviderError(
            "bad_request", "InputNeedsURL",
            f"{UPLOAD_ACTION} only takes the photo as a URL: set PUBLIC_BASE_URL (or INPUT_URL_BASE) to an address "
            "the service can reach")
    if not MODEL_ID_RE.fullmatch(request.subject):
        raise ProviderError("bad_request", "InvalidModelId", f"ModelId {request.subject!r} is not letters, digits, _")
    return {"ModelId": request.subject, "BaseUrl": url, "TrainMode": NO_TRAINING}


def draw_params(request: GenerationRequest, style: str | None, definition: str | None,
                logo: Mapping[str, Any]) -> dict[str, Any]:
    """Return SubmitDrawPortraitJob's fields: ModelId, StyleId, ImageNum 1, Definition and the logo fields."""
    if not style:
        raise ProviderError("bad_request", "MissingStyle", "an AI 写真 style needs a StyleId (settings.hunyuan.style)")
    params: dict[str, Any] = {"ModelId": request.subject, "StyleId": style, "ImageNum": IMAGE_NUM}
    if definition:
        params["Definition"] = definition
    params.update(logo)
    return params


def upload(client: TencentCloudClient, request: GenerationRequest) -> str:
    """Upload the attendee's photo as the base of a no-training portrait model; return the action's name."""
    try:
        response = client.call(UPLOAD_ACTION, upload_params(request))
    except ProviderError as exc:
        raise face_refusal(exc) from None
    details = response.get("ResultDetails")
    log.info("hunyuan %s uploaded the photo of %s (%s)", UPLOAD_ACTION, request.reference or "-", details or "ok")
    return UPLOAD_ACTION


def submit(client: TencentCloudClient, params: dict[str, Any], reference: str) -> Pending:
    """Submit the draw; return its job to poll."""
    try:
        response = client.call(DRAW_ACTION, params)
    except ProviderError as exc:
        raise face_refusal(exc) from None
    job_id = str(response.get("JobId") or "")
    if not job_id:
        raise ProviderError("retryable", "InvalidResponse", f"{DRAW_ACTION} returned no JobId")
    log.info("hunyuan %s submitted job %s for %s", DRAW_ACTION, job_id, reference or "-")
    return Pending(job_id=job_id, poll_after=3.0)


def query(client: TencentCloudClient, fetch: Fetch, job_id: str, provider: str) -> GeneratedImage | Pending:
    """Ask about a draw job: Pending, the downloaded picture, or raise why it failed."""
    response = client.call(QUERY_ACTION, {"JobId": job_id})
    status = str(response.get("JobStatusCode", "")).upper()
    if status == "DONE":
        urls = [u for u in response.get("ResultUrls") or [] if isinstance(u, str) and u]
        if not urls:
            raise RemoteJobFailed("retryable", "ResultMissing", f"job {job_id} finished without a picture")
        _result_ready()  # the job no longer uses the account's concurrency while we download
        return fetch(urls[0]).generated(provider, model=DRAW_ACTION)
    if status == "FAIL":
        raise job_error(job_id, response)
    return Pending(job_id=job_id, poll_after=3.0)  # INIT, WAIT, RUN (an unknown status: asked again, bounded)


def job_error(job_id: str, response: Mapping[str, Any]) -> RemoteJobFailed:
    """Return the failure of a draw job, classified (face problems: ``face_rejected``)."""
    code = str(response.get("JobErrorCode") or "JobFailed")
    message = str(response.get("JobErrorMsg") or response.get("JobStatusMsg") or "job failed")
    if face_problem(code, message) and not known_retryable(code):
        return RemoteJobFailed("moderation", code, f"job {job_id}: the photo cannot be used: {message}",
                               reason="face_rejected")
    kind = classify_code(code)
    if kind == "retryable" and any(word in message.lower() for word in _MODERATION_WORDS):
        kind = "moderation"
    log.warning("hunyuan %s job %s failed: %s %s", DRAW_ACTION, job_id, kind, code)
    return RemoteJobFailed(kind, code, f"job {job_id}: {message}")
