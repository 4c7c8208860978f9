"""Real providers behind the queue: submit then poll without holding a worker, shared limits, errors by class.

Real Redis, real databases, real rq workers (in-process, burst) and a fake Tencent
Cloud on a loopback port that checks every signature.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from rq.job import Job

from posterbooth.db import Database
from posterbooth.generation.circuit import Circuit, read_state
from posterbooth.generation.clock import Clock
from posterbooth.generation.keys import DUE_KEY, claim_key, line_key, usual_key
from posterbooth.generation.progress import progress, record_duration
from posterbooth.generation.queue import current_job_id, job_status, release_due
from posterbooth.generation.slots import Semaphore
from posterbooth.generation.sweep import requeue_orphans
from tests.attendee import SPRING, complete, form_fields
from tests.fakes.tencent_server import DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.generation_harness import add_participations, all_final, drive, enqueue_all, hunyuan_env, rows, work

#: For tests whose database does not matter; the others run on SQLite and PostgreSQL.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Setup:
    """A web app, its queue and database, a worker timer, and the fake provider."""

    app: Flask
    fake: FakeTencentCloud
    db: Database
    queue: Queue
    redis: redis.Redis
    timer: Clock

    def run(self, until: Any = None, timeout: float = 30.0) -> float:
        """Run workers and the timer until ``until()`` (default: one pass over the queue)."""
        if until is None:
            self.timer.tick()
            began = time.monotonic()
            work(self.queue)
            return time.monotonic() - began
        return drive(self.queue, self.timer.tick, until, timeout)

    def participations(self, count: int) -> list[int]:
        """Record and enqueue participations in the spring-outing campaign."""
        loaded = self.app.extensions["posterbooth.campaigns"]["spring-outing"]
        ids = add_participations(self.db, loaded, count)
        enqueue_all(self.queue, ids)
        return ids


def _setup(monkeypatch: pytest.MonkeyPatch, fake: FakeTencentCloud, **settings: object) -> Iterator[Setup]:
    base = {"PROVIDER_RETRY_DELAY": "0.05", "PROVIDER_PAUSE_SECONDS": "0.5", **settings}
    for key, value in hunyuan_env(fake.url, **base).items():
        monkeypatch.setenv(key, value)
    from posterbooth import create_app
    from posterbooth.config import load_settings
    from workers.context import close_context

    close_context()
    app = create_app({"TESTING": True})
    timer = Clock(load_settings(), lambda: {"hunyuan"})
    connection = app.extensions["posterbooth.redis"]
    record_duration(connection, fake.latency, "hunyuan")  # as if jobs ran before: for estimates…
    connection.hset(usual_key("hunyuan"), mapping={"time": fake.latency, "step": 0.02})  # …and first polls
    try:
        yield Setup(app, fake, app.extensions["posterbooth.db"], app.extensions["posterbooth.queue"],
                    app.extensions["posterbooth.redis"], timer)
    finally:
        app.extensions["posterbooth.db"].dispose()
        app.extensions["posterbooth.redis"].close()
        timer.redis.close()
        close_context()


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Yield a fake Tencent Cloud whose jobs take 0.4 s, two at a time."""
    with FakeTencentCloud(latency=0.4, concurrency=2) as server:
        yield server


@pytest.fixture
def make_setup(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
               fake: FakeTencentCloud) -> Iterator[Any]:
    """Return a function that builds the app and workers pointed at the fake, with more settings."""
    made: list[Iterator[Setup]] = []

    def make(**settings: object) -> Setup:
        made.append(_setup(monkeypatch, fake, **{"PROVIDER_CONCURRENCY": 2, **settings}))
        return next(made[-1])

    yield make
    for generator in made:
        generator.close()


@pytest.fixture
def setup(make_setup: Any) -> Setup:
    """Return the app and workers pointed at the fake, with PROVIDER_CONCURRENCY=2."""
    return make_setup()


# --- submit, record, poll ----------------------------------------------------------------------------

