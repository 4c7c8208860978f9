"""Budgets: what provider jobs cost, charged once per job submitted to the provider, within the campaign's and
the provider account's budgets.

Prices come from :data:`DEFAULT_PRICES`, overridden by the ``PRICE_TABLE`` setting (JSON, or the path of a
JSON file): ``{"hunyuan": {"text_to_image": 0.2, "*": 0.5}}`` (provider → action → price per job; ``*`` is
the provider's price for actions it does not name). Amounts are kept in thousandths of the currency.

A job is charged (:func:`charge`) just before it is sent: the charge is refused, and nothing is sent, when it
would take the campaign (``budget.per_day`` / ``budget.total``) or the provider account (``ACCOUNT_BUDGET``)
over its budget. A Submit the provider refuses is refunded (:func:`refund`): it made no job. A participation
whose charge is refused waits (see the engine) and is never sent over budget.

Redis keys (the counters of :mod:`posterbooth.caps`'s script; ``<c>`` campaign slug, ``<p>`` provider,
``<day>`` YYYY-MM-DD in the campaign's time zone, or in ``ACCOUNT_BUDGET_TIMEZONE`` for the account):

==============================  =======  ===================================  ==================
key                             type     what it holds                        lifetime
==============================  =======  ===================================  ==================
``posterbooth:spend:c:<c>``     counter  thousandths spent by the campaign    no expiry
``posterbooth:spend:c:<c>:<day>``  counter  ... that day                      3 days
``posterbooth:spend:a:<p>``     counter  thousandths spent on the account     no expiry
``posterbooth:spend:a:<p>:<day>``  counter  ... that day                      3 days
==============================  =======  ===================================  ==================

Missing counters are rebuilt from the ``charges`` table, which holds one row per charged job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import ColumnElement, delete, func, select

from posterbooth import caps
from posterbooth.caps import DAY_TTL, CapReached, Counter, full, give_back, next_midnight, take
from posterbooth.db import Database
from posterbooth.models import Charge, Participation
from posterbooth.schema import Campaign

PREFIX = "posterbooth:spend:"
#: Default prices per job, in CNY. Placeholders to be checked against your own bill: the reference notes in
#: this repository carry no prices; Hunyuan's image generation was listed at about ¥0.15 per 1K-2K image
#: (Hy-Image list price, late 2026), OpenAI's gpt-image-1 at about US$0.04 (≈ ¥0.3) per medium 1024² image.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "offline": {"*": 0.0},
    "hunyuan": {"*": 0.15},
    "openai": {"*": 0.3},
}


class PriceTableError(ValueError):
    """The PRICE_TABLE or ACCOUNT_BUDGET setting cannot be read."""


def _json_setting(name: str, raw: str) -> dict[str, Any]:
    raw = raw.strip()
    if not raw:
        return {}
    try:
        text = raw if raw.startswith("{") else Path(raw).read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError) as exc:
        raise PriceTableError(f"{name} must be JSON or the path of a JSON file ({exc})") from None
    if not isinstance(value, dict):
        raise PriceTableError(f"{name} must be a JSON object")
    return value


def price_table(raw: str) -> dict[str, dict[str, float]]:
    """Return the default price table with the PRICE_TABLE setting's overrides."""
    table = {provider: dict(prices) for provider, prices in DEFAULT_PRICES.items()}
    for provider, prices in _json_setting("PRICE_TABLE", raw).items():
        if not isinstance(prices, dict) or not all(isinstance(v, int | float) and v >= 0 for v in prices.values()):
            raise PriceTableError(f"PRICE_TABLE[{provider!r}] must map actions to prices of 0 or more")
        table.setdefault(provider, {}).update({str(k): float(v) for k, v in prices.items()})
    return table


def account_budgets(raw: str) -> dict[str, dict[str, float]]:
    """Return the ACCOUNT_BUDGET setting: provider → {per_day, total}."""
    budgets: dict[str, dict[str, float]] = {}
    for provider, spec in _json_setting("ACCOUNT_BUDGET", raw).items():
        if not isinstance(spec, dict) or set(spec) - {"per_day", "total"} or not all(
                isinstance(v, int | float) and v > 0 for v in spec.values()):
            raise PriceTableError(f"ACCOUNT_BUDGET[{provider!r}] must be {{\"per_day\": n, \"total\": n}} with n > 0")
        budgets[provider] = {k: float(v) for k, v in spec.items()}
    return budgets


def price_milli(table: Mapping[str, Mapping[str, float]], provider: str, action: str) -> int:
    """Return the price of one job, in thousandths."""
    prices = table.get(provider, {})
    return round(1000 * prices.get(action, prices.get("*", 0.0)))


@dataclass(frozen=True)
class Budgets:
    """What the budgets need from the settings, read once."""

    prices: dict[str, dict[str, float]]
    accounts: dict[str, dict[str, float]]
    account_zone: str

    @classmethod
    def from_settings(cls, settings: Any) -> Budgets:
        """Read the price table and account budgets from the settings."""
        return cls(price_table(settings.PRICE_TABLE), account_budgets(settings.ACCOUNT_BUDGET),
                   settings.ACCOUNT_BUDGET_TIMEZONE)


