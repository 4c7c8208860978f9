"""Who brought whom: a campaign's share tree, its depth and its k-factor.

A participant is a device. Its place in the tree is set by its first participation in the campaign: the
participation whose referral code it arrived with (through a poster's QR code or a share page) is its
parent. Later participations of the same device ("try again") add referral codes to the same participant
and never make it a newcomer again, so a sharer's count is the number of new people it brought.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.models import Event, Participation


@dataclass
class _Person:
    code: str
    parent: str | None
    channel: str
    joined: datetime
    codes: list[str] = field(default_factory=list)
    depth: int = 0
    children: list[str] = field(default_factory=list)
    descendants: int = 0
    visitors: set[str] = field(default_factory=set)
    share_viewers: set[str] = field(default_factory=set)


def referral_tree(db: Database, campaign: str) -> dict[str, Any]:
    """Return the campaign's share tree as JSON-ready data: depth, k-factor and each sharer's counts."""
    people: dict[str, _Person] = {}
    owner: dict[int, str] = {}  # participation id -> device
    with db.session() as session:
        rows = session.execute(
            select(Participation.id, Participation.device_id, Participation.referral_code,
                   Participation.referrer_id, Participation.channel, Participation.created_at)
            .where(Participation.campaign == campaign)
            .order_by(Participation.id)
        ).all()
        visits = session.execute(
            select(Event.kind, Event.referrer_id, Event.participation_id, Event.device_id)
            .where(Event.campaign == campaign, Event.kind.in_(("referred_visit", "share_view")))
        ).all()
    for pid, device, code, referrer_id, channel, created_at in rows:
        owner[pid] = device
        person = people.get(device)
        if person is None:
            parent = owner.get(referrer_id) if referrer_id is not None else None
            person = people[device] = _Person(code=code, parent=parent if parent != device else None,
                                              channel=channel, joined=created_at)
            if person.parent is not None:
                mother = people[person.parent]
                person.depth = mother.depth + 1
                mother.children.append(device)
        person.codes.append(code)
    for person in reversed(list(people.values())):  # children come after their parents
        if person.parent is not None:
            people[person.parent].descendants += 1 + person.descendants
    for kind, referrer_id, participation_id, device in visits:
        key = referrer_id if kind == "referred_visit" else participation_id
        sharer = owner.get(key) if key is not None else None
        if sharer is None or sharer == device:
            continue
        target = people[sharer].visitors if kind == "referred_visit" else people[sharer].share_viewers
        target.add(device)
    total = len(people)
    referred = sum(1 for p in people.values() if p.parent is not None)
    depth = max((p.depth for p in people.values()), default=0)
    generations = [0] * (depth + 1) if people else []
    for person in people.values():
        generations[person.depth] += 1
    sharers = [p for p in people.values() if p.children]
    return {
        "campaign": campaign,
        "participants": total,
        "referred": referred,
        "depth": depth,
        "generations": generations,
        "sharers": len(sharers),
        "k_factor": round(referred / total, 4) if total else 0.0,
        "new_per_sharer": round(referred / len(sharers), 4) if sharers else 0.0,
        "nodes": [
            {
                "code": p.code,
                "codes": p.codes,
                "referred_by": people[p.parent].code if p.parent is not None else None,
                "depth": p.depth,
                "channel": p.channel,
                "joined": p.joined.isoformat(),
                "new_participants": len(p.children),
                "descendants": p.descendants,
                "referred_visitors": len(p.visitors),
                "share_page_viewers": len(p.share_viewers),
            }
            for p in people.values()
        ],
    }
