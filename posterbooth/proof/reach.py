"""Which outcomes and questions a campaign's answers can reach: a search of the answer space of choice questions.

Only single- and multiple-choice answers decide the outcome (scores or rules) and which questions show
(``show_if``), so the search walks those questions in order, skipping the ones the answers so far hide. Up
to :data:`MAX_ANSWER_SETS` answer sets it is exhaustive; beyond that it adds a targeted search per outcome and
random samples, and says that it was not exhaustive.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from posterbooth.answers import is_visible, visible_questions
from posterbooth.outcome import choose_outcome, score_outcomes
from posterbooth.schema import Campaign, Outcome, Question

#: Most answer sets the exhaustive search looks at.
MAX_ANSWER_SETS = 50_000
#: Random answer sets tried when the answer space is larger than that.
RANDOM_SAMPLES = 5_000
#: Most subsets of one multiple-choice question's options that are tried.
MAX_SUBSETS = 2_048

Answers = dict[str, Any]


@dataclass(frozen=True)
class Unreachable:
    """An outcome that no answers lead to, and why."""

    outcome: str
    reason: str


@dataclass
class Reachability:
    """What the search found: sample answers per outcome, outcomes never reached, questions never shown."""

    samples: dict[str, Answers] = field(default_factory=dict)
    unreachable: list[Unreachable] = field(default_factory=list)
    never_shown: list[str] = field(default_factory=list)
    answer_sets: int = 0
    exhaustive: bool = True


def _choices(question: Question) -> list[Any]:
    """Return every answer a choice question accepts (a value, or a list of values for multiple choice)."""
    values = [o.value for o in question.options]
    if question.type == "single":
        return values
    subsets: list[Any] = []
    for size in range(question.min, question.max_choices + 1):
        for combo in itertools.combinations(values, size):
            subsets.append(list(combo))
            if len(subsets) >= MAX_SUBSETS:
                return subsets
    return subsets


def _choice_questions(campaign: Campaign) -> list[Question]:
    return [q for q in campaign.questions if q.type in {"single", "multiple"}]


def _walk(questions: list[Question], index: int, answers: Answers) -> Iterator[Answers]:
    if index == len(questions):
        yield dict(answers)
        return
    question = questions[index]
    if not is_visible(question, answers):
        yield from _walk(questions, index + 1, answers)
        return
    for choice in _choices(question):
        answers[question.id] = choice
        yield from _walk(questions, index + 1, answers)
    del answers[question.id]


def _labels(campaign: Campaign, answers: Answers) -> int:
    """Return how many characters of option labels these answers show (longer is a harder test)."""
    total = 0
    for question in _choice_questions(campaign):
        given = answers.get(question.id)
        for value in given if isinstance(given, list) else [given] if given else []:
            option = question.option(value)
            total += len(option.label) if option else 0
    return total


def _random_answers(campaign: Campaign, rng: random.Random) -> Answers:
    answers: Answers = {}
    for question in _choice_questions(campaign):
        if not is_visible(question, answers):
            continue
        values = [o.value for o in question.options]
        if question.type == "single":
            answers[question.id] = rng.choice(values)
        else:
            size = rng.randint(question.min, question.max_choices)
            chosen = set(rng.sample(values, size))
            answers[question.id] = [v for v in values if v in chosen]
    return answers


def _aimed_answers(campaign: Campaign, target: Outcome) -> Answers:
    """Return answers built for one outcome: its rules' values, or the options that favour it most."""
    answers: Answers = {}
    wanted = {rule.question: rule.any_of[0] for rule in target.when}
    for question in _choice_questions(campaign):
        if not is_visible(question, answers):
            continue

        def lead(choice: Any, question: Question = question) -> float:
            trial = {question.id: choice}
            totals = score_outcomes(campaign, trial)
            others = max((v for k, v in totals.items() if k != target.id), default=0.0)
            return totals[target.id] - others

        if question.id in wanted:
            value = wanted[question.id]
            answers[question.id] = value if question.type == "single" else [value]
        else:
            answers[question.id] = max(_choices(question), key=lead)
    return answers


def _why(campaign: Campaign, outcome: Outcome, candidates: list[Answers]) -> str:
    """Explain, as well as can be told, why an outcome is never chosen."""
    if campaign.outcome_by == "rules":
        if not outcome.when:
            first = next(o for o in campaign.outcomes if not o.when)
            if first.id != outcome.id:
                return f"only the first fallback (an outcome without 'when' rules) is used, and that is {first.id!r}"
            return "the outcomes with rules listed before it take every possible answer"
        holding = [a for a in candidates if all(_holds(a, rule.question, rule.any_of) for rule in outcome.when)]
        if not holding:
            return "its 'when' rules can never all hold together (check show_if: a hidden question has no answer)"
        takers = sorted({choose_outcome(campaign, a).id for a in holding})
        return f"outcomes listed before it ({', '.join(takers)}) take every answer that matches its rules"
    best = max((score_outcomes(campaign, a)[outcome.id] for a in candidates), default=0.0)
    if best <= 0:
        return "no option gives it points, and ties go to the outcome listed first"
    return "another outcome always scores at least as much (ties go to the outcome listed first)"


def _holds(answers: Answers, question_id: str, any_of: list[str]) -> bool:
    given = answers.get(question_id)
    chosen = set(given) if isinstance(given, list) else {given}
    return bool(chosen & set(any_of))


def analyse(campaign: Campaign, *, limit: int = MAX_ANSWER_SETS, seed: int = 0) -> Reachability:
    """Search the answers: which outcome each set leads to, which questions ever show; pick samples."""
    result = Reachability()
    best: dict[str, tuple[tuple[int, int], Answers]] = {}
    shown: set[str] = set()
    kept: list[Answers] = []

    def consider(answers: Answers) -> None:
        result.answer_sets += 1
        visible = visible_questions(campaign, answers)
        shown.update(q.id for q in visible)
        outcome = choose_outcome(campaign, answers).id
        key = (len(visible), _labels(campaign, answers))
        if outcome not in best or key > best[outcome][0]:
            best[outcome] = (key, answers)
        if len(kept) < limit:
            kept.append(answers)

    questions = _choice_questions(campaign)
    for answers in _walk(questions, 0, {}):
        if result.answer_sets >= limit:
            result.exhaustive = False
            break
        consider(answers)
    if not result.exhaustive:
        for outcome in campaign.outcomes:
            consider(_aimed_answers(campaign, outcome))
        rng = random.Random(seed)
        for _ in range(RANDOM_SAMPLES):
            consider(_random_answers(campaign, rng))
    result.samples = {o.id: best[o.id][1] for o in campaign.outcomes if o.id in best}
    result.unreachable = [Unreachable(o.id, _why(campaign, o, kept)) for o in campaign.outcomes if o.id not in best]
    result.never_shown = [q.id for q in campaign.questions if q.id not in shown]
    return result
