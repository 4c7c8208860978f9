"""Caps under a burst: real Redis and real PostgreSQL, 50 attendees submitting at the same moment."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posterbooth.models import Participation
from tests.attendee import answer, form_fields
from tests.conftest import CAMPAIGNS

SLUG = "spring-outing"
LAST = f"/c/{SLUG}/q/companion"


_APPS: list[Flask] = []


@pytest.fixture(autouse=True)
def dispose_apps() -> Any:
    """Close the database pools of the apps a test made."""
    yield
    while _APPS:
        _APPS.pop().extensions["posterbooth.db"].dispose()


def capped_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: str, **config: Any) -> Flask:
    """Return the app with the spring demo given ``extra`` campaign fields (limits, budget...); closed after."""
    folder = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS / SLUG, folder / SLUG)
    path = folder / SLUG / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    monkeypatch.setenv("CAMPAIGNS_DIR", str(folder))
    from posterbooth import create_app

    app = create_app({"TESTING": True, **config})
    _APPS.append(app)
    return app


def ready_to_submit(client: FlaskClient) -> dict[str, str]:
    """Answer the first two questions and return the last question's form, filled in."""
    assert answer(client, SLUG, "scenery", "lake").status_code == 302
    assert answer(client, SLUG, "pace", "stroll").status_code == 302
    page = client.get(LAST)
    assert page.status_code == 200
    data = form_fields(page.get_data(as_text=True))
    data["answer"] = "friends"
    return data


def burst(clients: list[FlaskClient], forms: list[dict[str, str]]) -> tuple[list[tuple[int, str, str]], float]:
    """Post every form at the same moment; return (status, Location, body) per client and the burst's seconds."""
    gate = threading.Barrier(len(clients))

    def post(index: int) -> tuple[int, str, str, float]:
        gate.wait()
        response = clients[index].post(LAST, data=forms[index])
        return (response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True),
                time.perf_counter())

    began = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(post, range(len(clients))))
    return [r[:3] for r in results], max(r[3] for r in results) - began


def count(app: Flask, **where: Any) -> int:
    db = app.extensions["posterbooth.db"]
    with db.session() as session:
        query = select(func.count()).select_from(Participation)
        for name, value in where.items():
            query = query.where(getattr(Participation, name) == value)
        return int(session.scalar(query) or 0)


def draft_answers(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session.get("drafts", {}).get(SLUG, {}).get("answers", {}))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_fifty_at_once_against_a_total_of_20_make_exactly_20(app_env, monkeypatch, tmp_path, redis_conn, capsys):
    app = capped_app(monkeypatch, tmp_path, "limits: {total: 20}\n")
    clients = [app.test_client() for _ in range(50)]
    forms = [ready_to_submit(c) for c in clients]
    results, seconds = burst(clients, forms)
    made = [r for r in results if r[0] == 302]
    refused = [r for r in results if r[0] != 302]
    with capsys.disabled():
        print(f"\n50-submission burst against limits.total 20: {len(made)} made, {len(refused)} refused, "
              f"statuses {sorted({r[0] for r in results})}, {seconds * 1000:.0f} ms")
    assert len(made) == 20 and all(r[1].startswith("/r/") for r in made)
    assert len(set(r[1] for r in made)) == 20
    assert [r[0] for r in refused] == [403] * 30
    assert all("本活动名额已满" in r[2] for r in refused)
    assert count(app, campaign=SLUG) == 20
    assert int(redis_conn.get(f"posterbooth:caps:{SLUG}:total")) == 20
    # none lost: the refused keep their answers, and the landing page now says the campaign is full
    kept = [c for c, r in zip(clients, results, strict=True) if r[0] == 403]
    assert all(draft_answers(c) == {"scenery": "lake", "pace": "stroll", "companion": "friends"} for c in kept)
    landing = app.test_client().get(f"/c/{SLUG}")
    assert landing.status_code == 200 and "本活动名额已满" in landing.get_data(as_text=True)
    assert "开始测试" not in landing.get_data(as_text=True)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_per_day_cap_across_midnight(app_env, monkeypatch, tmp_path, redis_conn):
    import posterbooth.caps

    now = [datetime(2026, 12, 2, 15, 59, 58, tzinfo=UTC)]  # 23:59:58 in Shanghai
    monkeypatch.setattr(posterbooth.caps, "clock", lambda: now[0])
    app = capped_app(monkeypatch, tmp_path, "limits: {per_day: 5}\n")
    clients = [app.test_client() for _ in range(12)]
    forms = [ready_to_submit(c) for c in clients]
    results, _seconds = burst(clients, forms)
    assert sorted(r[0] for r in results) == [302] * 5 + [403] * 7
    refused = [r for r in results if r[0] == 403]
    assert all("今日名额已满" in r[2] and "2026-12-03 00:00 (Asia/Shanghai)" in r[2] for r in refused)
    assert count(app, cap_day="2026-12-02") == 5
    # past midnight the waiting attendees submit the answers they kept: five more fit, two wait again
    now[0] = datetime(2026, 12, 2, 16, 0, 1, tzinfo=UTC)
    waiting = [c for c, r in zip(clients, results, strict=True) if r[0] == 403]
    again = [ready_form(c) for c in waiting]
    second, _ = burst(waiting, again)
    assert sorted(r[0] for r in second) == [302] * 5 + [403] * 2
    assert count(app, cap_day="2026-12-03") == 5 and count(app, campaign=SLUG) == 10


