"""Poster finishing in the state machine: outpaint the picture to the poster box's ratio, then refine it.

Between the provider's picture (``Participation.image_path``) and the poster, each finishing step the
campaign asks for (``poster.image.fit: outpaint``, ``generation.refine: true``) runs once, in
:data:`~posterbooth.providers.finishing.STEPS` order, as a step of its own through the provider's slot,
circuit, retries and moderation handling (see :meth:`engine.Step._finish`). Each finished picture replaces
``image_path``, and the steps done are recorded in ``provider_model`` in the same transaction
(``SubmitHunyuanImageJob+outpaint+refine``), so a step that runs again after a crash continues from there.

A step is charged once per participation (one ``charges`` row with the step as its action): a step sent
again after a worker died during its request is not charged again (it is counted in
``provider_submissions``); a request the provider refuses is refunded.
"""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import Participation
from posterbooth.providers.base import FinishRequest, GeneratedImage, Provider, ProviderError
from posterbooth.providers.finishing import STEPS, finish_offline, nearest_ratio, same_ratio
from posterbooth.schema import Campaign

SEPARATOR = "+"


def wanted(campaign: Campaign) -> tuple[str, ...]:
    """Return the finishing steps a campaign asks for, in the order they run."""
    asked = {"outpaint": campaign.poster.image.fit == "outpaint", "refine": campaign.generation.refine}
    return tuple(step for step in STEPS if asked[step])


def done(provider_model: str) -> set[str]:
    """Return the finishing steps recorded as done in a participation's ``provider_model``."""
    return set(provider_model.split(SEPARATOR)[1:])


def next_step(campaign: Campaign, provider_model: str) -> str | None:
    """Return the next finishing step a participation's picture needs, or None when it is ready for the poster."""
    finished = done(provider_model)
    return next((step for step in wanted(campaign) if step not in finished), None)


def marked(provider_model: str, step: str) -> str:
    """Return ``provider_model`` with a finishing step recorded as done."""
    return f"{provider_model}{SEPARATOR}{step}"[-80:]


def request_for(campaign: Campaign, participation: Participation, settings: dict, step: str,
                data: bytes) -> FinishRequest | None:
    """Return the finishing request for a stored picture, or None when there is nothing to do.

    Outpainting goes to the ratio nearest the poster's image box; a picture that already has it is left alone
    (ImageOutpainting refuses the source's own ratio).
    """
    ratio = ""
    if step == "outpaint":
        box = campaign.poster.image
        ratio = nearest_ratio(box.width, box.height)
        try:
            with Image.open(io.BytesIO(data)) as image:
                size = image.size
        except (OSError, ValueError) as exc:
            raise ProviderError("bad_request", "bad_input", f"the stored picture cannot be read: {exc}") from None
        if same_ratio(*size, ratio):
            return None
    return FinishRequest(step=step, image=data, ratio=ratio, settings=settings, reference=str(participation.id))


def run(provider: Provider, request: FinishRequest) -> GeneratedImage:
    """Run a finishing step with the provider, or locally when the provider has no finishing of its own."""
    finish = getattr(provider, "finish", None)
    if finish is None:
        return finish_offline(request)
    result: GeneratedImage = finish(request)
    return result


def charged(db: Database, participation_id: int, step: str) -> bool:
    """Tell whether a participation's finishing step was charged already (its request was sent before)."""
    from posterbooth.models import Charge

    with db.session() as session:
        found = session.scalar(select(Charge.id).where(Charge.participation_id == participation_id,
                                                       Charge.action == step).limit(1))
    return found is not None
