"""SubmitGlamPicJob's fields (AI 美照): the template and the attendee's photo as URLs, the face box, the settings.

The API takes both pictures by URL only: ``TemplateUrl`` is the template's public campaign asset URL and
``FaceInfos[0].ImageUrls`` the attendee's short-lived signed photo link (both in
``GenerationRequest.input_urls``, made by the worker under ``INPUT_URL_BASE`` / ``PUBLIC_BASE_URL``).
"""

from __future__ import annotations

from typing import Any

from posterbooth.providers.base import GenerationRequest, ProviderError
from posterbooth.providers.hunyuan_actions import ActionSpec
from posterbooth.providers.hunyuan_settings import HunyuanSettings, LogoParam


def glam_params(spec: ActionSpec, settings: HunyuanSettings, request: GenerationRequest) -> dict[str, Any]:
    """Map a glam request to SubmitGlamPicJob's fields (one user, one photo; Num 1 unless the campaign sets it)."""
    urls = request.input_urls
    missing = [role for role in ("template", "photo") if not urls.get(role)]
    if missing:
        raise ProviderError(
            "bad_request", "InputNeedsURL",
            f"{spec.name} only takes the template and the photo as URLs (missing: {', '.join(missing)}): set "
            "PUBLIC_BASE_URL (or INPUT_URL_BASE) to an address the service can reach",
        )
    face: dict[str, Any] = {"ImageUrls": [urls["photo"]]}
    if request.face_box is not None:
        x, y, width, height = request.face_box
        face["TemplateFaceRect"] = {"X": x, "Y": y, "Width": width, "Height": height}
    num = settings.num or 1
    params: dict[str, Any] = {"TemplateUrl": urls["template"], "FaceInfos": [face], "Num": num}
    style = settings.style or spec.style_hints.get(request.style.strip().lower())
    if style:
        params["Style"] = [style] * num  # one entry per output image
    if settings.similarity is not None:
        params["Similarity"] = settings.similarity
    if settings.clarity is not None:
        params["Clarity"] = settings.clarity
    if settings.logo_add is not None:
        params["LogoAdd"] = settings.logo_add
    if isinstance(settings.logo_param, LogoParam):
        params["LogoParam"] = settings.logo_param.to_api()
    return params
