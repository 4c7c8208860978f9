"""A campaign's participations as CSV, streamed row by row: answers as columns, no photos, no prompts.

Device ids are pseudonymised (a keyed hash: the same device gets the same value within an export
and across exports made with the same secret, and it cannot be turned back into the cookie).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from posterbooth.campaigns import LoadedCampaign
from posterbooth.db import Database
from posterbooth.models import Participation

BOM = "\ufeff"
BATCH = 500
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def pseudonym(secret: str, device_id: str) -> str:
    """Return a stable pseudonym of a device id (16 hex characters of an HMAC)."""
    return hmac.new(secret.encode(), device_id.encode(), hashlib.sha256).hexdigest()[:16]


def _cell(value: Any) -> str:
    """Return a CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def export_rows(db: Database, loaded: LoadedCampaign, secret: str) -> Iterator[str]:
    """Yield the CSV: a BOM and header line first, then one line per participation, oldest first."""
    campaign = loaded.definition
    questions = [q for q in campaign.questions if q.type != "photo"]
    labels = {q.id: {o.value: o.label for o in q.options} for q in questions}
    outcomes = {o.id: o.title for o in campaign.outcomes}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["participation", "created_at", "finished_at", "status", "hidden", "error", "outcome",
                     "outcome_title", "style", "channel", "referral_code", "referred_by", "device", "locale",
                     *[f"{q.id}: {q.title}" for q in questions]])
    yield BOM + buffer.getvalue()
    referrer = aliased(Participation)
    query = (
        select(Participation.public_id, Participation.created_at, Participation.finished_at, Participation.status,
               Participation.hidden, Participation.error_code, Participation.outcome, Participation.style,
               Participation.channel, Participation.referral_code, referrer.referral_code, Participation.device_id,
               Participation.locale, Participation.answers)
        .outerjoin(referrer, referrer.id == Participation.referrer_id)
        .where(Participation.campaign == loaded.slug)
        .order_by(Participation.id)
        .execution_options(yield_per=BATCH, stream_results=True)
    )
    with db.session() as session:
        result = session.execute(query)
        for chunk in result.partitions(BATCH):
            buffer.seek(0)
            buffer.truncate()
            for (public_id, created, finished, status, hidden, error, outcome, style, channel, code, referred_by,
                 device, locale, answers) in chunk:
                cells: list[Any] = [public_id, created, finished, status, "yes" if hidden else "", error, outcome,
                                    outcomes.get(outcome, ""), style, channel, code, referred_by or "",
                                    pseudonym(secret, device), locale]
                for question in questions:
                    value = (answers or {}).get(question.id)
                    items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
                    cells.append("; ".join(labels[question.id].get(str(v), str(v)) for v in items))
                writer.writerow([_cell(c) for c in cells])
            yield buffer.getvalue()
