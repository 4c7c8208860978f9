"""The sweep: a new job for each unfinished participation (or unfinished edit) that lost its own (a dead worker, a
lost Redis)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

import redis
from rq import Queue
from sqlalchemy import select

from posterbooth.db import Database
from posterbooth.generation.claims import CLAIM_TTL
from posterbooth.generation.keys import PROMOTED, claim_key, line_key, pointer_key, text
from posterbooth.generation.queue import enqueue_step, job_alive, job_id_for, job_status
from posterbooth.generation.slots import PROMOTION_TTL
from posterbooth.models import Participation, utcnow
from posterbooth.versions import unfinished_edit

log = logging.getLogger(__name__)


def requeue_orphans(db: Database, queue: Queue, older_than: timedelta = timedelta(seconds=10)) -> int:
    """Give a new job to each unfinished participation that has none; return how many got one.

    A participation needs none while an execution holds its claim, while it
    waits in its provider's line (a finishing participation hands it a slot),
    and while its current job is queued or scheduled. Otherwise its job was lost
    (Redis was down, or the rq job failed) or its worker died: a ``started`` job
    whose claim has expired belongs to a dead worker. The new job resumes from
    what the database holds (e.g. the recorded provider job id).
    """
    cutoff = utcnow() - older_than
    with db.session() as session:
        rows = list(session.execute(
            select(Participation.id, Participation.provider).where(
                Participation.status.in_(("queued", "running")) | unfinished_edit(),
                Participation.created_at < cutoff,
            )
        ))
    if not rows:
        return 0
    connection = queue.connection
    pipe = connection.pipeline(transaction=False)
    for participation_id, provider in rows:
        pipe.exists(claim_key(participation_id))
        pipe.zscore(line_key(provider), str(participation_id))
        pipe.get(pointer_key(participation_id))
    answers = pipe.execute()
    candidates: list[tuple[int, str]] = []
    for index, (participation_id, _provider) in enumerate(rows):
        claimed, in_line, pointer = answers[3 * index: 3 * index + 3]
        if claimed or in_line is not None:
            continue  # a step runs, or it waits in line
        if pointer is not None and pointer.startswith(PROMOTED.encode()) and not promoter_gone(
                connection, participation_id, pointer.decode()):
            continue  # it was just handed a slot, and the process enqueueing its step is alive
        candidates.append((participation_id, pointer.decode() if pointer else job_id_for(participation_id)))
    count = 0
    for participation_id, job_id in candidates:
        if job_alive(queue, job_id, started_within=CLAIM_TTL):
            continue  # waiting in the queue, or just started (its claim may not be taken yet)
        if not _still_orphaned(db, connection, participation_id, job_id):
            continue
        log.warning("participation %s has no live job (its job %s is %s); giving it a new one",
                    participation_id, job_id, job_status(connection, job_id) or "gone")
        enqueue_step(queue, participation_id)
        count += 1
    if count:
        log.warning("re-enqueued %d participations that had no live job", count)
    return count


#: A promotion mark older than this means its process died between handing the slot and enqueueing the step
#: (it does both within milliseconds), also when that process ran on another host.
PROMOTION_GRACE = 5.0


def promoter_gone(connection: redis.Redis, participation_id: int, mark: str) -> bool:
    """Tell whether the process that handed a participation its slot is known dead (or long overdue)."""
    _promoted, _sep, owner = mark.partition(":")
    host, _sep, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, under another user
    ttl = connection.pttl(pointer_key(participation_id))
    return ttl is not None and 0 <= ttl < (PROMOTION_TTL - PROMOTION_GRACE) * 1000


def _still_orphaned(db: Database, connection: redis.Redis, participation_id: int, job_id: str) -> bool:
    """Check again, just before acting, that the participation is unfinished and its job unchanged."""
    current = connection.get(pointer_key(participation_id))
    if (text(current) if current else job_id_for(participation_id)) != job_id:
        return False
    if connection.exists(claim_key(participation_id)):
        return False
    with db.session() as session:
        status = session.scalar(select(Participation.status).where(Participation.id == participation_id))
        editing = status == "done" and session.scalar(
            select(Participation.id).where(Participation.id == participation_id, unfinished_edit())) is not None
    return status in ("queued", "running") or editing
