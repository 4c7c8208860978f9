"""The fake Tencent Cloud's request rules: credentials, per-action fields and limits, calls and jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DEFAULT_SECRET_ID = "AKIDfakeTencentCloudSecretId000000"
DEFAULT_SECRET_KEY = "fakeTencentCloudSecretKey0000000"
MAX_SKEW = 300
MAX_BODY = 12 * 1024 * 1024

#: Faults that are not error codes: drop the connection before or after handling the request
#: (after: the job is created but the answer is lost), answer a non-JSON page, answer HTTP 502.
TRANSPORT_FAULTS = ("drop", "drop_after", "non_json", "http_502")

_RETRYABLE_CHAOS = (
    "InternalError",
    "RequestLimitExceeded",
    "FailedOperation.EngineServerError",
    "drop",
    "non_json",
)
_MODERATION_CHAOS = ("OperationDenied.TextIllegalDetected",)

_AUTH_RE = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z0-9]+)"
    r"/tc3_request,"
    r" SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})"
)

_RESOLUTIONS = {
    "768:768",
    "768:1024",
    "1024:768",
    "1024:1024",
    "720:1280",
    "1280:720",
    "768:1280",
    "1280:768",
}
_LOGO_FIELDS = {"LogoAdd": int, "LogoParam": dict}


@dataclass(frozen=True)
class ActionRule:
    """What the fake accepts for one action."""

    service: str
    version: str
    fields: dict[str, type]
    required: tuple[str, ...] = ()
    prompt_limit: int = 0
    resolutions: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset({"ap-guangzhou"})


RULES: dict[str, ActionRule] = {
    "SubmitHunyuanImageJob": ActionRule(
        "hunyuan",
        "2023-09-01",
        {
            "Prompt": str,
            "NegativePrompt": str,
            "Style": str,
            "Resolution": str,
            "Num": int,
            "Clarity": str,
            "ContentImage": dict,
            "Revise": int,
            "Seed": int,
            **_LOGO_FIELDS,
        },
        required=("Prompt",),
        prompt_limit=1024,
        resolutions=frozenset(_RESOLUTIONS),
    ),
    "QueryHunyuanImageJob": ActionRule("hunyuan", "2023-09-01", {"JobId": str}, required=("JobId",)),
    "TextToImageLite": ActionRule(
        "hunyuan",
        "2023-09-01",
        {
            "Prompt": str,
            "NegativePrompt": str,
            "Style": str,
            "Resolution": str,
            "RspImgType": str,
            **_LOGO_FIELDS,
        },
        required=("Prompt",),
        prompt_limit=256,
        resolutions=frozenset(_RESOLUTIONS | {"1080:1920", "1920:1080"}),
    ),
}


_AIART = ("aiart", "2022-12-29")
_IMAGE_IN = {"InputImage": str, "InputUrl": str}
_SYNC_AIART = ("ImageToImage", "GenerateAvatar", "SketchToImage", "ReplaceBackground", "ChangeClothes")
_IMAGE_TO_IMAGE_STYLES = frozenset({"104", "107", "116", "201", "203", "210", "120", "121"} |
                                   {str(code) for code in range(123, 136)})
_AVATAR_STYLES = frozenset({
    "flower", "babi", "commerce", "wedding", "gufeng", "coin", "water", "retro", "amusement", "astronaut",
    "cartoon", "star", "dopamine", "comic", "beach",
})
_AIART_REGIONS = frozenset({"ap-guangzhou", "ap-shanghai", "ap-beijing"})

RULES.update({
    "ImageToImage": ActionRule(
        *_AIART,
        {**_IMAGE_IN, "Prompt": str, "NegativePrompt": str, "Styles": list, "ResultConfig": dict,
         "Strength": float, "RspImgType": str, "EnhanceImage": int, "RestoreFace": int, **_LOGO_FIELDS},
        prompt_limit=256, regions=_AIART_REGIONS,
    ),
    "GenerateAvatar": ActionRule(
        *_AIART, {**_IMAGE_IN, "Type": str, "Style": str, "Filter": int, "RspImgType": str, **_LOGO_FIELDS},
        regions=_AIART_REGIONS,
    ),
    "SketchToImage": ActionRule(
        *_AIART, {**_IMAGE_IN, "Prompt": str, "RspImgType": str, **_LOGO_FIELDS},
        required=("Prompt",), prompt_limit=200, regions=_AIART_REGIONS,
    ),
    "ReplaceBackground": ActionRule(
        *_AIART,
        {"ProductUrl": str, "Prompt": str, "NegativePrompt": str, "Product": str, "BackgroundTemplate": str,
         "MaskUrl": str, "Resolution": str, "RspImgType": str, **_LOGO_FIELDS},
        required=("ProductUrl", "Prompt"), prompt_limit=256, regions=_AIART_REGIONS,
    ),
    "ChangeClothes": ActionRule(
        *_AIART, {"ModelUrl": str, "ClothesUrl": str, "ClothesType": str, "RspImgType": str, **_LOGO_FIELDS},
        required=("ModelUrl", "ClothesUrl", "ClothesType"), regions=_AIART_REGIONS,
    ),
    "SubmitMemeJob": ActionRule(
        *_AIART, {**_IMAGE_IN, "Pose": str, "Resolution": int, "Text": str, "Haircut": bool, **_LOGO_FIELDS},
        required=("Pose",), regions=_AIART_REGIONS,
    ),
    "QueryMemeJob": ActionRule(*_AIART, {"JobId": str}, required=("JobId",), regions=_AIART_REGIONS),
})
#: TextToImageRapid (混元生图 2.0): ratios and long sides of its Resolution, and its Style codes "1"-"30".
RAPID_LONG_SIDES = frozenset({160, 200, 225, 258, 512, 520, 608, 768, 1024, 1080, 1280, 1600, 1620, 1920, 2048, 2400,
                              2560, 2592, 3440, 3840, 4096})
RAPID_RATIOS = frozenset({(1, 1), (3, 4), (4, 3), (9, 16), (16, 9)})
RAPID_STYLES = frozenset(str(code) for code in range(1, 31))
OUTPAINT_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16")
_SYNC_AIART = (*_SYNC_AIART, "TextToImageRapid", "ImageOutpainting", "RefineImage")
RULES.update({
    "TextToImageRapid": ActionRule(
        *_AIART, {"Prompt": str, "Resolution": str, "Seed": int, "Image": dict, "Style": str, "RspImgType": str,
                  **_LOGO_FIELDS},
        required=("Prompt",), prompt_limit=256, regions=_AIART_REGIONS,
    ),
    "ImageOutpainting": ActionRule(
        *_AIART, {**_IMAGE_IN, "Ratio": str, "RspImgType": str, **_LOGO_FIELDS}, required=("Ratio",),
        regions=_AIART_REGIONS,
    ),
    # RefineImage takes no LogoAdd / LogoParam.
    "RefineImage": ActionRule(*_AIART, {**_IMAGE_IN, "RspImgType": str}, regions=_AIART_REGIONS),
})
#: Job actions: submit -> query.
_JOB_ACTIONS = {"SubmitHunyuanImageJob": "QueryHunyuanImageJob", "SubmitMemeJob": "QueryMemeJob"}



class ApiError(Exception):
    """An error answered in the service's envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ReceivedCall:
    """One request that passed the signature check."""

    action: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Job:
    """A fake Hunyuan image job."""

    job_id: str
    started: float
    params: dict[str, Any]
    fail_code: str = ""
    fail_message: str = ""
    result_id: str = ""
    action: str = "SubmitHunyuanImageJob"


@dataclass
class _Fault:
    code: str
    message: str = ""
    delay: float = 0.0
