"""How the fake Tencent Cloud checks a request: TC3 signature, headers, fields, limits and input photos."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

from tests.fakes.tencent_rules import (
    _AUTH_RE,
    _AVATAR_STYLES,
    _IMAGE_TO_IMAGE_STYLES,
    MAX_BODY,
    OUTPAINT_RATIOS,
    RAPID_LONG_SIDES,
    RAPID_RATIOS,
    RAPID_STYLES,
    RULES,
    ActionRule,
    ApiError,
)
from tests.fakes.tencent_t2i3 import T2I3_ACTIONS


class RequestChecks:
    """Request checks of :class:`~tests.fakes.tencent_server.FakeTencentCloud` (a mixin)."""

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
        logo_url = (params.get("LogoParam") or {}).get("LogoUrl")
        if logo_url:  # the service downloads the logo; an unreachable one fails the request
            self._download("LogoParam.LogoUrl", logo_url)
        if rule.service == "aiart" or "ContentImage" in params:
            self._check_photo_params(action, params)

    def _check_photo_params(self, action: str, params: dict[str, Any]) -> None:
        """Check the aiart actions' values, and decode (or download) every input photo."""
        if action in ("QueryMemeJob", "QueryGlamPicJob"):
            return
        if action == "SubmitGlamPicJob":
            self._check_glam(params)  # type: ignore[attr-defined]  # tests.fakes.tencent_glam.GlamChecks
            return
        if action in T2I3_ACTIONS:  # 混元生图（3.0）with references: tests/fakes/tencent_t2i3.py
            self.check_t2i3(action, params)  # type: ignore[attr-defined]
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
        if action == "TextToImageRapid":
            self._check_rapid(params)
        if action == "ImageOutpainting" and params["Ratio"] not in OUTPAINT_RATIOS:
            raise ApiError("InvalidParameterValue.ParameterValueError", f"Ratio `{params['Ratio']}` is not supported.")
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
        if action == "ImageOutpainting":
            _name, w, h, _fmt = found[-1]
            w_r, h_r = (int(v) for v in params["Ratio"].split(":"))
            if abs(math.log(w / h) - math.log(w_r / h_r)) < 0.02:
                raise ApiError("InvalidParameterValue.ParameterValueError",
                               f"Ratio {params['Ratio']} is the source image's own ratio ({w}x{h}).")
        with self._lock:
            self.inputs.setdefault(action, []).extend(found)

    def _check_rapid(self, params: dict[str, Any]) -> None:
        """Check TextToImageRapid's Style, Resolution, Seed and reference Image."""
        if "Style" in params and params["Style"] not in RAPID_STYLES:
            raise ApiError("InvalidParameterValue.ParameterValueError", f"Style `{params['Style']}` is not supported.")
        if "Resolution" in params:
            try:
                w, h = (int(v) for v in params["Resolution"].split(":"))
            except ValueError:
                raise ApiError("InvalidParameterValue.ParameterValueError", "Resolution must be W:H.") from None
            g = math.gcd(w, h)
            if (w // g, h // g) not in RAPID_RATIOS or max(w, h) not in RAPID_LONG_SIDES:
                raise ApiError("InvalidParameterValue.ParameterValueError",
                               f"Resolution `{params['Resolution']}` is not supported.")
        if params.get("Seed", 0) < 0:
            raise ApiError("InvalidParameterValue.ParameterValueError", "Seed must be 0 or positive.")
        image = params.get("Image")
        if image is not None:
            if set(image) - {"Base64", "Url"} or not image:
                raise ApiError("InvalidParameter", "Image takes Base64 or Url.")
            _name, w, h, _fmt = self._photo("Image", image.get("Url"), image.get("Base64"), 6)
            if not (128 < w < 2048 and 128 < h < 2048):
                raise ApiError("InvalidParameterValue.ParameterValueError", f"Image is {w}x{h}.")

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
        self.last_input[threading.get_ident()] = raw  # for the actions whose result is made from it
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
