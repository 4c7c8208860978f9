"""A campaign's funnel: how many devices reached each step, overall and per entry channel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select

from posterbooth.db import Database
from posterbooth.models import Event, Participation

#: The steps in the order an attendee takes them; ``done`` comes from the participations themselves.
STEPS = ("landing_view", "start", "submit", "done", "share_view", "referred_visit")


def funnel(db: Database, campaign: str) -> dict[str, Any]:
    """Return events and distinct devices per step, and landing views, submissions and posters per channel."""
    with db.session() as session:
        counted = {
            kind: (events, devices)
            for kind, events, devices in session.execute(
                select(Event.kind, func.count(Event.id), func.count(distinct(Event.device_id)))
                .where(Event.campaign == campaign)
                .group_by(Event.kind)
            )
        }
        done = session.execute(
            select(func.count(Participation.id), func.count(distinct(Participation.device_id)))
            .where(Participation.campaign == campaign, Participation.status == "done")
        ).one()
        counted["done"] = (done[0], done[1])
        landings = dict(session.execute(
            select(Event.channel, func.count(distinct(Event.device_id)))
            .where(Event.campaign == campaign, Event.kind == "landing_view")
            .group_by(Event.channel)
        ).all())
        by_status = session.execute(
            select(Participation.channel, Participation.status, func.count(Participation.id))
            .where(Participation.campaign == campaign)
            .group_by(Participation.channel, Participation.status)
        ).all()
    channels: dict[str, dict[str, int]] = {}
    for channel, devices in landings.items():
        channels.setdefault(channel, {"visitors": 0, "participations": 0, "posters": 0})["visitors"] = devices
    for channel, status, count in by_status:
        entry = channels.setdefault(channel, {"visitors": 0, "participations": 0, "posters": 0})
        entry["participations"] += count
        if status == "done":
            entry["posters"] += count
    return {
        "campaign": campaign,
        "steps": [
            {"step": step, "events": counted.get(step, (0, 0))[0], "devices": counted.get(step, (0, 0))[1]}
            for step in STEPS
        ],
        "channels": [{"channel": name, **values} for name, values in sorted(channels.items())],
    }
