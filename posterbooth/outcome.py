"""Choosing the outcome that a set of answers leads to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posterbooth.schema import Campaign, Outcome, Rule


def _chosen(answers: Mapping[str, Any], question_id: str) -> set[str]:
    given = answers.get(question_id)
    if isinstance(given, list):
        return set(given)
    return {given} if isinstance(given, str) else set()


def _holds(rule: Rule, answers: Mapping[str, Any]) -> bool:
    return bool(_chosen(answers, rule.question) & set(rule.any_of))


def score_outcomes(campaign: Campaign, answers: Mapping[str, Any]) -> dict[str, float]:
    """Return each outcome's total score for these answers."""
    totals = {o.id: 0.0 for o in campaign.outcomes}
    for question in campaign.questions:
        for value in _chosen(answers, question.id):
            option = question.option(value)
            if option is None:
                continue
            for outcome_id, points in option.scores.items():
                totals[outcome_id] += points
    return totals


def choose_outcome(campaign: Campaign, answers: Mapping[str, Any]) -> Outcome:
    """Return the outcome the answers lead to: highest score, or first rule that holds."""
    if campaign.outcome_by == "rules":
        for outcome in campaign.outcomes:
            if outcome.when and all(_holds(rule, answers) for rule in outcome.when):
                return outcome
        return next(o for o in campaign.outcomes if not o.when)
    totals = score_outcomes(campaign, answers)
    best = max(totals.values())
    # Ties go to the outcome listed first: deterministic, and the marketer controls it.
    return next(o for o in campaign.outcomes if totals[o.id] == best)