def test_a_job_submits_records_the_job_id_and_polls_without_holding_a_worker(setup: Setup) -> None:
    setup.fake.latency = 60.0
    [pid] = setup.participations(1)
    took = setup.run()
    # The job takes a minute at the provider: a worker that waited for it would take longer, and see it finished.
    assert took < setup.fake.latency and setup.fake.unfinished_jobs() == 1, "the worker waited for the provider"
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "running" and participation.provider_job_id in setup.fake.jobs
    assert participation.provider_submissions == 1 and participation.submitted_at is not None
    assert setup.redis.llen(setup.queue.key) == 0  # no job spins in the queue…
    step = current_job_id(setup.redis, pid)
    assert step == f"participation-{pid}-1" and job_status(setup.redis, step) == "scheduled"  # …a poll is due
    assert setup.redis.zscore(DUE_KEY, step) is not None

    setup.fake.advance(60)  # the provider's job is done
    setup.run(lambda: all_final(setup.db, [pid]), timeout=120)
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "done", participation.error_detail
    assert participation.provider == "hunyuan" and participation.provider_model == "SubmitHunyuanImageJob"
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 1
    assert setup.fake.calls["QueryHunyuanImageJob"] >= 1
    assert (setup.app.config["MEDIA_DIR"] / participation.poster_path).stat().st_size > 10_000
    assert current_job_id(setup.redis, pid) is None and not setup.redis.exists(claim_key(pid))


@SQLITE_ONLY
def test_polls_are_timed_from_measured_job_times(setup: Setup) -> None:
    setup.redis.delete(usual_key("hunyuan"))  # nothing learnt yet: the first job polls every 3 s
    [first] = setup.participations(1)
    setup.run(lambda: all_final(setup.db, [first]))
    assert setup.fake.calls["QueryHunyuanImageJob"] == 1
    learnt = float(setup.redis.hget(usual_key("hunyuan"), "time"))
    assert 0.4 <= learnt < 3.5
    setup.redis.hset(usual_key("hunyuan"), "time", 0.5)  # as if learnt from many jobs
    calls = setup.fake.calls["QueryHunyuanImageJob"]
    [second] = setup.participations(1)
    setup.run(lambda: all_final(setup.db, [second]))
    assert rows(setup.db, [second])[second].status == "done"
    # Polled just after the usual time, then every 0.1 s: one or two polls, not one every few seconds.
    assert 1 <= setup.fake.calls["QueryHunyuanImageJob"] - calls <= 2


def test_the_concurrency_limit_is_shared_and_the_line_is_first_come_first_served(setup: Setup) -> None:
    ids = setup.participations(6)
    setup.run()
    statuses = {pid: p.status for pid, p in rows(setup.db, ids).items()}
    assert [statuses[pid] for pid in ids] == ["running", "running", "queued", "queued", "queued", "queued"]
    assert Semaphore(setup.redis, "hunyuan", 2).waiting() == 4
    # Waiting attendees see their true place in line; the ones submitted are started.
    record_duration(setup.redis, 10.0, "hunyuan")
    places = [progress(setup.queue, pid, provider="hunyuan", concurrency=2) for pid in ids[2:]]
    assert [p.ahead for p in places] == [0, 1, 2, 3]
    assert [p.estimate_seconds for p in places] == [11, 11, 22, 22]
    first = rows(setup.db, ids[:1])[ids[0]]
    started = progress(setup.queue, ids[0], first.submitted_at.timestamp(), provider="hunyuan", concurrency=2)
    assert started.started and started.estimate_seconds <= 11
    with setup.app.test_client() as client:
        status = client.get(f"/r/{rows(setup.db, [ids[4]])[ids[4]].public_id}/status.json").get_json()
    assert status == {"status": "queued", "ahead": 2, "estimate_seconds": 22, "started": False, "paused": False}
    setup.redis.delete("posterbooth:durations:hunyuan")
    record_duration(setup.redis, 0.4, "hunyuan")

    in_flight = []
    setup.run(lambda: in_flight.append(Semaphore(setup.redis, "hunyuan", 2).in_use()) or all_final(setup.db, ids))
    done = rows(setup.db, ids)
    assert all(p.status == "done" for p in done.values())
    assert max(in_flight) <= 2
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 6 and sum(p.retries for p in done.values()) == 0
    order = sorted(ids, key=lambda pid: done[pid].submitted_at)
    assert [set(order[i:i + 2]) for i in (0, 2, 4)] == [set(ids[i:i + 2]) for i in (0, 2, 4)]  # in turn


