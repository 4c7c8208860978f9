"""The numbers of the console's pages: campaign states, funnel, answers, generation health and sharing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select

from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import Event, Participation
from posterbooth.referrals import referral_tree

#: Time ranges the overview offers: key → length (None = since the beginning).
RANGES: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "all": None,
}
FAILED = ("failed", "rejected")


def aware(value: datetime | None) -> datetime | None:
    """Return a UTC-aware datetime (SQLite gives naive UTC back)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def campaign_state(loaded: LoadedCampaign, paused: bool, now: datetime | None = None) -> str:
    """Return scheduled, open, paused or closed."""
    if not loaded.has_started(now):
        return "scheduled"
    if not loaded.is_open(now):
        return "closed"
    return "paused" if paused else "open"


@dataclass(frozen=True)
class CampaignCounts:
    """A campaign's line on the console's front page."""

    total: int = 0
    today: int = 0
    waiting: int = 0
    running: int = 0
    failures_hour: int = 0


def campaign_counts(db: Database, now: datetime | None = None) -> dict[str, CampaignCounts]:
    """Return posters (total, today in UTC), waiting, running and last hour's failures per campaign."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    hour_ago = now - timedelta(hours=1)
    done = Participation.status == "done"
    query = select(
        Participation.campaign,
        func.sum(case((done, 1), else_=0)),
        func.sum(case((done & (Participation.finished_at >= midnight), 1), else_=0)),
        func.sum(case((Participation.status == "queued", 1), else_=0)),
        func.sum(case((Participation.status == "running", 1), else_=0)),
        func.sum(case((Participation.status.in_(FAILED) & (Participation.finished_at >= hour_ago), 1), else_=0)),
    ).group_by(Participation.campaign)
    with db.session() as session:
        return {row[0]: CampaignCounts(*(int(v or 0) for v in row[1:])) for row in session.execute(query)}


def _window(query: Any, column: Any, since: datetime | None, channel: str | None, channel_column: Any) -> Any:
    if since is not None:
        query = query.where(column >= since)
    if channel is not None:
        query = query.where(channel_column == channel)
    return query


def funnel_steps(db: Database, loaded: LoadedCampaign, since: datetime | None = None,
                 channel: str | None = None) -> list[dict[str, Any]]:
    """Return devices per step (landing, start, each question, submit, poster, share view, referred visit).

    Each step carries its drop-off: the share of the previous step's devices that did not reach it.
    """
    slug = loaded.slug
    with db.session() as session:
        events = session.execute(_window(
            select(Event.kind, Event.step, func.count(distinct(Event.device_id)))
            .where(Event.campaign == slug).group_by(Event.kind, Event.step),
            Event.created_at, since, channel, Event.channel)).all()
        posters = session.scalar(_window(
            select(func.count(distinct(Participation.device_id)))
            .where(Participation.campaign == slug, Participation.status == "done"),
            Participation.created_at, since, channel, Participation.channel)) or 0
    by_kind: dict[tuple[str, str], int] = {(kind, step or ""): devices for kind, step, devices in events}
    steps: list[tuple[str, str, int]] = [
        ("landing_view", "", by_kind.get(("landing_view", ""), 0)),
        ("start", "", by_kind.get(("start", ""), 0)),
    ]
    steps += [("answer", q.id, by_kind.get(("answer", q.id), 0)) for q in loaded.definition.questions]
    steps += [("submit", "", by_kind.get(("submit", ""), 0)), ("done", "", posters),
              ("share_view", "", by_kind.get(("share_view", ""), 0)),
              ("referred_visit", "", by_kind.get(("referred_visit", ""), 0))]
    result: list[dict[str, Any]] = []
    previous: int | None = None
    for kind, step, devices in steps:
        drop = None
        if previous and kind not in {"share_view", "referred_visit"}:
            drop = round(max(0.0, 1 - devices / previous), 4)
        result.append({"kind": kind, "step": step, "devices": devices, "drop_off": drop})
        if kind not in {"share_view", "referred_visit"}:
            previous = devices
    return result


def channel_table(db: Database, slug: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """Return visitors, submissions and posters per entry channel."""
    with db.session() as session:
        visitors = dict(session.execute(_window(
            select(Event.channel, func.count(distinct(Event.device_id)))
            .where(Event.campaign == slug, Event.kind == "landing_view").group_by(Event.channel),
            Event.created_at, since, None, None)).all())
        made = session.execute(_window(
            select(Participation.channel, func.count(Participation.id),
                   func.sum(case((Participation.status == "done", 1), else_=0)))
            .where(Participation.campaign == slug).group_by(Participation.channel),
            Participation.created_at, since, None, None)).all()
    rows: dict[str, dict[str, int]] = {name: {"visitors": n, "participations": 0, "posters": 0}
                                        for name, n in visitors.items()}
    for name, count, done in made:
        entry = rows.setdefault(name, {"visitors": 0, "participations": 0, "posters": 0})
        entry["participations"], entry["posters"] = int(count), int(done or 0)
    return [{"channel": name, **values} for name, values in sorted(rows.items())]


def answer_distribution(db: Database, loaded: LoadedCampaign, since: datetime | None = None,
                        channel: str | None = None) -> dict[str, Any]:
    """Return, per choice question, how often each option was chosen, and the outcomes' counts."""
    campaign = loaded.definition
    choice = {q.id: q for q in campaign.questions if q.type in {"single", "multiple"}}
    counts: dict[str, Counter[str]] = {qid: Counter() for qid in choice}
    with db.session() as session:
        rows = session.execute(_window(
            select(Participation.answers).where(Participation.campaign == slug_of(loaded))
            .execution_options(yield_per=1000), Participation.created_at, since, channel, Participation.channel))
        for (answers,) in rows:
            for qid in choice:
                value = (answers or {}).get(qid)
                for item in value if isinstance(value, list) else ([value] if value else []):
                    counts[qid][str(item)] += 1
        outcomes = dict(session.execute(_window(
            select(Participation.outcome, func.count(Participation.id))
            .where(Participation.campaign == slug_of(loaded)).group_by(Participation.outcome),
            Participation.created_at, since, channel, Participation.channel)).all())
    questions = [
        {"id": qid, "title": q.title,
         "options": [{"value": o.value, "label": o.label, "count": counts[qid].get(o.value, 0)} for o in q.options]}
        for qid, q in choice.items()
    ]
    return {
        "questions": questions,
        "outcomes": [{"id": o.id, "title": o.title, "count": int(outcomes.get(o.id, 0))} for o in campaign.outcomes],
    }


