"""Attendee answers: which questions show, and checking what was posted."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posterbooth.schema import PHOTO_ANSWER, Campaign, Question

Answers = dict[str, Any]


@dataclass
class AnswerError(Exception):
    """A posted answer is missing or not acceptable; ``code`` picks the attendee's message."""

    code: str
    question_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} ({self.question_id})"


_KEEP_FORMAT = {"\u200d", "\ufe0f"}  # zero-width joiner and emoji presentation: needed by emoji


def clean_text(raw: str) -> str:
    """Strip control and format characters and fold whitespace in typed text."""
    text = unicodedata.normalize("NFC", raw)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\t\n\r" or category == "Zs":
            kept.append(" ")
        elif category in {"Cc", "Cs", "Co", "Cn"} or (category == "Cf" and char not in _KEEP_FORMAT):
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in {"L", "N"})


def find_blocked(text: str, words: Iterable[str]) -> str | None:
    """Return the first blocked word found in the text, ignoring case, spacing and punctuation."""
    folded = _fold(text)
    for word in words:
        needle = _fold(word)
        if needle and needle in folded:
            return word
    return None


def is_visible(question: Question, answers: Mapping[str, Any]) -> bool:
    """Return True when the question's condition matches the earlier answers."""
    cond = question.show_if
    if cond is None:
        return True
    given = answers.get(cond.question)
    chosen = set(given) if isinstance(given, list) else {given}
    return bool(chosen & set(cond.any_of))


def visible_questions(campaign: Campaign, answers: Mapping[str, Any]) -> list[Question]:
    """Return the questions to show, given the answers so far."""
    shown: list[Question] = []
    for question in campaign.questions:
        if is_visible(question, answers):
            shown.append(question)
    return shown


def parse_answer(question: Question, values: list[str]) -> Any:
    """Check the posted values for one question and return the answer to store."""
    values = [v for v in values if v is not None]
    if question.type == "single":
        if not values or not values[0]:
            raise AnswerError("missing", question.id)
        if len(values) > 1 or question.option(values[0]) is None:
            raise AnswerError("unknown_option", question.id)
        return values[0]
    if question.type == "multiple":
        chosen = list(dict.fromkeys(v for v in values if v))
        if any(question.option(v) is None for v in chosen):
            raise AnswerError("unknown_option", question.id)
        if len(chosen) < question.min:
            raise AnswerError("too_few", question.id, {"min": question.min})
        if len(chosen) > question.max_choices:
            raise AnswerError("too_many", question.id, {"max": question.max_choices})
        order = [o.value for o in question.options]
        return sorted(chosen, key=order.index)
    if question.type == "text":
        raw = values[0] if values else ""
        if len(raw) > question.max_length * 4:
            raise AnswerError("too_long", question.id, {"max": question.max_length})
        text = clean_text(raw)
        if len(text) > question.max_length:
            raise AnswerError("too_long", question.id, {"max": question.max_length})
        if not text and question.required:
            raise AnswerError("missing", question.id)
        return text
    if question.type == "photo":
        # The photo itself travels apart from the answers (posterbooth.photos); this only marks it given.
        if values[:1] != [PHOTO_ANSWER]:
            raise AnswerError("missing", question.id)
        return PHOTO_ANSWER
    raise AnswerError("unknown_question", question.id)


def check_answer(campaign: Campaign, question: Question, values: list[str], blocklist: Iterable[str] = ()) -> Any:
    """Check the posted values for one question; typed text must pass the campaign's and the global blocklist."""
    value = parse_answer(question, values)
    if question.type == "text" and value and find_blocked(value, [*campaign.prompt.blocklist, *blocklist]):
        raise AnswerError("blocked", question.id)
    return value


def check_answers(campaign: Campaign, answers: Mapping[str, Any], blocklist: Iterable[str] = ()) -> Answers:
    """Check a whole set of answers (against the campaign's and the global blocklist); keep the visible ones."""
    final: Answers = {}
    words = list(blocklist)
    for question in campaign.questions:
        if not is_visible(question, final):
            continue
        if question.id not in answers:
            if question.type == "text" and not question.required:
                final[question.id] = ""
                continue
            raise AnswerError("missing", question.id)
        given = answers[question.id]
        values = given if isinstance(given, list) else [given]
        final[question.id] = check_answer(campaign, question, [str(v) for v in values], words)
    return final