def test_retryable_errors_back_off_and_the_attendee_keeps_their_place(setup: Setup) -> None:
    setup.fake.fail_next("SubmitHunyuanImageJob", "InternalError", times=2)
    setup.fake.fail_next("QueryHunyuanImageJob", "http_502")
    [pid] = setup.participations(1)
    setup.run(lambda: all_final(setup.db, [pid]))
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "done"
    assert participation.retries == 3 and participation.provider_submissions == 3
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 1


@SQLITE_ONLY
def test_retries_are_bounded_and_then_the_attendee_is_told(make_setup: Any, fake: FakeTencentCloud) -> None:
    setup = make_setup(PROVIDER_MAX_RETRIES=3)
    fake.fail_next("SubmitHunyuanImageJob", "RequestLimitExceeded", times=10)
    [pid] = setup.participations(1)
    setup.run(lambda: all_final(setup.db, [pid]))
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "failed" and participation.error_code == "busy"
    assert participation.retries == 3 and participation.provider_submissions == 4
    assert "RequestLimitExceeded" in participation.error_detail
    page = setup.app.test_client().get(f"/r/{participation.public_id}").get_data(as_text=True)
    assert "太忙" in page and "RequestLimitExceeded" not in page


@SQLITE_ONLY
def test_a_failed_remote_job_is_submitted_again(setup: Setup) -> None:
    setup.fake.fail_job_next("FailedOperation.EngineServerError")
    [pid] = setup.participations(1)
    setup.run(lambda: all_final(setup.db, [pid]))
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "done" and participation.retries == 1
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 2 == participation.provider_submissions


def test_a_job_that_never_finishes_is_given_up_and_submitted_again(make_setup: Any, fake: FakeTencentCloud) -> None:
    setup = make_setup(PROVIDER_JOB_TIMEOUT=1.5)
    fake.latency = 30.0  # the first job hangs
    [pid] = setup.participations(1)
    setup.run(lambda: rows(setup.db, [pid])[pid].provider_submissions == 2, timeout=10)
    fake.advance(30.0)  # the second one finishes
    setup.run(lambda: all_final(setup.db, [pid]))
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "done" and participation.retries == 1
    assert participation.provider_submissions == 2 == fake.submissions["SubmitHunyuanImageJob"]


@SQLITE_ONLY
def test_a_moderation_refusal_is_explained_and_the_answers_can_be_changed(setup: Setup) -> None:
    client = setup.app.test_client()
    result_path = complete(client, "spring-outing", SPRING)
    setup.fake.fail_next("SubmitHunyuanImageJob", "OperationDenied.TextIllegalDetected")
    setup.run(lambda: all_final(setup.db, rows_by_public_id(setup, result_path)))
    participation = rows(setup.db, rows_by_public_id(setup, result_path)).popitem()[1]
    assert participation.status == "rejected" and participation.error_code == "moderation"
    page = client.get(result_path).get_data(as_text=True)
    assert "未能通过这些回答的内容审核" in page and "TextIllegalDetected" not in page
    form = page.split('<form method="post" action="')[1]
    action, rest = form.split('"', 1)
    token = rest.split('name="csrf_token" value="')[1].split('"')[0]
    edit = client.post(action, data={"csrf_token": token})
    assert edit.status_code == 303 and edit.headers["Location"].endswith("/c/spring-outing/q/scenery")
    question = client.get(edit.headers["Location"]).get_data(as_text=True)
    assert 'value="lake" checked' in question  # the previous answers are back in the draft
    other = setup.app.test_client()  # another device may not take over this attendee's answers
    assert 'action="' + action not in other.get(result_path).get_data(as_text=True)
    token = form_fields(other.get("/c/spring-outing/q/scenery").get_data(as_text=True))["csrf_token"]
    assert other.post(action, data={"csrf_token": token}).status_code == 403


