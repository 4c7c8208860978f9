"""Rendering the attendee's question and style pages, shared by the campaign and photo views."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _

from posterbooth.campaigns import LoadedCampaign
from posterbooth.draft import STYLE_STEP, Draft, first_unanswered, steps
from posterbooth.errors import error_page
from posterbooth.views.photo_answers import photo_context, stored_photo


def step_url(slug: str, step: str) -> str:
    """Return the URL of a step (a question, or the style choice)."""
    if step == STYLE_STEP:
        return url_for("campaign.style", slug=slug)
    return url_for("campaign.question", slug=slug, question_id=step)


def missing_step(loaded: LoadedCampaign, draft: Draft) -> str | None:
    """Return the first step the draft still needs, checking that its photos are still stored."""
    return first_unanswered(loaded, draft, lambda d, question_id: stored_photo(d, question_id) is not None)


def closed_page(loaded: LoadedCampaign) -> tuple[str, int]:
    """Return the page of a campaign that is not open (yet, or any more)."""
    if not loaded.has_started():
        return error_page(403, _("Not open yet"), _("This campaign has not started yet. Please come back later."))
    return error_page(403, _("This campaign has ended"), _("Thank you for your interest. This campaign is closed."))


def render_question(loaded: LoadedCampaign, draft: Draft, question_id: str, error: str | None = None,
                    status: int = 200, typed: str | None = None) -> tuple[str, int]:
    """Render one question page (with an error message and what the attendee typed, after a refusal)."""
    campaign = loaded.definition
    question = campaign.question(question_id)
    if question is None:
        raise ValueError(f"no question {question_id!r} in campaign {campaign.slug!r}")
    names = steps(loaded, draft["answers"])
    index = names.index(question_id)
    back = step_url(campaign.slug, names[index - 1]) if index else url_for("campaign.landing", slug=campaign.slug,
                                                                            again=1)
    current = draft["answers"].get(question_id)
    chosen = set(current) if isinstance(current, list) else ({current} if current else set())
    return render_template(
        "campaign/question.html", loaded=loaded, campaign=campaign, question=question, draft=draft,
        step=index + 1, total=len(names), is_last=index == len(names) - 1, back_url=back,
        chosen=chosen, text_value=typed if typed is not None else (current if isinstance(current, str) else ""),
        error=error, **(photo_context(loaded, draft, question) if question.type == "photo" else {}),
    ), status


def render_style(loaded: LoadedCampaign, draft: Draft, error: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    """Render the style choice."""
    names = steps(loaded, draft["answers"])
    back = (step_url(loaded.slug, names[-2]) if len(names) > 1
            else url_for("campaign.landing", slug=loaded.slug, again=1))
    return render_template(
        "campaign/style.html", loaded=loaded, campaign=loaded.definition, draft=draft,
        step=len(names), total=len(names), back_url=back, error=error,
    ), status