def _sum(db: Database, *conditions: ColumnElement[bool]) -> Callable[[], int]:
    def total() -> int:
        with db.session() as session:
            return int(session.scalar(select(func.coalesce(func.sum(Charge.amount_milli), 0)).where(*conditions))
                       or 0)
    return total


def _days(campaign: Campaign, budgets: Budgets, now: datetime) -> tuple[str, str]:
    return (now.astimezone(ZoneInfo(campaign.timezone)).date().isoformat(),
            now.astimezone(ZoneInfo(budgets.account_zone)).date().isoformat())


def counters(db: Database, budgets: Budgets, campaign: Campaign, provider: str, now: datetime) -> list[Counter]:
    """Return the spend counters that bound a job of this campaign on this provider."""
    day, account_day = _days(campaign, budgets, now)
    found: list[Counter] = []
    slug = campaign.slug
    if campaign.budget.total is not None:
        found.append(Counter(f"{PREFIX}c:{slug}", round(1000 * campaign.budget.total), 0, "budget",
                             _sum(db, Charge.campaign == slug)))
    if campaign.budget.per_day is not None:
        found.append(Counter(f"{PREFIX}c:{slug}:{day}", round(1000 * campaign.budget.per_day), DAY_TTL,
                             "budget_per_day", _sum(db, Charge.campaign == slug, Charge.campaign_day == day)))
    account = budgets.accounts.get(provider, {})
    if "total" in account:
        found.append(Counter(f"{PREFIX}a:{provider}", round(1000 * account["total"]), 0, "account_budget",
                             _sum(db, Charge.provider == provider)))
    if "per_day" in account:
        found.append(Counter(f"{PREFIX}a:{provider}:{account_day}", round(1000 * account["per_day"]), DAY_TTL,
                             "account_budget_per_day",
                             _sum(db, Charge.provider == provider, Charge.account_day == account_day)))
    return found


def _reopens(kind: str, campaign: Campaign, budgets: Budgets, now: datetime) -> datetime | None:
    if kind == "budget_per_day":
        return next_midnight(campaign.timezone, now)
    if kind == "account_budget_per_day":
        return next_midnight(budgets.account_zone, now)
    return None


def check_landing(conn: redis.Redis, db: Database, budgets: Budgets, campaign: Campaign, provider: str,
                  action: str, now: datetime | None = None) -> CapReached | None:
    """Return why a new participation would be refused now (no budget left for one more job), or None."""
    now = now or caps.clock()
    found = counters(db, budgets, campaign, provider, now)
    amount = price_milli(budgets.prices, provider, action)
    counter = full(conn, found, max(amount, 1)) if found else None
    if counter is None:
        return None
    return CapReached("over_budget", _reopens(counter.kind, campaign, budgets, now))


def charge(conn: redis.Redis, db: Database, budgets: Budgets, campaign: Campaign,
           participation: Participation, action: str, now: datetime | None = None,
           changes: Mapping[str, object] | None = None) -> Charge | CapReached:
    """Charge one job of the participation within every budget; return the charge, or the refusal.

    ``changes`` are saved on the participation in the same transaction as the charge (when it is charged).
    """
    now = now or caps.clock()
    amount = price_milli(budgets.prices, participation.provider, action)
    found = counters(db, budgets, campaign, participation.provider, now)
    counter = take(conn, found, amount) if found and amount else None
    if counter is not None:
        return CapReached("over_budget", _reopens(counter.kind, campaign, budgets, now))
    day, account_day = _days(campaign, budgets, now)
    row = Charge(participation_id=participation.id, campaign=campaign.slug, provider=participation.provider,
                 action=action, amount_milli=amount, campaign_day=day, account_day=account_day, created_at=now)
    try:
        with db.session() as session:
            session.add(row)
            stored = session.get(Participation, participation.id)
            if stored is not None:
                stored.cost_milli = stored.cost_milli + amount
                for key, value in (changes or {}).items():
                    setattr(stored, key, value)
    except Exception:
        if found and amount:
            give_back(conn, found, amount)
        raise
    return row


def refund(conn: redis.Redis, db: Database, budgets: Budgets, campaign: Campaign, participation: Participation,
           row: Charge, changes: Mapping[str, object] | None = None) -> None:
    """Take back a charge whose Submit the provider refused (no job was made), saving ``changes`` with it."""
    with db.session() as session:
        session.execute(delete(Charge).where(Charge.id == row.id))
        stored = session.get(Participation, participation.id)
        if stored is not None:
            stored.cost_milli = max(0, stored.cost_milli - row.amount_milli)
            for key, value in (changes or {}).items():
                setattr(stored, key, value)
    if row.amount_milli:
        give_back(conn, counters(db, budgets, campaign, participation.provider, row.created_at), row.amount_milli)
