"""Everything a campaign's live overview shows, as one JSON-ready dict (the page and its JSON twin)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis

from posterbooth.campaigns import LoadedCampaign
from posterbooth.console import stats
from posterbooth.console.generation import provider_state
from posterbooth.db import Database


def campaign_list(db: Database, connection: redis.Redis | None, campaigns: Mapping[str, LoadedCampaign],
                  paused: dict[str, bool], default_provider: str) -> list[dict[str, Any]]:
    """Return each campaign's state, posters today and in total, waiting line, failures and provider state."""
    counts = stats.campaign_counts(db)
    providers: dict[str, Any] = {}
    rows = []
    for slug, loaded in sorted(campaigns.items()):
        provider = loaded.definition.generation.provider or default_provider
        if provider not in providers:
            providers[provider] = provider_state(connection, provider).as_json()
        count = counts.get(slug, stats.CampaignCounts())
        rows.append({
            "slug": slug, "title": loaded.definition.title,
            "state": stats.campaign_state(loaded, paused.get(slug, False)),
            "posters_today": count.today, "posters_total": count.total, "waiting": count.waiting,
            "running": count.running, "failures_last_hour": count.failures_hour, "provider": providers[provider],
        })
    return rows


def overview(db: Database, connection: redis.Redis | None, loaded: LoadedCampaign, *, paused: bool,
             default_provider: str, time_range: str = "all", channel: str | None = None) -> dict[str, Any]:
    """Return the overview of one campaign: funnel, answers, generation health, sharing and a timeline."""
    now = datetime.now(UTC)
    span = stats.RANGES.get(time_range)
    since = now - span if span is not None else None
    provider = loaded.definition.generation.provider or default_provider
    health = stats.generation_health(db, loaded.slug, now)
    health["provider"] = provider_state(connection, provider).as_json()
    return {
        "campaign": loaded.slug,
        "title": loaded.definition.title,
        "state": stats.campaign_state(loaded, paused),
        "generated_at": now.isoformat(timespec="seconds"),
        "range": time_range,
        "channel": channel,
        "funnel": stats.funnel_steps(db, loaded, since, channel),
        "channels": stats.channel_table(db, loaded.slug, since),
        "answers": stats.answer_distribution(db, loaded, since, channel),
        "health": health,
        "sharing": stats.sharing(db, loaded.slug),
        "timeline": stats.timeline(db, loaded.slug, now),
    }
