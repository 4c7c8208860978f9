"""Funnel events leave the request after its response, reach the database in batches, exactly once."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis
from sqlalchemy import func, select

from posterbooth import events
from posterbooth.models import Event
from tests.attendee import SPRING, complete
from tests.test_referrals import AUTH, run_worker


@pytest.fixture
def admin_app(app_env):
    """Return the app with an operator password, and test clients that close their responses."""
    from posterbooth import create_app
    from tests.test_referrals import ClosingClient

    application = create_app({"TESTING": True, "ADMIN_PASSWORD": "s3cret-pass"})
    application.test_client_class = ClosingClient
    yield application
    application.extensions["posterbooth.db"].dispose()


def _rows(app) -> list[Event]:
    with app.extensions["posterbooth.db"].session() as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


def test_events_are_sent_after_the_response_not_during_it(app, redis_conn: redis.Redis):
    client = app.test_client()  # like a WSGI server before it has written the body: response not closed
    response = client.get("/c/spring-outing?ch=booth&ref=nosuchcode")
    assert response.status_code == 200
    assert redis_conn.exists(events.STREAM) == 0
    response.close()  # the server has sent the page: now the events go out (and, first of the interval, are flushed)
    rows = _rows(app)
    assert [(r.kind, r.channel, r.ref_code, r.referrer_id) for r in rows] == [
        ("landing_view", "booth", "nosuchcode", None), ("referred_visit", "booth", "nosuchcode", None)]
    assert rows[0].device_id and rows[0].device_id == rows[1].device_id


def test_flushes_are_batched_at_most_once_per_interval(admin_app, redis_conn: redis.Redis):
    client = admin_app.test_client()
    client.get("/c/spring-outing")  # the first event of the interval flushes at once
    assert len(_rows(admin_app)) == 1 and redis_conn.ttl(events.FLUSH_DUE_KEY) > 0
    for _ in range(3):
        client.get("/c/spring-outing?again=1")
    assert len(_rows(admin_app)) == 1  # the next ones wait in Redis for the next flush
    assert redis_conn.xlen(events.STREAM) == 3
    redis_conn.delete(events.FLUSH_DUE_KEY)  # the interval is over
    client.get("/c/spring-outing?again=1")
    assert len(_rows(admin_app)) == 5 and redis_conn.xlen(events.STREAM) == 0


def test_each_event_is_stored_once_even_when_a_flusher_dies(app, redis_conn: redis.Redis, monkeypatch):
    database = app.extensions["posterbooth.db"]
    for index in range(5):
        events.emit(redis_conn, "landing_view", "spring-outing", device_id=f"device-{index}", channel="poster")
    assert redis_conn.xlen(events.STREAM) == 5
    # A flusher takes three entries and dies before storing them.
    redis_conn.xgroup_create(events.STREAM, events.GROUP, id="0")
    taken = redis_conn.xreadgroup(events.GROUP, "dead-flusher", {events.STREAM: ">"}, count=3)
    assert len(taken[0][1]) == 3
    assert events.flush(database, redis_conn) == 2  # the other two; the dead one's are not idle long enough
    monkeypatch.setattr(events, "CLAIM_IDLE_MS", 0)
    assert events.flush(database, redis_conn) == 3  # claimed from the dead flusher
    assert events.flush(database, redis_conn) == 0
    assert redis_conn.xlen(events.STREAM) == 0
    assert sorted(r.device_id for r in _rows(app)) == [f"device-{i}" for i in range(5)]
    # An entry that was stored but not acknowledged (died after the commit) is not stored twice.
    events.emit(redis_conn, "start", "spring-outing", device_id="device-9")
    [[_stream, [(entry_id, fields)]]] = redis_conn.xreadgroup(events.GROUP, "dying", {events.STREAM: ">"})
    events._store(database, [(entry_id, fields)])
    assert events.flush(database, redis_conn) == 0
    with database.session() as session:
        assert session.scalar(select(func.count(Event.id))) == 6


def test_pages_work_while_redis_cannot_take_events(app, caplog: pytest.LogCaptureFixture):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.extensions["posterbooth.redis"] = redis.Redis(port=dead_port, socket_connect_timeout=0.2)
    caplog.set_level(logging.WARNING, logger="posterbooth.events")
    response = app.test_client().get("/c/spring-outing")
    assert response.status_code == 200
    response.close()
    assert "could not record 1 funnel events" in caplog.text


def test_unknown_event_kinds_are_refused(redis_conn: redis.Redis):
    with pytest.raises(ValueError, match="unknown event kind"):
        events.emit(redis_conn, "clicked", "spring-outing")


def test_funnel_counts_devices_per_step_and_channel(admin_app, app_env):
    app = admin_app
    attendee = app.test_client()
    attendee.get("/c/spring-outing?ch=booth")
    public_id = complete(attendee, "spring-outing", SPRING).rsplit("/", 1)[-1]
    run_worker(app)
    share = attendee.get(f"/r/{public_id}").get_data(as_text=True).split('href="/s/')[1].split('"')[0]
    friend = app.test_client()
    page = friend.get(f"/s/{share}").get_data(as_text=True)
    try_url = page.split('class="button primary big" href="')[1].split('"')[0].replace("&amp;", "&")
    friend.get(try_url)
    friend.get("/c/spring-outing/q/scenery")
    report = app.test_client().get("/admin/c/spring-outing/funnel.json", headers=AUTH).get_json()
    steps = {step["step"]: (step["events"], step["devices"]) for step in report["steps"]}
    assert list(steps) == ["landing_view", "start", "submit", "done", "share_view", "referred_visit"]
    assert steps == {"landing_view": (2, 2), "start": (2, 2), "submit": (1, 1), "done": (1, 1),
                     "share_view": (1, 1), "referred_visit": (1, 1)}
    channels = {entry["channel"]: entry for entry in report["channels"]}
    assert channels["booth"] == {"channel": "booth", "visitors": 1, "participations": 1, "posters": 1}
    assert channels[""] == {"channel": "", "visitors": 1, "participations": 0, "posters": 0}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_bad_entry_is_set_aside_and_the_rest_acknowledged(app, redis_conn: redis.Redis):
    database = app.extensions["posterbooth.db"]
    events.emit(redis_conn, "landing_view", "spring-outing", device_id="good-1")
    # What a NUL in ?ch= or ?ref= used to put in the stream, and an entry whose id is no time at all.
    redis_conn.xadd(events.STREAM, {"kind": "landing_view", "campaign": "spring-outing", "device": "d\x00x",
                                    "participation": "", "ref": "a\x00b", "channel": "ch\x00annel"})
    events.emit(redis_conn, "start", "spring-outing", device_id="good-2")
    redis_conn.xadd(events.STREAM, {"kind": "start", "campaign": "spring-outing", "device": "late"},
                    id="99999999999999999-0")
    assert events.flush(database, redis_conn) == 3
    assert redis_conn.xlen(events.STREAM) == 0
    assert redis_conn.xpending(events.STREAM, events.GROUP)["pending"] == 0
    rows = _rows(app)
    assert [(r.device_id, r.channel, r.ref_code) for r in rows] == [
        ("good-1", "", ""), ("dx", "channel", "ab"), ("good-2", "", "")]


def test_malformed_ref_and_channel_never_reach_the_events(app, redis_conn: redis.Redis):
    client = app.test_client()
    for query in ("ref=%00&ch=%00", "ref=" + "a" * 300 + "&ch=" + "b" * 300, "ref=a%00b&ch=x%01y"):
        response = client.get(f"/c/spring-outing?again=1&{query}")
        assert response.status_code == 200
        response.close()
    redis_conn.delete(events.FLUSH_DUE_KEY)
    events.flush(app.extensions["posterbooth.db"], redis_conn)
    assert {(r.ref_code, r.channel) for r in _rows(app)} == {("", "")}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_busy_process_sends_its_events_in_batches(app_env, redis_conn: redis.Redis, monkeypatch):
    """With EVENTS_BATCH_SECONDS, many pages cost a few round trips to Redis, and nothing is lost."""
    from posterbooth import create_app
    from tests.test_referrals import ClosingClient

    monkeypatch.setenv("EVENTS_BATCH_SECONDS", "0.5")
    application = create_app({"TESTING": True, "ADMIN_PASSWORD": "s3cret-pass"})
    application.test_client_class = ClosingClient
    pushes: list[int] = []
    real_push = events.push

    def counted(connection, database, entries):
        pushes.append(len(entries))
        real_push(connection, database, entries)

    monkeypatch.setattr(events, "push", counted)
    try:
        clients = [application.test_client() for _ in range(20)]
        for client in clients:
            assert client.get("/c/spring-outing?ch=batch").status_code == 200
        deadline = time.monotonic() + 20
        while sum(pushes) < 20:
            assert time.monotonic() < deadline, f"events not sent: {pushes}"
            time.sleep(0.05)
        assert len(pushes) <= 10, pushes  # one round trip per half second, not one per page
        for client in clients[:5]:  # pages of the last moment: a report sends what is still gathering first
            client.get("/c/spring-outing?again=1&ch=late")
        report = application.test_client().get("/admin/c/spring-outing/funnel.json", headers=AUTH).get_json()
        channels = {entry["channel"]: entry["visitors"] for entry in report["channels"]}
        assert channels == {"batch": 20, "late": 5}
    finally:
        application.extensions["posterbooth.db"].dispose()
