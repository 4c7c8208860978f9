"""The attendee's draft: the answers so far, the steps still to take, and what a submission carries.

A draft is a plain dict kept in the signed session cookie by the web layer
(:mod:`posterbooth.views.drafts`): ``key`` (random; with the device it makes the
submission key, so a double tap records one participation), ``answers``, ``style``,
``ref`` and ``ch`` (the referral code and channel it arrived with), and for photo
questions ``uploads`` (question → stored upload) and ``consent``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from posterbooth.answers import visible_questions
from posterbooth.campaigns import LoadedCampaign

Draft = dict[str, Any]
#: The step after the questions where the attendee picks a style.
STYLE_STEP = "style"


def new_draft(*, answers: dict[str, Any] | None = None, style: str = "", ref: str = "", channel: str = "") -> Draft:
    """Return a fresh draft with a new submission key."""
    return {"key": secrets.token_urlsafe(12), "answers": dict(answers or {}), "style": style, "ref": ref,
            "ch": channel}


def steps(loaded: LoadedCampaign, answers: dict[str, Any]) -> list[str]:
    """Return the steps to show for these answers: the visible questions, then the style step if any."""
    names = [q.id for q in visible_questions(loaded.definition, answers)]
    if loaded.definition.has_style_step:
        names.append(STYLE_STEP)
    return names


def first_unanswered(loaded: LoadedCampaign, draft: Draft, has_photo: Callable[[Draft, str], bool]) -> str | None:
    """Return the first step the draft still needs (``has_photo`` tells whether a photo answer is still stored)."""
    for step in steps(loaded, draft["answers"]):
        if step == STYLE_STEP:
            if not draft.get("style"):
                return step
        elif step not in draft["answers"]:
            return step
        elif _is_photo(loaded, step) and not has_photo(draft, step):
            return step  # the photo is gone (a draft made from an earlier poster's answers)
    return None


def _is_photo(loaded: LoadedCampaign, question_id: str) -> bool:
    question = loaded.definition.question(question_id)
    return question is not None and question.type == "photo"


def next_step(loaded: LoadedCampaign, draft: Draft, current: str, missing: str) -> str:
    """Return the step after ``current`` to show next, given the first one still ``missing``."""
    names = steps(loaded, draft["answers"])
    following = names[names.index(current) + 1:] if current in names else names
    return next((s for s in following if s == missing or s not in draft["answers"]), missing)
