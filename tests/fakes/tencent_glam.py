"""The fake Tencent Cloud's AI 美照: SubmitGlamPicJob / QueryGlamPicJob (aiart, async, concurrency 1 by default).

Fields and limits as documented (shared/reference/tencent-hunyuan-more.md, section 1):

* ``TemplateUrl`` (required, URL only) and ``FaceInfos`` (1-5 users, each ``ImageUrls``: 1-6 URLs, and an
  optional ``TemplateFaceRect`` {X, Y, Width, Height}); no base64 anywhere;
* ``Num`` 1-4 (default 4), ``Style`` a list of real | balanced | textured | beautiful (one per output image,
  single-person only), ``Similarity`` 0-1, ``Clarity`` x2 | x4, ``LogoAdd`` / ``LogoParam``.

Like the real service it downloads every URL it is given (the template and each photo) when the job is
submitted, and a URL it cannot fetch or decode makes the job fail (status "4", ``JobErrorCode``
``FailedOperation.DownloadError`` / ``FailedOperation.ImageDecodeFailed``), as does a template side of 300 px
or less or a face box outside the template. Its result is a picture of the template's shape, served at
``/results/<id>.png``; ``ResultImage`` and ``ResultDetails`` are lists. Errors are injected like the other
actions': ``fail_next("SubmitGlamPicJob", code)`` for the request, ``fail_job_next(code, message)`` for the job.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from tests.fakes.tencent_images import gradient_png
from tests.fakes.tencent_rules import _JOB_ACTIONS, _LOGO_FIELDS, RULES, ActionRule, ApiError, Job

_AIART = ("aiart", "2022-12-29")
_REGIONS = frozenset({"ap-guangzhou", "ap-shanghai", "ap-beijing"})
GLAM_STYLES = frozenset({"real", "balanced", "textured", "beautiful"})
GLAM_FORMATS = frozenset({"JPEG", "PNG", "BMP", "TIFF", "WEBP"})
MAX_BASE64 = 10 * 1024 * 1024

RULES.update({
    "SubmitGlamPicJob": ActionRule(
        *_AIART,
        {"TemplateUrl": str, "FaceInfos": list, "Num": int, "Style": list, "Similarity": float, "Clarity": str,
         **_LOGO_FIELDS},
        required=("TemplateUrl",), regions=_REGIONS,
    ),
    "QueryGlamPicJob": ActionRule(*_AIART, {"JobId": str}, required=("JobId",), regions=_REGIONS),
})
_JOB_ACTIONS["SubmitGlamPicJob"] = "QueryGlamPicJob"


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterValue", message)


class GlamChecks:
    """SubmitGlamPicJob's checks, downloads and answers (a mixin of the fake Tencent Cloud)."""

    _lock: threading.Lock
    result_size: int
    inputs: dict[str, list[tuple[str, int, int, str]]]
    _download: Any
    _store: Any
    result_url: Any

    #: Per handler thread: why the job being submitted must fail (code, message), and the template's size.
    _glam_pending: dict[int, tuple[tuple[str, str] | None, tuple[int, int]]]

    def _check_glam(self, params: dict[str, Any]) -> None:
        """Check SubmitGlamPicJob's fields (errors answer the request), then fetch every URL (errors fail the job)."""
        faces = params.get("FaceInfos", [])
        if not 1 <= len(faces) <= 5:
            raise _invalid("FaceInfos must hold 1 to 5 users.")
        rects: list[dict[str, Any]] = []
        for face in faces:
            if not isinstance(face, dict) or set(face) - {"ImageUrls", "TemplateFaceRect"}:
                raise ApiError("UnknownParameter", "FaceInfos[] takes ImageUrls and TemplateFaceRect only.")
            urls = face.get("ImageUrls")
            if not isinstance(urls, list) or not 1 <= len(urls) <= 6 or not all(isinstance(u, str) for u in urls):
                raise _invalid("FaceInfos[].ImageUrls must hold 1 to 6 URLs.")
            for url in urls:
                if not url.startswith(("http://", "https://")):
                    raise ApiError("InvalidParameterValue.UrlIllegal", "FaceInfos[].ImageUrls takes URLs only.")
            rect = face.get("TemplateFaceRect")
            if rect is not None:
                if not isinstance(rect, dict) or set(rect) != {"X", "Y", "Width", "Height"} or not all(
                        isinstance(v, int) and not isinstance(v, bool) for v in rect.values()):
                    raise _invalid("TemplateFaceRect takes the integers X, Y, Width and Height.")
                if rect["X"] < 0 or rect["Y"] < 0 or rect["Width"] <= 0 or rect["Height"] <= 0:
                    raise _invalid("TemplateFaceRect must be a box inside the template.")
                rects.append(rect)
        if not params["TemplateUrl"].startswith(("http://", "https://")):
            raise ApiError("InvalidParameterValue.UrlIllegal", "TemplateUrl takes a URL only.")
        num = params.get("Num", 4)
        if not 1 <= num <= 4:
            raise _invalid("Num must be 1 to 4.")
        styles = params.get("Style")
        if styles is not None:
            if len(faces) > 1:
                raise _invalid("Style is for single-person photos only.")
            if not styles or len(styles) > num or not all(s in GLAM_STYLES for s in styles):
                raise _invalid(f"Style {styles} must be at most Num entries of real, balanced, textured, beautiful.")
        similarity = params.get("Similarity", 0.6)
        if isinstance(similarity, bool) or not 0 <= similarity <= 1:
            raise _invalid("Similarity must be between 0 and 1.")
        if params.get("Clarity", "x2") not in ("x2", "x4"):
            raise _invalid("Clarity must be x2 or x4.")
        failure, size = self._fetch_glam(params["TemplateUrl"], [u for f in faces for u in f["ImageUrls"]], rects)
        self._glam_pending[threading.get_ident()] = (failure, size)

    def _fetch_glam(self, template: str, photos: list[str],
                    rects: list[dict[str, Any]]) -> tuple[tuple[str, str] | None, tuple[int, int]]:
        """Download the template and every photo; return why the job fails (or None) and the template's size."""
        found: list[tuple[str, int, int, str]] = []
        size = (0, 0)
        for name, url in (("TemplateUrl", template), *(("FaceInfos.ImageUrls", u) for u in photos)):
            try:
                picture = self._picture(name, url)
            except ApiError as exc:
                return (exc.code.replace("ImageDownloadError", "DownloadError"), exc.message), size
            found.append(picture)
            if name == "TemplateUrl":
                size = picture[1:3]
        with self._lock:
            self.inputs.setdefault("SubmitGlamPicJob", []).extend(found)
        width, height = size
        if min(width, height) <= 300:
            problem = f"template is {width}x{height}: sides must be over 300"
            return ("InvalidParameterValue.ImageSizeError", problem), size
        for rect in rects:
            if rect["X"] + rect["Width"] > width or rect["Y"] + rect["Height"] > height:
                return ("InvalidParameterValue.FaceRectInvalid", "TemplateFaceRect is outside the template"), size
        return None, size

    def _picture(self, name: str, url: str) -> tuple[str, int, int, str]:
        """Download and decode one picture; raise ApiError (DownloadError / ImageDecodeFailed / too big)."""
        from PIL import Image

        raw = self._download(name, url)
        if (len(raw) + 2) // 3 * 4 >= MAX_BASE64:
            raise ApiError("FailedOperation.ImageSizeExceed", f"{name} is over 10 MB as base64.")
        try:
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                fmt = str(image.format)
                width, height = image.size
        except Exception:  # noqa: BLE001 - any undecodable picture fails the job
            raise ApiError("FailedOperation.ImageDecodeFailed", f"{name} cannot be decoded.") from None
        if fmt not in GLAM_FORMATS:
            raise ApiError("FailedOperation.ImageDecodeFailed", f"{name} is {fmt}.")
        return name, width, height, fmt

    def _glam_job(self, job: Job) -> None:
        """Give a new job the failure its downloads found (set by _check_glam in this thread)."""
        failure, size = self._glam_pending.pop(threading.get_ident(), (None, (0, 0)))
        job.params = {**job.params, "_template_size": size}
        if failure is not None and not job.fail_code:
            job.fail_code, job.fail_message = failure

    def _glam_status(self, job: Job, elapsed: float, latency: float, queue_time: float) -> dict[str, Any]:
        """Answer QueryGlamPicJob: status 1 / 2 / 4 / 5, ResultImage and ResultDetails as lists."""
        base: dict[str, Any] = {"JobErrorCode": "", "JobErrorMsg": "", "ResultImage": [], "ResultDetails": []}
        if elapsed < min(queue_time, latency):
            return {**base, "JobStatusCode": "1", "JobStatusMsg": "排队中"}
        if elapsed < latency:
            return {**base, "JobStatusCode": "2", "JobStatusMsg": "处理中"}
        if job.fail_code:
            return {**base, "JobStatusCode": "4", "JobStatusMsg": "处理失败", "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message}
        if not job.result_id:
            width, height = job.params["_template_size"]
            scale = self.result_size / max(width, height, 1)
            data = gradient_png(max(8, round(width * scale)), max(8, round(height * scale)), seed=job.job_id,
                                mark=job.params.get("LogoAdd", 1) == 1)
            result_id = self._store(data)
            with self._lock:
                job.result_id = job.result_id or result_id
        num = job.params.get("Num", 4)
        return {**base, "JobStatusCode": "5", "JobStatusMsg": "处理完成",
                "ResultImage": [self.result_url(job.result_id)] * num, "ResultDetails": ["Success"] * num}