def rows_by_public_id(setup: Setup, result_path: str) -> list[int]:
    """Return the id of the participation whose result page this is."""
    from posterbooth.participations import by_public_id

    participation = by_public_id(setup.db, result_path.rsplit("/", 1)[-1])
    assert participation is not None
    return [participation.id]


@SQLITE_ONLY
def test_a_bad_request_fails_with_a_detail_for_the_operator(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.fake.fail_next("SubmitHunyuanImageJob", "InvalidParameterValue.StyleConflict", "style and revise clash")
    [pid] = setup.participations(1)
    with caplog.at_level(logging.ERROR, logger="workers"):
        setup.run(lambda: all_final(setup.db, [pid]))
    participation = rows(setup.db, [pid])[pid]
    assert participation.status == "failed" and participation.error_code == "provider_setup"
    assert "InvalidParameterValue.StyleConflict: style and revise clash" in participation.error_detail
    assert "InvalidParameterValue.StyleConflict" in caplog.text and "spring-outing" in caplog.text
    assert participation.retries == 0 and setup.fake.submissions["SubmitHunyuanImageJob"] == 0


# --- account errors: the circuit ------------------------------------------------------------------

def test_an_account_error_pauses_the_provider_keeps_everyone_and_resumes(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.fake.fail_next("SubmitHunyuanImageJob", "FailedOperation.ResourcePackExhausted", "资源包已用尽")
    ids = setup.participations(3)
    with caplog.at_level(logging.ERROR, logger="workers"):
        setup.run()
    assert "hunyuan PAUSED" in caplog.text and "ResourcePackExhausted" in caplog.text
    state = read_state(setup.redis, "hunyuan")
    assert state.state == "open" and state.code == "FailedOperation.ResourcePackExhausted"
    assert {p.status for p in rows(setup.db, ids).values()} == {"queued"}
    assert Semaphore(setup.redis, "hunyuan", 2).waiting() == 3 and setup.redis.llen(setup.queue.key) == 0

    client = setup.app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded" and body["checks"]["database"] == body["checks"]["redis"] == "ok"
    assert body["providers"]["hunyuan"]["state"] == "open"
    assert body["providers"]["hunyuan"]["code"] == "FailedOperation.ResourcePackExhausted"
    page = client.get(f"/r/{rows(setup.db, ids)[ids[2]].public_id}").get_data(as_text=True)
    assert "非常繁忙" in page and "保留" in page
    assert client.get(f"/r/{rows(setup.db, ids)[ids[2]].public_id}/status.json").get_json()["paused"] is True

    # The account is topped up: after the pause one job probes, the circuit closes, the line moves.
    setup.run(lambda: all_final(setup.db, ids))
    assert all(p.status == "done" for p in rows(setup.db, ids).values())
    assert read_state(setup.redis, "hunyuan").closed
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 3
    assert client.get("/readyz").get_json()["providers"]["hunyuan"]["state"] == "closed"


def test_a_failed_probe_pauses_again_for_longer(redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    circuit = Circuit(redis_conn, "hunyuan", cooldown=0.2)
    with caplog.at_level(logging.ERROR, logger="workers"):
        circuit.trip("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    assert not circuit.allows(1) and not circuit.probe_due()
    time.sleep(0.25)
    assert circuit.probe_due() and circuit.state().state == "half_open"
    assert circuit.allows(7) and not circuit.allows(8) and circuit.allows(7)  # one probe at a time
    circuit.trip("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    state = circuit.state()
    assert state.state == "open" and state.cooldown == pytest.approx(0.4)
    assert caplog.text.count("hunyuan PAUSED") == 1 and "still failing" in caplog.text
    time.sleep(0.45)
    assert circuit.probe_due() and circuit.allows(8) and circuit.succeed()
    assert circuit.state().closed and circuit.allows(9)


@SQLITE_ONLY
def test_secrets_stay_out_of_logs_pages_and_records(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    client = setup.app.test_client()
    result_path = complete(client, "spring-outing", SPRING)
    setup.fake.secret_id = "AKIDsomeoneElse"  # the fake now refuses our credentials
    with caplog.at_level(logging.DEBUG):
        setup.run()
        setup.run()
    participation = rows(setup.db, rows_by_public_id(setup, result_path)).popitem()[1]
    assert read_state(setup.redis, "hunyuan").code == "AuthFailure.SecretIdNotFound"
    texts = [caplog.text, participation.error_detail, client.get(result_path).get_data(as_text=True),
             client.get("/readyz").get_data(as_text=True),
             repr(setup.redis.hgetall(f"posterbooth:circuit:{participation.provider}"))]
    for job_id in setup.redis.keys("rq:job:*"):
        texts.append(repr(setup.redis.hgetall(job_id)))
    for text in texts:
        assert DEFAULT_SECRET_KEY not in text


# --- shared limits ---------------------------------------------------------------------------------

# --- the sweeper ----------------------------------------------------------------------------------

def test_the_sweeper_leaves_waiting_participations_alone_and_revives_lost_ones(setup: Setup) -> None:
    ids = setup.participations(3)
    setup.run()
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 0  # polls scheduled, one in line
    assert setup.redis.zscore(line_key("hunyuan"), str(ids[2])) is not None
    assert setup.redis.llen(setup.queue.key) == 0
    lost = current_job_id(setup.redis, ids[0])
    Job.fetch(lost, connection=setup.redis).delete()  # Redis lost the scheduled poll
    setup.redis.zrem(DUE_KEY, lost)
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 1
    assert current_job_id(setup.redis, ids[0]) != lost
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 0  # never twice
    setup.run(lambda: all_final(setup.db, ids))
    assert all(p.status == "done" for p in rows(setup.db, ids).values())
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 3


@SQLITE_ONLY
def test_the_sweeper_revives_a_job_taken_by_a_worker_that_died_before_starting_it(setup: Setup) -> None:
    [pid] = setup.participations(1)
    job_id = current_job_id(setup.redis, pid)
    assert setup.redis.lpos(setup.queue.key, job_id) is not None
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 0  # queued: left alone
    # A worker pops the job id from the queue and is killed before it marks the job started: the job still
    # says "queued", but no worker will ever see it again.
    setup.redis.lrem(setup.queue.key, 0, job_id)
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 0  # just taken: give it time
    long_ago = (datetime.now(UTC) - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    setup.redis.hset(Job.key_for(job_id), "enqueued_at", long_ago)
    assert job_status(setup.redis, job_id) == "queued"
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 1
    assert requeue_orphans(setup.db, setup.queue, older_than=timedelta(0)) == 0  # never twice
    setup.run(lambda: all_final(setup.db, [pid]))
    assert rows(setup.db, [pid])[pid].status == "done"
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 1


@SQLITE_ONLY
def test_a_sweep_whose_worker_died_with_it_does_not_stop_the_sweeps(setup: Setup) -> None:
    from posterbooth.generation.clock import SWEEP_JOB_ID, SWEEP_TIMEOUT

    def stamp(seconds_ago: float) -> str:
        return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    key = Job.key_for(SWEEP_JOB_ID)
    setup.timer.enqueue_sweep()
    assert setup.redis.lrange(setup.queue.key, 0, -1) == [SWEEP_JOB_ID.encode()]
    setup.timer.enqueue_sweep()  # waiting in the queue: not twice
    assert setup.redis.llen(setup.queue.key) == 1
    # A worker takes it and is killed while it runs: it stays "started" forever.
    setup.redis.lrem(setup.queue.key, 0, SWEEP_JOB_ID)
    setup.redis.hset(key, mapping={"status": "started", "started_at": stamp(1)})
    setup.timer.enqueue_sweep()  # running: left alone
    assert setup.redis.llen(setup.queue.key) == 0
    setup.redis.hset(key, "started_at", stamp(SWEEP_TIMEOUT + 1))
    setup.timer.enqueue_sweep()  # its worker is long dead: the sweep goes on
    assert setup.redis.lrange(setup.queue.key, 0, -1) == [SWEEP_JOB_ID.encode()]
    # Taken and never started (the worker died between the two): enqueued again once the grace is over.
    setup.redis.lrem(setup.queue.key, 0, SWEEP_JOB_ID)
    setup.timer.enqueue_sweep()
    assert setup.redis.llen(setup.queue.key) == 0
    setup.redis.hset(key, "enqueued_at", stamp(60))
    setup.timer.enqueue_sweep()
    assert setup.redis.lrange(setup.queue.key, 0, -1) == [SWEEP_JOB_ID.encode()]


@SQLITE_ONLY
def test_a_duplicate_or_replaced_job_does_nothing(setup: Setup) -> None:
    [pid] = setup.participations(1)
    setup.queue.enqueue("workers.jobs.generate", pid, job_id="participation-stray")
    setup.run()
    assert setup.fake.submissions["SubmitHunyuanImageJob"] == 1
    assert Job.fetch("participation-stray", connection=setup.redis).return_value() == "stale"


@SQLITE_ONLY
def test_due_steps_are_released_before_rq_s_scheduler_would(setup: Setup) -> None:
    from posterbooth.generation.queue import enqueue_step

    job_id = enqueue_step(setup.queue, 1, delay=0.05)
    assert release_due(setup.queue) == 0
    time.sleep(0.06)
    assert release_due(setup.queue) == 1 and job_status(setup.redis, job_id) == "queued"
    assert release_due(setup.queue) == 0 and setup.redis.llen(setup.queue.key) == 1


@SQLITE_ONLY
def test_readyz_is_unavailable_only_when_the_database_or_redis_is_down(setup: Setup) -> None:
    client = setup.app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ok"
    extensions = setup.app.extensions
    original_redis, original_db = extensions["posterbooth.redis"], extensions["posterbooth.db"]
    broken_redis = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    broken_db = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1")
    try:
        extensions["posterbooth.redis"] = broken_redis
        down = client.get("/readyz")
        assert down.status_code == 503 and down.get_json()["checks"] == {"database": "ok",
                                                                          "redis": "error: ConnectionError"}
        extensions["posterbooth.redis"], extensions["posterbooth.db"] = original_redis, broken_db
        down = client.get("/readyz")
        assert down.status_code == 503 and down.get_json()["checks"]["database"].startswith("error: ")
        assert down.get_json()["checks"]["redis"] == "ok"
    finally:
        extensions["posterbooth.redis"], extensions["posterbooth.db"] = original_redis, original_db
        broken_redis.close()
        broken_db.dispose()


@SQLITE_ONLY
def test_a_synchronous_provider_holds_a_slot_only_during_its_call(setup: Setup) -> None:
    from posterbooth.providers.base import GeneratedImage, GenerationRequest
    from tests.fakes.tencent_server import gradient_png
    from workers.context import get_context

    semaphore = Semaphore(setup.redis, "hunyuan", 2)
    in_use: list[int] = []

    class Synchronous:
        name = "hunyuan"

        def start(self, request: GenerationRequest) -> GeneratedImage:
            in_use.append(semaphore.in_use())
            return GeneratedImage(gradient_png(96, 96, request.reference), "image/png", "hunyuan", "TextToImageLite")

        def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage:
            raise AssertionError("nothing to resume")

    get_context().providers["hunyuan"] = Synchronous()
    ids = setup.participations(3)
    setup.run(lambda: all_final(setup.db, ids))
    done = rows(setup.db, ids)
    assert all(p.status == "done" and p.provider_model == "TextToImageLite" for p in done.values())
    assert in_use == [1, 1, 1] and semaphore.in_use() == 0 and semaphore.waiting() == 0