def ready_form(client: FlaskClient) -> dict[str, str]:
    """Return the last question's form of a draft that is already answered (after a refusal)."""
    page = client.get(LAST)
    assert page.status_code == 200
    return {**form_fields(page.get_data(as_text=True)), "answer": "friends"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_per_attendee_cap_holds_for_one_device_in_many_sessions(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "limits: {per_attendee: 2, total: 100}\n")
    device = "same-device-0123456789abc"
    clients = []
    for _ in range(10):
        client = app.test_client()
        client.set_cookie("pb_device", device)
        clients.append(client)
    forms = [ready_to_submit(c) for c in clients]
    results, _ = burst(clients, forms)
    assert sorted(r[0] for r in results) == [302] * 2 + [403] * 8
    assert all("你的参与次数已用完" in r[2] for r in results if r[0] == 403)
    assert count(app, attendee=f"d:{device}") == 2
    assert int(redis_conn.get(f"posterbooth:caps:{SLUG}:total")) == 2  # the refused gave their places back
    other = app.test_client()
    assert ready_to_submit(other) and other.post(LAST, data=ready_form(other)).status_code == 302


def test_counters_are_rebuilt_from_the_database_when_redis_loses_them(app_env, monkeypatch, tmp_path, redis_conn):
    app = capped_app(monkeypatch, tmp_path, "limits: {total: 3}\n")
    for _ in range(2):
        client = app.test_client()
        assert client.post(LAST, data=ready_to_submit(client)).status_code == 302
    redis_conn.flushdb()  # Redis wiped: the counters come back from the participations table
    results = []
    for _ in range(2):
        client = app.test_client()
        results.append(client.post(LAST, data=ready_to_submit(client)).status_code)
    assert results == [302, 403]
    assert count(app, campaign=SLUG) == 3


def test_a_failed_participation_without_cost_gives_its_place_back(app_env, monkeypatch, tmp_path, redis_conn):
    from posterbooth import caps

    app = capped_app(monkeypatch, tmp_path, "limits: {total: 1}\n")
    client = app.test_client()
    assert client.post(LAST, data=ready_to_submit(client)).status_code == 302
    db = app.extensions["posterbooth.db"]
    with db.session() as session:
        participation = session.scalars(select(Participation)).one()
        participation.status = "failed"
    loaded = app.extensions["posterbooth.campaigns"][SLUG]
    caps.release(redis_conn, db, loaded.definition, participation)
    other = app.test_client()
    assert other.post(LAST, data=ready_to_submit(other)).status_code == 302
    assert count(app, campaign=SLUG) == 2
