"""Budgets: each provider job is charged from the price table; a job over budget waits; the page says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from posterbooth.budget import DEFAULT_PRICES, PriceTableError, account_budgets, price_milli, price_table
from posterbooth.models import Charge, Participation
from tests.test_caps import LAST, SLUG, capped_app, dispose_apps, ready_to_submit

__all__ = ["dispose_apps"]


def run_worker(app) -> None:
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def test_price_table_defaults_and_overrides(tmp_path):
    assert price_milli(price_table(""), "hunyuan", "text_to_image") == round(1000 * DEFAULT_PRICES["hunyuan"]["*"])
    table = price_table('{"hunyuan": {"avatar": 0.4}, "offline": {"*": 0.5}}')
    assert price_milli(table, "hunyuan", "avatar") == 400
    assert price_milli(table, "offline", "text_to_image") == 500
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"openai": {"*": 0.25}}))
    assert price_milli(price_table(str(path)), "openai", "meme") == 250
    for bad in ('{"hunyuan": {"*": -1}}', "[1]", "{not json", str(tmp_path / "missing.json")):
        with pytest.raises(PriceTableError):
            price_table(bad)
    assert account_budgets('{"hunyuan": {"per_day": 300}}') == {"hunyuan": {"per_day": 300.0}}
    with pytest.raises(PriceTableError):
        account_budgets('{"hunyuan": {"weekly": 3}}')


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_half_a_yuan_a_job_with_two_a_day_makes_four_jobs_and_the_fifth_waits(app_env, monkeypatch, tmp_path,
                                                                               redis_conn):
    import posterbooth.caps

    monkeypatch.setattr(posterbooth.caps, "clock", lambda: datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    monkeypatch.setenv("PRICE_TABLE", '{"offline": {"*": 0.5}}')
    app = capped_app(monkeypatch, tmp_path, "budget: {per_day: 2}\n")
    for _ in range(5):
        client = app.test_client()
        assert client.post(LAST, data=ready_to_submit(client)).status_code == 302
    run_worker(app)
    db = app.extensions["posterbooth.db"]
    with db.session() as session:
        rows = session.scalars(select(Participation).order_by(Participation.id)).all()
        charges = session.scalar(select(func.count()).select_from(Charge))
        spent = session.scalar(select(func.sum(Charge.amount_milli)))
    assert [p.status for p in rows] == ["done"] * 4 + ["queued"]
    assert rows[4].error_code == "over_budget" and rows[4].provider_submissions == 0 and rows[4].cost_milli == 0
    assert all(p.cost_milli == 500 and p.provider_submissions == 1 for p in rows[:4])
    assert charges == 4 and spent == 2000
    assert redis_conn.zcard("posterbooth:due") == 1  # the fifth waits for the next day's budget
    page = app.test_client().get(f"/c/{SLUG}").get_data(as_text=True)
    assert "今日暂停，明天再来" in page and "2026-12-03 00:00 (Asia/Shanghai)" in page
    late = app.test_client()
    refused = late.post(LAST, data=ready_to_submit(late))
    assert refused.status_code == 403 and "本活动今天的生成额度已用完" in refused.get_data(as_text=True)


def test_a_refused_submit_is_refunded(app_env, monkeypatch, tmp_path, redis_conn):
    from posterbooth import budget
    from posterbooth.providers.base import ProviderError

    monkeypatch.setenv("PRICE_TABLE", '{"offline": {"*": 0.5}}')
    app = capped_app(monkeypatch, tmp_path, "budget: {total: 10}\n")
    client = app.test_client()
    assert client.post(LAST, data=ready_to_submit(client)).status_code == 302

    def refuse(self, request):
        raise ProviderError("moderation", "ImageModerationFailed", "refused")

    monkeypatch.setattr("posterbooth.providers.offline.OfflineProvider.start", refuse)
    run_worker(app)
    db = app.extensions["posterbooth.db"]
    with db.session() as session:
        participation = session.scalars(select(Participation)).one()
        assert session.scalar(select(func.count()).select_from(Charge)) == 0
    assert participation.status == "rejected" and participation.cost_milli == 0
    assert int(redis_conn.get(f"{budget.PREFIX}c:{SLUG}")) == 0
