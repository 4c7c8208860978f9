"""A participation handed a provider slot by a process that then died is picked up at once, not after 60 s."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from posterbooth.generation.keys import pointer_key, promotion_mark
from posterbooth.generation.queue import current_job_id, job_status
from posterbooth.generation.slots import PROMOTION_TTL
from posterbooth.generation.sweep import requeue_orphans
from tests.generation_harness import add_participations


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_promotion_mark_of_a_dead_process_is_released_at_once(app, redis_conn) -> None:
    db, queue = app.extensions["posterbooth.db"], app.extensions["posterbooth.queue"]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive_id, dead_id, overdue_id = add_participations(db, app.extensions["posterbooth.campaigns"]["spring-outing"], 3)
    ttl = int(PROMOTION_TTL)
    redis_conn.set(pointer_key(alive_id), promotion_mark(), ex=ttl)  # this process: alive, just handed a slot
    redis_conn.set(pointer_key(dead_id), f"promoted:{socket.gethostname()}:{dead.pid}", ex=ttl)
    redis_conn.set(pointer_key(overdue_id), "promoted:another-host:1", ex=ttl - 10)  # overdue, on another host
    assert requeue_orphans(db, queue, older_than=timedelta(0)) == 2
    assert redis_conn.get(pointer_key(alive_id)).decode() == promotion_mark()
    for participation_id in (dead_id, overdue_id):
        assert job_status(redis_conn, current_job_id(redis_conn, participation_id)) == "queued"
