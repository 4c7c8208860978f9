"""The fake Tencent Cloud's AI 写真 actions: UploadTrainPortraitImages, SubmitDrawPortraitJob, QueryDrawPortraitJob.

Checked as documented (tencent-hunyuan-more.md section 2): ModelId letters, digits and ``_``; the base photo a
URL only, downloaded (an unreachable one fails the upload), one picture under 2000 px a side; Urls only in the
regular mode (19-24 of them); a StyleId from the documented list, ImageNum 1-4, Definition sd/hd/hdpro/uhd; a draw
needs an uploaded ModelId. Draw jobs go INIT -> WAIT -> RUN -> DONE (or FAIL) by elapsed time, at most
``concurrency`` at once; the result is the base photo on a canvas of the definition's size (shrunk 4 times), served
under ``/results/``. Face refusals of the base photo are injected with :meth:`PortraitActions.fail_face_next`.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from tests.fakes.tencent_rules import _AIART, _AIART_REGIONS, _LOGO_FIELDS, RULES, ActionRule, ApiError, Job

UPLOAD, DRAW, QUERY = "UploadTrainPortraitImages", "SubmitDrawPortraitJob", "QueryDrawPortraitJob"
PORTRAIT_ACTIONS = (UPLOAD, DRAW, QUERY)
#: The documented StyleIds, written out here (the fake checks against the docs, not against the client's list).
_DOCUMENTED_STYLES = """
zhengjian_female zhengjian_shorthair_female zhengjian_male grey_suit_male beige_suit_male white_sweater_male
hanfu_female hanfu2_female green_female white_sweater_female sports_female bow_female wreath_female
black_dress1_female black_dress2_female black_dress3_female wedding_female wedding2_female forest_female
flower_female qipao_female feather_female lolita_female blue_shirt_female green_shirt_female purple_shirt_female
fire_female christmas1_female christmas2_female christmas3_female newyear1_female newyear2_female newyear3_female
newyear5_female labour_female elderly_female elderly_male princess_female childlike_female little_girl little_boy
underwater_female wing_female minzu_female ancient_female dunhuang_female simple
"""
STYLE_IDS = frozenset(_DOCUMENTED_STYLES.split())
DEFINITIONS = {"sd": (512, 640), "hd": (1024, 1280), "hdpro": (1024, 1280), "uhd": (2048, 2560)}
_MODEL_ID = re.compile(r"[A-Za-z0-9_]+")
#: The face refusals the fake can inject (Tencent documents no codes for them; these read like the service's).
FACE_ERRORS = {
    "no_face": ("FailedOperation.FaceDetectFailed", "图片中未检测到人脸，请上传清晰的单人正脸照片"),
    "several_faces": ("FailedOperation.FaceDetectFailed", "图片中检测到多张人脸，请上传单人照片"),
}

RULES.update({
    UPLOAD: ActionRule(*_AIART, {"ModelId": str, "BaseUrl": str, "Urls": list, "Filter": dict, "TrainMode": int},
                       required=("ModelId",), regions=_AIART_REGIONS),
    DRAW: ActionRule(*_AIART, {"ModelId": str, "StyleId": str, "ImageNum": int, "Definition": str, **_LOGO_FIELDS},
                     required=("ModelId", "StyleId", "ImageNum"), regions=_AIART_REGIONS),
    QUERY: ActionRule(*_AIART, {"JobId": str}, required=("JobId",), regions=_AIART_REGIONS),
})


class PortraitActions:
    """AI 写真 handling of :class:`~tests.fakes.tencent_server.FakeTencentCloud` (a mixin)."""

    #: ModelId -> the downloaded base photo.
    portrait_models: dict[str, bytes]

    def fail_face_next(self, problem: str = "no_face", action: str = UPLOAD) -> None:
        """Refuse the next call of ``action`` for a face problem (``no_face`` or ``several_faces``)."""
        code, message = FACE_ERRORS[problem]
        if action == QUERY:
            self.fail_job_next(code, message)
        else:
            self.fail_next(action, code, message)

    def _portrait(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one verified AI 写真 action."""
        if action == UPLOAD:
            return self._upload(params)
        if action == DRAW:
            return self._draw(params)
        return self._query(params)

    def _upload(self, params: dict[str, Any]) -> dict[str, Any]:
        from PIL import Image

        model = params["ModelId"]
        if not _MODEL_ID.fullmatch(model):
            raise ApiError("InvalidParameter.InvalidParameter", "ModelId may hold only letters, digits and _.")
        mode = params.get("TrainMode", 0)
        if mode not in (0, 1, 2):
            raise ApiError("InvalidParameter.InvalidParameter", "TrainMode must be 0, 1 or 2.")
        urls = params.get("Urls")
        if mode == 0 and not (isinstance(urls, list) and 19 <= len(urls) <= 24):
            raise ApiError("InvalidParameter.InvalidParameter", "Regular training needs BaseUrl and 19-24 Urls.")
        if mode != 0 and urls:
            raise ApiError("InvalidParameter.InvalidParameter", "Urls are only taken by regular training.")
        if not params.get("BaseUrl"):
            raise ApiError("InvalidParameter.InvalidParameter", "BaseUrl is required.")
        raw = self._download("BaseUrl", params["BaseUrl"])
        try:
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                width, height = image.size
        except Exception:  # noqa: BLE001 - any undecodable photo is refused like the service does
            raise ApiError("FailedOperation.ImageDecodeFailed", "BaseUrl cannot be decoded.") from None
        if max(width, height) >= 2000 or len(raw) * 4 / 3 > 5 * 1024 * 1024:
            raise ApiError("InvalidParameterValue.ImageSizeExceed", f"BaseUrl is {width}x{height}, {len(raw)} bytes.")
        with self._lock:
            self.portrait_models[model] = raw
            self.inputs.setdefault(UPLOAD, []).append(("BaseUrl", width, height, str(image.format)))
            self.submissions[UPLOAD] += 1
        return {"ResultDetails": []}

    def _draw(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["StyleId"] not in STYLE_IDS:
            raise ApiError("InvalidParameter.InvalidParameter", f"StyleId {params['StyleId']} is not supported.")
        if not 1 <= params["ImageNum"] <= 4:
            raise ApiError("InvalidParameter.InvalidParameter", "ImageNum must be 1-4.")
        if params.get("Definition", "sd") not in DEFINITIONS:
            raise ApiError("InvalidParameter.InvalidParameter", f"Definition {params.get('Definition')} is unknown.")
        with self._lock:
            if params["ModelId"] not in self.portrait_models:
                raise ApiError("InvalidParameter.InvalidParameter", f"ModelId {params['ModelId']} has no photo.")
            if self._unfinished_locked(DRAW) >= self.concurrency:
                raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many jobs are being processed.")
            job = Job(job_id=uuid.uuid4().hex, started=self.now(), params=params, action=DRAW)
            if self._job_faults:
                fault = self._job_faults.popleft()
                job.fail_code, job.fail_message = fault.code, fault.message
            self.jobs[job.job_id] = job
            self.submissions[DRAW] += 1
        return {"JobId": job.job_id}

    def _query(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            job = self.jobs.get(params["JobId"])
            elapsed = self.now() - job.started if job else 0.0
        if job is None or job.action != DRAW:
            raise ApiError("FailedOperation.JobNotExist", "The job does not exist.")
        base = {"JobErrorCode": "", "JobErrorMsg": "", "ResultUrls": [], "ResultDetails": []}
        latency, queued = self.latency, self.queue_time
        if elapsed < min(queued, latency):
            return {**base, "JobStatusCode": "WAIT", "JobStatusMsg": "排队中"}
        if elapsed < latency:
            return {**base, "JobStatusCode": "RUN", "JobStatusMsg": "处理中"}
        if job.fail_code:
            return {**base, "JobStatusCode": "FAIL", "JobStatusMsg": "处理失败", "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message}
        if not job.result_id:
            result_id = self._store(self._portrait_picture(job.params))
            with self._lock:
                job.result_id = job.result_id or result_id
        return {**base, "JobStatusCode": "DONE", "JobStatusMsg": "处理完成",
                "ResultUrls": [self.result_url(job.result_id)], "ResultDetails": ["SUCCESS"]}

    def _portrait_picture(self, params: dict[str, Any]) -> bytes:
        """Return the result: the base photo on a canvas of the definition's size (shrunk 4 times), as PNG."""
        from PIL import Image, ImageOps

        width, height = DEFINITIONS[params.get("Definition", "sd")]
        with Image.open(io.BytesIO(self.portrait_models[params["ModelId"]])) as photo:
            picture = ImageOps.fit(photo.convert("RGB"), (width // 4, height // 4))
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()
