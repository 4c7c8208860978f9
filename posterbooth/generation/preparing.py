"""Preparation steps in the state machine: provider requests a generation needs before it is submitted.

AI 写真 (``generation.kind: portrait``) first uploads the attendee's photo as the base image of a portrait model
(``portrait_upload``: Tencent's ``UploadTrainPortraitImages`` with ``TrainMode: 2``, no training); the draw is then
submitted and polled like any remote job. Each preparation step runs once per participation as a step of its own,
through the provider's slot, circuit, retries and refusals like a submission (see :meth:`engine.Step._prepare`),
and is charged once: one ``charges`` row with the step as its action (a step sent again after a worker died during
its request is not charged again; a request the provider refuses is refunded, as for finishing).

The steps done are recorded in ``Participation.provider_model`` (``portrait_upload``) in the transaction that ends
the step, until the provider's picture replaces it with its model, so a step that runs again after a crash goes on
to the draw without a second upload, and a draw submitted again (a retry) reuses the upload.
"""

from __future__ import annotations

from posterbooth.providers.base import GenerationRequest, Provider, ProviderError
from posterbooth.providers.hunyuan_portrait import UPLOAD_STEP
from posterbooth.schema import Campaign

STEPS = (UPLOAD_STEP,)
SEPARATOR = "+"


def steps_for(kind: str) -> tuple[str, ...]:
    """Return the preparation steps a generation kind needs, in the order they run."""
    return (UPLOAD_STEP,) if kind == "portrait" else ()


def wanted(campaign: Campaign) -> tuple[str, ...]:
    """Return the preparation steps a campaign's generation needs, in the order they run."""
    return steps_for(campaign.generation.kind)


def done(provider_model: str) -> set[str]:
    """Return the preparation steps recorded as done in a participation's ``provider_model``."""
    return set(provider_model.split(SEPARATOR)) & set(STEPS)


def next_step(campaign: Campaign, provider_model: str) -> str | None:
    """Return the next preparation step a participation needs before its submission, or None."""
    finished = done(provider_model)
    return next((step for step in wanted(campaign) if step not in finished), None)


def marked(provider_model: str, step: str) -> str:
    """Return ``provider_model`` with a preparation step recorded as done."""
    steps = [s for s in STEPS if s in done(provider_model) or s == step]
    return SEPARATOR.join(steps)


def run(provider: Provider, step: str, request: GenerationRequest) -> str:
    """Run a preparation step with the provider; return what ran (the action's name)."""
    prepare = getattr(provider, "prepare", None)
    if prepare is None:
        raise ProviderError("bad_request", "NoPreparation",
                            f"the {provider.name} provider cannot run the {step!r} step of {request.kind} images")
    result: str = prepare(step, request)
    return result
