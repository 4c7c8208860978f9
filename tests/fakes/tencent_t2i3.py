"""The fake Tencent Cloud's 混元生图（3.0）: aiart ``SubmitTextToImageJob`` / ``QueryTextToImageJob``.

As documented: ``Prompt`` (required, at most 8192 characters), ``Images`` (at most 3 reference images, each
Base64 or a URL the fake downloads at once, failing the request with ``FailedOperation.ImageDownloadError`` when
it cannot, as the service does; each side 50–5000 px, under 6 MB as Base64), ``Resolution`` ('W:H', each side
512–2048, W×H at most 1024×1024), ``Seed`` (1–4294967295), ``Revise`` (0 or 1), ``LogoAdd`` (a ``LogoParam`` is
refused with ``InvalidParameterValue.LogoParamErr``). The job goes 1 → 2 → 5 like the other jobs; the query answers
``ResultImage`` (URLs), ``ResultDetails`` and ``RevisedPrompt``. :attr:`FakeTencentCloud.inputs` keeps each
decoded reference's size, in order, under ``SubmitTextToImageJob``.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.tencent_rules import _JOB_ACTIONS, RULES, ActionRule, ApiError

SUBMIT = "SubmitTextToImageJob"
QUERY = "QueryTextToImageJob"
T2I3_ACTIONS = frozenset({SUBMIT, QUERY})
_AIART = ("aiart", "2022-12-29")
_REGIONS = frozenset({"ap-guangzhou", "ap-shanghai", "ap-beijing"})

RULES.update({
    SUBMIT: ActionRule(*_AIART, {"Prompt": str, "Images": list, "Resolution": str, "Seed": int, "Revise": int,
                                 "LogoAdd": int, "LogoParam": dict},
                       required=("Prompt",), prompt_limit=8192, regions=_REGIONS),
    QUERY: ActionRule(*_AIART, {"JobId": str}, required=("JobId",), regions=_REGIONS),
})
_JOB_ACTIONS[SUBMIT] = QUERY


class TextToImage3Checks:
    """The 3.0 action's field checks, mixed into :class:`tests.fakes.tencent_server.FakeTencentCloud`."""

    def check_t2i3(self, action: str, params: dict[str, Any]) -> None:
        """Check SubmitTextToImageJob's values and fetch every reference image (a query needs nothing more)."""
        if action != SUBMIT:
            return
        if "LogoParam" in params:
            raise ApiError("InvalidParameterValue.LogoParamErr", "This engine does not support a custom watermark.")
        if "Resolution" in params:
            try:
                w, h = (int(v) for v in params["Resolution"].split(":"))
            except ValueError:
                raise ApiError("InvalidParameterValue.ParameterValueError", "Resolution must be W:H.") from None
            if not (512 <= w <= 2048 and 512 <= h <= 2048) or w * h > 1024 * 1024:
                raise ApiError("InvalidParameterValue.ParameterValueError",
                               f"Resolution `{params['Resolution']}` is not supported.")
        seed = params.get("Seed", 1)
        if not 1 <= seed <= 4_294_967_295:
            raise ApiError("InvalidParameterValue.ParameterValueError", "Seed must be 1-4294967295.")
        if params.get("Revise", 1) not in (0, 1):
            raise ApiError("InvalidParameterValue.ParameterValueError", "Revise must be 0 or 1.")
        images = params.get("Images", [])
        if len(images) > 3 or not all(isinstance(v, str) and v for v in images):
            raise ApiError("InvalidParameterValue.ParameterValueError", "Images takes at most 3 non-empty strings.")
        found = []
        for index, value in enumerate(images):
            url = value if value.startswith(("http://", "https://")) else None
            name, w, h, fmt = self._photo(f"Images[{index}]", url, None if url else value, 6)  # type: ignore[attr-defined]
            if not (50 <= w <= 5000 and 50 <= h <= 5000):
                raise ApiError("InvalidParameterValue.ParameterValueError", f"{name} is {w}x{h}.")
            found.append((name, w, h, fmt))
        with self._lock:  # type: ignore[attr-defined]
            self.inputs.setdefault(SUBMIT, []).extend(found)  # type: ignore[attr-defined]
