"""Composing the image prompt and other texts from answers, in a sandboxed Jinja2."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from posterbooth.answers import clean_text
from posterbooth.schema import Campaign, Outcome, Style

log = logging.getLogger(__name__)

_ENV = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False, cache_size=400
)


class TemplateProblem(ValueError):
    """A template cannot be compiled or rendered."""


@lru_cache(maxsize=512)
def compile_template(source: str) -> Template:
    """Compile a definition template in the sandbox."""
    try:
        return _ENV.from_string(source)
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from None


#: Longest text a template may produce: a loop over a large range is a broken template, not a prompt.
MAX_RENDERED_LENGTH = 20_000


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a definition template with the context; the result is one line of plain text.

    Raises :class:`TemplateProblem` for every failure, also at run time (a division by zero, a range
    over the sandbox's limit, a filter given the wrong type) and for output over MAX_RENDERED_LENGTH.
    """
    try:
        text = compile_template(source).render(**context)
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError,
            MemoryError) as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc}") from None
    if len(text) > MAX_RENDERED_LENGTH:
        raise TemplateProblem(f"the template produced {len(text)} characters (at most {MAX_RENDERED_LENGTH})")
    return clean_text(text)


def render_or(fallback: str, source: str, context: Mapping[str, Any]) -> str:
    """Render a template, or return ``fallback`` (and log why) when it fails at run time."""
    try:
        return render(source, context)
    except TemplateProblem as exc:
        log.warning("a campaign template failed at run time (%s); using its fallback", exc)
        return fallback


def _answer_view(campaign: Campaign, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    view: dict[str, dict[str, Any]] = {}
    for question in campaign.questions:
        given = answers.get(question.id)
        entry: dict[str, Any] = {"value": "", "label": "", "prompt": "", "text": "", "values": [], "labels": []}
        if question.type == "text":
            entry["text"] = entry["value"] = entry["label"] = given or ""
        elif question.type in {"single", "multiple"} and given:
            values = given if isinstance(given, list) else [given]
            options = [o for o in (question.option(v) for v in values) if o is not None]
            entry["values"] = [o.value for o in options]
            entry["labels"] = [o.label for o in options]
            entry["value"] = ",".join(entry["values"])
            entry["label"] = "、".join(entry["labels"]) if campaign.locale == "zh-CN" else ", ".join(entry["labels"])
            entry["prompt"] = "，".join(o.prompt for o in options if o.prompt)
        view[question.id] = entry
    return view


def template_context(
    campaign: Campaign, answers: Mapping[str, Any], outcome: Outcome, style: Style | None
) -> dict[str, Any]:
    """Return the names definition templates can use."""
    view = _answer_view(campaign, answers)
    fragments = [entry["prompt"] for entry in view.values() if entry["prompt"]]
    return {
        "campaign": {"title": campaign.title, "slug": campaign.slug},
        "answers": view,
        "outcome": {
            "id": outcome.id, "title": outcome.title,
            "description": outcome.description, "prompt": outcome.prompt,
        },
        "style": {
            "id": style.id if style else "", "label": style.label if style else "",
            "prompt": style.prompt if style else "",
        },
        "fragments": "，".join(fragments) if campaign.locale == "zh-CN" else ", ".join(fragments),
    }


def recorded_context(campaign: Campaign, answers: Mapping[str, Any], outcome_id: str, style_id: str) -> dict[str, Any]:
    """Return the template names for a recorded participation: its answers, outcome id and style id."""
    outcome = campaign.outcome(outcome_id) or campaign.outcomes[0]
    return template_context(campaign, answers, outcome, campaign.style(style_id))


def compose_prompt(
    campaign: Campaign, answers: Mapping[str, Any], outcome: Outcome, style: Style | None
) -> str:
    """Render the campaign's prompt template for these answers, capped to its maximum length."""
    context = template_context(campaign, answers, outcome, style)
    separator = "，" if campaign.locale == "zh-CN" else ", "
    fallback = separator.join(p for p in (outcome.prompt, context["fragments"], style.prompt if style else "") if p)
    text = render_or(fallback, campaign.prompt.template, context)
    return text[: campaign.prompt.max_length]
