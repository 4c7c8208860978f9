"""A fake Tencent Cloud image API on a loopback port, strict where the real one is strict.

It checks every request the way the service does (TC3-HMAC-SHA256 signature
recomputed from the shared secret with its own code, timestamp skew, the
Authorization format, X-TC-Action/Version/Region, the action's service and
version, field names and limits) and answers with the service's envelope:

* ``SubmitHunyuanImageJob`` / ``QueryHunyuanImageJob``: jobs go queued "1" ->
  running "2" -> done "5" (or failed "4") by elapsed time; more than
  ``concurrency`` unfinished jobs -> ``RequestLimitExceeded.JobNumExceed``.
* ``TextToImageLite``: synchronous, ``RspImgType`` base64 or url, at most
  ``sync_concurrency`` in flight.
* The aiart photo actions ``ImageToImage``, ``GenerateAvatar``, ``SketchToImage``,
  ``ReplaceBackground``, ``ChangeClothes`` (synchronous, at most
  ``sync_concurrency`` in flight each) and the ``SubmitMemeJob`` /
  ``QueryMemeJob`` job pair (its result is an animated GIF). Each checks its
  fields, style codes and resolutions; input photos must be base64 that decodes
  to a picture, or a URL the fake downloads (so signed links are really fetched);
  :attr:`FakeTencentCloud.inputs` keeps the decoded input sizes per action.
* ``GET /results/<id>.png`` (``.gif`` for memes) serves the generated images (small gradients).

Fault injection: :meth:`FakeTencentCloud.fail_next` (an error code, or one of
:data:`TRANSPORT_FAULTS`), :meth:`FakeTencentCloud.fail_job_next`, a seeded
random chaos mode (``retryable_rate``, ``moderation_rate``, ``job_fail_rate``)
and a per-request ``slow`` delay.

Use it as a context manager (``with FakeTencentCloud() as fake:``), through the
``fake_tencent`` pytest fixture, or standalone for benches::

    python -m tests.fakes.tencent_server --port 8765 --latency 4 --concurrency 16
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import io
import json
import random
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
#: Job actions: submit -> query.
_JOB_ACTIONS = {"SubmitHunyuanImageJob": "QueryHunyuanImageJob", "SubmitMemeJob": "QueryMemeJob"}


def gif_bytes(side: int, seed: str) -> bytes:
    """Return a small animated GIF: two frames of a gradient (the fake's meme result)."""
    from PIL import Image

    frames = []
    for i in range(2):
        data = gradient_png(side, side, seed=f"{seed}-{i}", mark=False)
        frames.append(Image.open(io.BytesIO(data)).convert("P", palette=Image.Palette.ADAPTIVE))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return out.getvalue()


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


# --- images -----------------------------------------------------------------------------------------

_FONT_PATH: str | None = None
try:  # the CJK font carried by mplfonts, for the "图片由 AI 生成" mark
    import mplfonts

    _candidate = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    _FONT_PATH = str(_candidate) if _candidate.exists() else None
except ImportError:  # pragma: no cover - the mark falls back to Pillow's font
    pass


def gradient_png(width: int, height: int, seed: str, mark: bool = True) -> bytes:
    """Return a small PNG: a soft two-colour gradient with a glow, and optionally the AI mark."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue_a = digest[0] / 255.0
    hue_b = (hue_a + 0.07 + digest[1] / 255.0 * 0.12) % 1.0

    def hsv(h: float, s: float, v: float) -> np.ndarray:
        i = int(h * 6) % 6
        f = h * 6 - int(h * 6)
        p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
        rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
        return np.array(rgb, dtype=np.float32) * 255

    top, bottom = hsv(hue_a, 0.50, 0.97), hsv(hue_b, 0.72, 0.66)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    t = np.clip((ys / max(height - 1, 1)) * 0.75 + (xs / max(width - 1, 1)) * 0.25, 0, 1)[..., None]
    img = top * (1 - t) + bottom * t
    cx, cy = width * (0.3 + digest[2] / 255 * 0.4), height * (0.25 + digest[3] / 255 * 0.3)
    r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / (0.45 * max(width, height))
    glow = np.clip(1 - r, 0, 1)[..., None] ** 2
    img = img * (1 - 0.55 * glow) + 255 * 0.55 * glow
    image = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    if mark:
        draw = ImageDraw.Draw(image, "RGBA")
        size = max(10, round((width * height) ** 0.5 / 26))
        font = ImageFont.truetype(_FONT_PATH, size) if _FONT_PATH else ImageFont.load_default()
        text = "图片由 AI 生成" if _FONT_PATH else "AI generated"
        left, top_, right, bottom_ = draw.textbbox((0, 0), text, font=font)
        pad = size // 2
        x = width - (right - left) - 2 * pad - size // 2
        y = height - (bottom_ - top_) - 2 * pad - size // 2
        draw.rounded_rectangle(
            (x, y, x + (right - left) + 2 * pad, y + (bottom_ - top_) + 2 * pad),
            radius=pad,
            fill=(0, 0, 0, 90),
        )
        draw.text((x + pad - left, y + pad - top_), text, font=font, fill=(255, 255, 255, 230))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


# --- the server -------------------------------------------------------------------------------------


class FakeTencentCloud:
    """A running fake of the Tencent Cloud image APIs on 127.0.0.1."""

    def __init__(
        self,
        *,
        secret_id: str = DEFAULT_SECRET_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        token: str | None = None,
        port: int = 0,
        latency: float = 1.0,
        queue_time: float = 0.0,
        concurrency: int = 1,
        sync_concurrency: int = 3,
        sync_latency: float = 0.0,
        slow: float = 0.0,
        retryable_rate: float = 0.0,
        moderation_rate: float = 0.0,
        job_fail_rate: float = 0.0,
        seed: int = 0,
        max_skew: int = MAX_SKEW,
        result_size: int = 512,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token
        self.latency = latency
        self.queue_time = queue_time
        self.concurrency = concurrency
        self.sync_concurrency = sync_concurrency
        self.sync_latency = sync_latency
        self.slow = slow
        self.retryable_rate = retryable_rate
        self.moderation_rate = moderation_rate
        self.job_fail_rate = job_fail_rate
        self.max_skew = max_skew
        self.result_size = result_size
        self.rng = random.Random(seed)
        #: Accepted generation requests (jobs created, images made) per action: what would be billed.
        self.submissions: Counter[str] = Counter()
        #: Every signed request per action, faulted or not.
        self.calls: Counter[str] = Counter()
        #: Requests rejected by the signature/auth checks, by error code.
        self.auth_failures: Counter[str] = Counter()
        self.received: list[ReceivedCall] = []
        self.jobs: dict[str, Job] = {}
        self.results: dict[str, bytes] = {}
        #: Decoded input photos per action: (field, width, height, format), in arrival order.
        self.inputs: dict[str, list[tuple[str, int, int, str]]] = {}
        self._sync_busy: Counter[str] = Counter()
        self._faults: dict[str, deque[_Fault]] = {}
        self._job_faults: deque[_Fault] = deque()
        self._sync_in_flight = 0
        self._offset = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # lifecycle
    @property
    def port(self) -> int:
        """Return the bound TCP port."""
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """Return ``127.0.0.1:<port>`` (the Host the clients sign)."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Return the endpoint URL, ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}"

    def start(self) -> FakeTencentCloud:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-tencent-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and join every handler thread."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.cut_connections()
        self._server.server_close()

    def __enter__(self) -> FakeTencentCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # test controls
    def fail_next(
        self, action: str, code: str, message: str = "", times: int = 1, delay: float = 0.0
    ) -> None:
        """Answer the next ``times`` calls of ``action`` (or ``"*"``) with an error code or a fault."""
        with self._lock:
            queue = self._faults.setdefault(action, deque())
            for _ in range(times):
                queue.append(_Fault(code, message or f"injected {code}", delay))

    def fail_job_next(self, code: str, message: str = "", times: int = 1) -> None:
        """Make the next ``times`` submitted jobs end in status "4" with this JobErrorCode."""
        with self._lock:
            for _ in range(times):
                self._job_faults.append(_Fault(code, message or f"injected job failure {code}"))

    def advance(self, seconds: float) -> None:
        """Move the jobs' clock forward."""
        with self._lock:
            self._offset += seconds

    def now(self) -> float:
        """Return the jobs' clock."""
        return time.monotonic() + self._offset

    def unfinished_jobs(self) -> int:
        """Count jobs still queued or running."""
        with self._lock:
            return self._unfinished_locked()

    def calls_of(self, action: str) -> list[ReceivedCall]:
        """Return the signed requests received for one action."""
        with self._lock:
            return [c for c in self.received if c.action == action]

    # request processing
    def _unfinished_locked(self, action: str = "SubmitHunyuanImageJob") -> int:
        now = self.now()
        return sum(1 for job in self.jobs.values() if job.action == action and now - job.started < self.latency)

    def _verify(self, headers: dict[str, str], body: bytes) -> tuple[str, ActionRule]:
        """Check the request like the gateway does; return the action and its rule."""
        action = headers.get("x-tc-action", "")
        version = headers.get("x-tc-version", "")
        if not action:
            raise ApiError("MissingParameter", "The request is missing a required parameter `Action`.")
        if not version:
            raise ApiError("MissingParameter", "The request is missing a required parameter `Version`.")
        auth = headers.get("authorization", "")
        m = _AUTH_RE.fullmatch(auth)
        if m is None:
            raise ApiError(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated (malformed Authorization header).",
            )
        ts_text = headers.get("x-tc-timestamp", "")
        if not ts_text.isdigit():
            raise ApiError("AuthFailure.SignatureFailure", "X-TC-Timestamp is missing or not an integer.")
        timestamp = int(ts_text)
        if abs(time.time() - timestamp) > self.max_skew:
            raise ApiError(
                "AuthFailure.SignatureExpire", "Signature expired: timestamp too far from server time."
            )
        if m["id"] != self.secret_id:
            raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if self.token is not None and headers.get("x-tc-token") != self.token:
            raise ApiError("AuthFailure.TokenFailure", "Token verification failed.")
        date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
        signed = m["signed"].split(";")
        if m["date"] != date or "content-type" not in signed or "host" not in signed:
            raise ApiError("AuthFailure.SignatureFailure", "Credential date or SignedHeaders do not match.")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
        canonical = "\n".join(
            ["POST", "/", "", canonical_headers, m["signed"], hashlib.sha256(body).hexdigest()]
        )
        scope = f"{m['date']}/{m['service']}/tc3_request"
        to_sign = "\n".join(
            ["TC3-HMAC-SHA256", ts_text, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
        )
        key = ("TC3" + self.secret_key).encode("utf-8")
        for part in (m["date"], m["service"], "tc3_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, m["sig"]):
            raise ApiError(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        rule = RULES.get(action)
        if rule is None:
            raise ApiError("InvalidAction", f"The action `{action}` is not found.")
        if m["service"] != rule.service:
            raise ApiError(
                "AuthFailure.SignatureFailure", f"Service `{m['service']}` does not serve `{action}`."
            )
        if version != rule.version:
            raise ApiError("NoSuchVersion", f"The API version `{version}` does not exist.")
        if headers.get("x-tc-region", "") not in rule.regions:
            raise ApiError(
                "UnsupportedRegion", f"{action} does not support region `{headers.get('x-tc-region')}`."
            )
        return action, rule

    def _check_params(self, action: str, rule: ActionRule, params: Any) -> None:
        if not isinstance(params, dict):
            raise ApiError("InvalidParameter", "The request body is not a JSON object.")
        for name, value in params.items():
            expected = rule.fields.get(name)
            if expected is None:
                raise ApiError("UnknownParameter", f"The parameter `{name}` is not recognized.")
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                continue  # JSON numbers: 1 is a valid float field
            if not isinstance(value, expected) or (expected in (int, float) and isinstance(value, bool)):
                raise ApiError("InvalidParameter", f"The parameter `{name}` must be {expected.__name__}.")
        for name in rule.required:
            if not params.get(name):
                raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
        if rule.prompt_limit:
            for name in ("Prompt", "NegativePrompt"):
                if len(params.get(name, "")) > rule.prompt_limit:
                    raise ApiError("InvalidParameterValue.TextLengthExceed", f"{name} is too long.")
        if rule.resolutions and "Resolution" in params and params["Resolution"] not in rule.resolutions:
            raise ApiError("InvalidParameterValue", f"Resolution `{params['Resolution']}` is not supported.")
        if params.get("RspImgType", "base64") not in ("base64", "url"):
            raise ApiError("InvalidParameterValue", "RspImgType must be base64 or url.")
        if rule.service == "aiart" or "ContentImage" in params:
            self._check_photo_params(action, params)

    def _check_photo_params(self, action: str, params: dict[str, Any]) -> None:
        """Check the aiart actions' values, and decode (or download) every input photo."""
        if action == "QueryMemeJob":
            return
        if action == "ImageToImage":
            styles = params.get("Styles", [])
            if not all(isinstance(v, str) and v in _IMAGE_TO_IMAGE_STYLES for v in styles):
                raise ApiError("InvalidParameterValue.StyleConflict", f"Styles {styles} are not supported.")
            resolution = params.get("ResultConfig", {}).get("Resolution", "origin")
            if set(params.get("ResultConfig", {})) - {"Resolution"} or resolution not in (
                    "origin", "768:768", "768:1024", "1024:768"):
                raise ApiError("InvalidParameterValue", f"ResultConfig.Resolution `{resolution}` is not supported.")
            strength = params.get("Strength", 0.5)
            if isinstance(strength, bool) or not 0 < strength <= 1:
                raise ApiError("InvalidParameterValue", "Strength must be in (0, 1].")
        if action == "GenerateAvatar":
            if params.get("Type", "human") not in ("human", "pet"):
                raise ApiError("InvalidParameterValue", "Type must be human or pet.")
            if "Style" in params and params["Style"] not in _AVATAR_STYLES:
                raise ApiError("InvalidParameterValue.StyleConflict", f"Style `{params['Style']}` is not supported.")
        if action == "ChangeClothes" and params["ClothesType"] not in ("Upper-body", "Lower-body", "Dress"):
            raise ApiError("InvalidParameterValue", "ClothesType must be Upper-body, Lower-body or Dress.")
        if action == "ReplaceBackground":
            if len(params.get("Product", "")) > 50:
                raise ApiError("InvalidParameterValue.TextLengthExceed", "Product is too long.")
            if "Resolution" in params:
                try:
                    w, h = (int(v) for v in params["Resolution"].split(":"))
                except ValueError:
                    raise ApiError("InvalidParameterValue", "Resolution must be W:H.") from None
                if not (500 < w < 4000 and 500 < h < 4000 and 0.4 <= w / h <= 2.5):
                    raise ApiError("InvalidParameterValue", f"Resolution `{params['Resolution']}` is not supported.")
        if action == "SubmitMemeJob" and params.get("Resolution", 256) not in (256, 512):
            raise ApiError("InvalidParameterValue", "Resolution must be 256 or 512.")
        if action == "SubmitMemeJob" and len(params.get("Text", "")) > 10:
            raise ApiError("InvalidParameterValue.TextLengthExceed", "Text is too long.")
        found: list[tuple[str, int, int, str]] = []
        content = params.get("ContentImage")
        if content is not None:
            if set(content) - {"ImageUrl", "ImageBase64"} or not content:
                raise ApiError("InvalidParameter", "ContentImage takes ImageUrl or ImageBase64.")
            found.append(self._photo("ContentImage", content.get("ImageUrl"), content.get("ImageBase64"), 8))
        if "InputImage" in RULES[action].fields:
            if "InputImage" not in params and "InputUrl" not in params:
                raise ApiError("MissingParameter", "The request is missing InputImage or InputUrl.")
            limit = 8 if action == "ImageToImage" else 6
            found.append(self._photo("InputImage", params.get("InputUrl"), params.get("InputImage"), limit))
        for name in ("ProductUrl", "ModelUrl", "ClothesUrl"):
            if name in params:
                found.append(self._photo(name, params[name], None, 8))
        with self._lock:
            self.inputs.setdefault(action, []).extend(found)

    def _photo(self, name: str, url: str | None, data: str | None, limit_mb: int) -> tuple[str, int, int, str]:
        """Decode an input photo from base64, or download it from its URL (which wins when both are given)."""
        from PIL import Image

        if url:
            raw = self._download(name, url)
        else:
            if data is None or len(data) > limit_mb * 1024 * 1024:
                raise ApiError("FailedOperation.ImageSizeExceed", f"{name} base64 is over {limit_mb} MB.")
            try:
                raw = base64.b64decode(data, validate=True)
            except ValueError:
                raise ApiError("FailedOperation.ImageDecodeFailed", f"{name} is not valid base64.") from None
        try:
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                width, height, fmt = image.width, image.height, str(image.format)
        except Exception:  # noqa: BLE001 - any undecodable input is refused like the service does
            raise ApiError("FailedOperation.ImageDecodeFailed", f"{name} cannot be decoded.") from None
        if max(width, height) >= 5000:
            raise ApiError("FailedOperation.ImageResolutionExceed", f"{name} is {width}x{height}.")
        return name, width, height, fmt

    def _download(self, name: str, url: str) -> bytes:
        import urllib.error
        import urllib.request

        if not url.startswith(("http://", "https://")):
            raise ApiError("InvalidParameterValue.UrlIllegal", f"{name} is not an http(s) URL.")
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - scheme checked above
                if answer.status != 200:
                    raise ApiError("FailedOperation.ImageDownloadError", f"{name}: HTTP {answer.status}.")
                return answer.read(MAX_BODY + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise ApiError("FailedOperation.ImageDownloadError", f"{name} could not be downloaded: {exc}") from None

    def _next_fault(self, action: str, generating: bool) -> _Fault | None:
        with self._lock:
            for key in (action, "*"):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
            roll = self.rng.random()
        if roll < self.retryable_rate:
            return _Fault(self.rng.choice(_RETRYABLE_CHAOS), "chaos: transient failure")
        if generating and roll < self.retryable_rate + self.moderation_rate:
            return _Fault(self.rng.choice(_MODERATION_CHAOS), "chaos: content rejected")
        return None

    def make_result(self, params: dict[str, Any], seed: str) -> str:
        """Render and store a result image for request ``params``; return its id."""
        w, h = (int(v) for v in str(params.get("Resolution", "1024:1024")).split(":"))
        scale = self.result_size / max(w, h)
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        data = gradient_png(*size, seed=seed, mark=params.get("LogoAdd", 1) == 1)
        result_id = uuid.uuid4().hex
        with self._lock:
            self.results[result_id] = data
        return result_id

    def result_url(self, result_id: str) -> str:
        """Return the URL the fake serves a result image at."""
        kind = "gif" if self.results.get(result_id, b"").startswith(b"GIF") else "png"
        return f"{self.url}/results/{result_id}.{kind}"

    def _store(self, data: bytes) -> str:
        result_id = uuid.uuid4().hex
        with self._lock:
            self.results[result_id] = data
        return result_id

    def _aiart_result(self, action: str, params: dict[str, Any]) -> str:
        """Render and store the result of a synchronous aiart action; return its id."""
        seed = uuid.uuid4().hex
        mark = params.get("LogoAdd", 1) == 1
        size = self.result_size
        if action == "ReplaceBackground" and "Resolution" in params:
            w, h = (int(v) for v in params["Resolution"].split(":"))
            scale = size / max(w, h)
            return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        if action == "ImageToImage":
            resolution = params.get("ResultConfig", {}).get("Resolution", "origin")
            if resolution != "origin":
                w, h = (int(v) for v in resolution.split(":"))
                scale = size / max(w, h)
                return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        if action in ("ImageToImage", "ChangeClothes") and self.inputs.get(action):
            _name, w, h, _fmt = self.inputs[action][-1 if action == "ImageToImage" else -2]  # the model photo
            scale = size / max(w, h)
            return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        return self._store(gradient_png(size, size, seed=seed, mark=mark))

    def handle(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one verified, fault-free action and return its Response fields."""
        if action in _SYNC_AIART:
            return self._sync_aiart(action, params)
        if action in _JOB_ACTIONS:
            with self._lock:
                if self._unfinished_locked(action) >= self.concurrency:
                    raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many jobs are being processed.")
                job = Job(
                    job_id=f"{uuid.uuid4().int % 10**9}-{int(time.time())}-{uuid.uuid4()}-0",
                    started=self.now(),
                    params=params,
                    action=action,
                )
                if self._job_faults:
                    fault = self._job_faults.popleft()
                    job.fail_code, job.fail_message = fault.code, fault.message
                elif self.job_fail_rate and self.rng.random() < self.job_fail_rate:
                    job.fail_code, job.fail_message = (
                        "FailedOperation.EngineServerError",
                        "chaos: engine failed",
                    )
                self.jobs[job.job_id] = job
                self.submissions[action] += 1
            return {"JobId": job.job_id}
        if action in _JOB_ACTIONS.values():
            with self._lock:
                job = self.jobs.get(params["JobId"])
                elapsed = self.now() - job.started if job else 0.0
            if job is None or _JOB_ACTIONS[job.action] != action:
                raise ApiError("FailedOperation.JobNotExist", "The job does not exist.")
            if action == "QueryMemeJob":
                return self._meme_status(job, elapsed)
            if elapsed < min(self.queue_time, self.latency):
                return {
                    "JobStatusCode": "1",
                    "JobStatusMsg": "排队中",
                    "JobErrorCode": "",
                    "JobErrorMsg": "",
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if elapsed < self.latency:
                return {
                    "JobStatusCode": "2",
                    "JobStatusMsg": "处理中",
                    "JobErrorCode": "",
                    "JobErrorMsg": "",
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if job.fail_code:
                return {
                    "JobStatusCode": "4",
                    "JobStatusMsg": "处理失败",
                    "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message,
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if not job.result_id:
                result_id = self.make_result(job.params, job.job_id)
                with self._lock:
                    job.result_id = job.result_id or result_id
            prompt = job.params["Prompt"]
            revised = prompt if job.params.get("Revise", 1) == 0 else f"{prompt}，细节丰富，光影柔和"
            return {
                "JobStatusCode": "5",
                "JobStatusMsg": "处理完成",
                "JobErrorCode": "",
                "JobErrorMsg": "",
                "ResultImage": [self.result_url(job.result_id)],
                "ResultDetails": ["Success"],
                "RevisedPrompt": [revised],
            }
        if action == "TextToImageLite":
            with self._lock:
                if self._sync_in_flight >= self.sync_concurrency:
                    raise ApiError(
                        "RequestLimitExceeded.JobNumExceed", "Too many requests are being processed."
                    )
                self._sync_in_flight += 1
            try:
                if self.sync_latency:
                    self._stopping.wait(self.sync_latency)
                result_id = self.make_result(params, uuid.uuid4().hex)
                with self._lock:
                    self.submissions[action] += 1
            finally:
                with self._lock:
                    self._sync_in_flight -= 1
            if params.get("RspImgType", "base64") == "url":
                return {"ResultImage": self.result_url(result_id)}
            return {"ResultImage": base64.b64encode(self.results[result_id]).decode("ascii")}
        raise ApiError("InvalidAction", f"The action `{action}` is not implemented by the fake.")

    def _sync_aiart(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._sync_busy[action] >= self.sync_concurrency:
                raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many requests are being processed.")
            self._sync_busy[action] += 1
        try:
            if self.sync_latency:
                self._stopping.wait(self.sync_latency)
            result_id = self._aiart_result(action, params)
            with self._lock:
                self.submissions[action] += 1
        finally:
            with self._lock:
                self._sync_busy[action] -= 1
        if params.get("RspImgType", "base64") == "url":
            return {"ResultImage": self.result_url(result_id)}
        return {"ResultImage": base64.b64encode(self.results[result_id]).decode("ascii")}

    def _meme_status(self, job: Job, elapsed: float) -> dict[str, Any]:
        """Answer QueryMemeJob: like the Hunyuan job, but ResultImage is one URL (of a GIF)."""
        base = {"JobErrorCode": "", "JobErrorMsg": "", "ResultImage": ""}
        if elapsed < min(self.queue_time, self.latency):
            return {**base, "JobStatusCode": "1", "JobStatusMsg": "排队中"}
        if elapsed < self.latency:
            return {**base, "JobStatusCode": "2", "JobStatusMsg": "处理中"}
        if job.fail_code:
            return {**base, "JobStatusCode": "4", "JobStatusMsg": "处理失败", "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message}
        if not job.result_id:
            side = int(job.params.get("Resolution", 256))
            result_id = self._store(gif_bytes(min(side, self.result_size), job.job_id))
            with self._lock:
                job.result_id = job.result_id or result_id
        return {**base, "JobStatusCode": "5", "JobStatusMsg": "处理完成", "ResultImage": self.result_url(job.result_id)}


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads
    block_on_close = True
    fake: FakeTencentCloud

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Shut down every open client connection so its handler thread ends."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # client went away, or we cut the connection
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTencentCloud/1.0"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, response: dict[str, Any]) -> None:
        response["RequestId"] = str(uuid.uuid4())
        body = json.dumps({"Response": response}, ensure_ascii=False).encode("utf-8")
        self._send(200, body, "application/json")

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        fake = self.server.fake
        m = re.fullmatch(r"/results/([0-9a-f]{32})\.(png|gif)", self.path)
        data = fake.results.get(m.group(1)) if m else None
        if data is None:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, data, "image/gif" if data.startswith(b"GIF") else "image/png")

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        fake = self.server.fake
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdigit() else 0
        if length > MAX_BODY:
            self._send_json(
                {"Error": {"Code": "RequestSizeLimitExceeded", "Message": "Request body too large."}}
            )
            self.close_connection = True
            return
        body = self.rfile.read(length)
        if fake.slow:
            fake._stopping.wait(fake.slow)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != "/":
            self._send_json({"Error": {"Code": "InvalidRequest", "Message": f"Path {self.path} not found."}})
            return
        try:
            action, rule = fake._verify(headers, body)
        except ApiError as exc:
            with fake._lock:
                fake.auth_failures[exc.code] += 1
            self._send_json({"Error": {"Code": exc.code, "Message": exc.message}})
            return
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            params = None
        with fake._lock:
            fake.calls[action] += 1
            fake.received.append(ReceivedCall(action, params if isinstance(params, dict) else {}, headers))
        fault = fake._next_fault(action, generating=action not in _JOB_ACTIONS.values())
        if fault is not None and fault.delay:
            fake._stopping.wait(fault.delay)
        if fault is not None and fault.code == "drop":
            self._drop()
            return
        if fault is not None and fault.code == "non_json":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        if fault is not None and fault.code == "http_502":
            self._send(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        try:
            if fault is not None and fault.code != "drop_after":
                raise ApiError(fault.code, fault.message)
            fake._check_params(action, rule, params)
            response = fake.handle(action, params)
        except ApiError as exc:
            self._send_json({"Error": {"Code": exc.code, "Message": exc.message}})
            return
        if fault is not None and fault.code == "drop_after":
            self._drop()
            return
        self._send_json(response)


# --- standalone ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the fake in the foreground until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=4.0, help="seconds from submit to done")
    parser.add_argument("--queue-time", type=float, default=0.0, help="seconds a job stays queued ('1')")
    parser.add_argument("--concurrency", type=int, default=1, help="unfinished jobs allowed")
    parser.add_argument("--sync-concurrency", type=int, default=3, help="TextToImageLite calls in flight")
    parser.add_argument("--sync-latency", type=float, default=0.5)
    parser.add_argument("--slow", type=float, default=0.0, help="delay added to every API answer")
    parser.add_argument("--retryable", type=float, default=0.0, help="probability of a transient failure")
    parser.add_argument("--moderation", type=float, default=0.0, help="probability of a moderation refusal")
    parser.add_argument("--job-fail", type=float, default=0.0, help="probability a job ends in status 4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--result-size", type=int, default=512, help="long side of result images (px)")
    parser.add_argument("--secret-id", default=DEFAULT_SECRET_ID)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    fake = FakeTencentCloud(
        secret_id=args.secret_id,
        secret_key=args.secret_key,
        token=args.token,
        port=args.port,
        latency=args.latency,
        queue_time=args.queue_time,
        concurrency=args.concurrency,
        sync_concurrency=args.sync_concurrency,
        sync_latency=args.sync_latency,
        slow=args.slow,
        retryable_rate=args.retryable,
        moderation_rate=args.moderation,
        job_fail_rate=args.job_fail,
        seed=args.seed,
        result_size=args.result_size,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    fake.start()
    print(json.dumps({"listening": fake.url}), flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
        print(
            json.dumps(
                {"stopped": fake.url, "submissions": dict(fake.submissions), "calls": dict(fake.calls)}
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