def slug_of(loaded: LoadedCampaign) -> str:
    """Return the campaign's slug."""
    return loaded.slug


def percentile(values: list[float], share: float) -> float | None:
    """Return the nearest-rank percentile of the values (share in 0..1), or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def generation_health(db: Database, slug: str, now: datetime | None = None) -> dict[str, Any]:
    """Return waiting and running participations, last hour's submit→poster p50/p95 and failures by reason."""
    now = now or datetime.now(UTC)
    hour_ago = now - timedelta(hours=1)
    with db.session() as session:
        active = dict(session.execute(
            select(Participation.status, func.count(Participation.id))
            .where(Participation.campaign == slug, Participation.status.in_(("queued", "running")))
            .group_by(Participation.status)).all())
        finished = session.execute(
            select(Participation.created_at, Participation.finished_at)
            .where(Participation.campaign == slug, Participation.status == "done",
                   Participation.finished_at >= hour_ago)).all()
        failures = session.execute(
            select(Participation.status, Participation.error_code, func.count(Participation.id))
            .where(Participation.campaign == slug, Participation.status.in_(FAILED),
                   Participation.finished_at >= hour_ago)
            .group_by(Participation.status, Participation.error_code)).all()
    durations = [(aware(end) - aware(start)).total_seconds() for start, end in finished  # type: ignore[operator]
                 if start is not None and end is not None]
    p50, p95 = percentile(durations, 0.5), percentile(durations, 0.95)
    return {
        "waiting": int(active.get("queued", 0)),
        "in_flight": int(active.get("running", 0)),
        "posters_last_hour": len(durations),
        "p50_seconds": round(p50, 1) if p50 is not None else None,
        "p95_seconds": round(p95, 1) if p95 is not None else None,
        "failures": sorted(({"status": status, "reason": code or "unknown", "count": int(count)}
                            for status, code, count in failures), key=lambda f: -f["count"]),
    }


def sharing(db: Database, slug: str, top: int = 5) -> dict[str, Any]:
    """Return the share tree's depth, k-factor, generations and top sharers."""
    tree = referral_tree(db, slug)
    sharers = sorted(tree["nodes"], key=lambda n: (-n["new_participants"], -n["descendants"]))
    return {
        "participants": tree["participants"], "referred": tree["referred"], "depth": tree["depth"],
        "k_factor": tree["k_factor"], "generations": tree["generations"],
        "top_sharers": [
            {"code": n["code"], "new_participants": n["new_participants"], "descendants": n["descendants"],
             "referred_visitors": n["referred_visitors"], "channel": n["channel"]}
            for n in sharers[:top] if n["new_participants"] or n["referred_visitors"]
        ],
    }


def timeline(db: Database, slug: str, now: datetime | None = None, hours: int = 3,
             bucket_minutes: int = 10) -> list[dict[str, Any]]:
    """Return posters made and failures per time bucket over the last hours, oldest first."""
    now = now or datetime.now(UTC)
    start = now - timedelta(hours=hours)
    size = timedelta(minutes=bucket_minutes)
    buckets = int(hours * 60 / bucket_minutes)
    done = [0] * buckets
    failed = [0] * buckets
    with db.session() as session:
        rows = session.execute(
            select(Participation.status, Participation.finished_at)
            .where(Participation.campaign == slug, Participation.finished_at >= start,
                   Participation.status.in_(("done", *FAILED))))
        for status, finished in rows:
            index = int((aware(finished) - start) / size)  # type: ignore[operator]
            if 0 <= index < buckets:
                (done if status == "done" else failed)[index] += 1
    return [{"at": (start + size * i).isoformat(), "done": done[i], "failed": failed[i]} for i in range(buckets)]
