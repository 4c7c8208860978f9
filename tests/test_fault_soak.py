"""Fault soak: 200 participations against a provider that fails often, and every attendee is kept.

The fake Tencent Cloud answers 30% of all requests (submissions and polls) with a
transient failure (error codes, dropped connections, non-JSON pages) and refuses
5% of submissions for their content. Real Redis, a real database, real rq
workers and the workers' timer, in this process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from posterbooth import create_app
from posterbooth.config import load_settings
from posterbooth.generation.clock import Clock
from posterbooth.generation.keys import usual_key
from posterbooth.generation.retry import RetryPolicy
from tests.conftest import time_allowance
from tests.fakes.tencent_server import FakeTencentCloud
from tests.generation_harness import add_participations, all_final, drive, enqueue_all, hunyuan_env, rows
from workers.context import close_context

COUNT = 200
SETTINGS = {
    "PROVIDER_CONCURRENCY": 8,
    "PROVIDER_MAX_RETRIES": 12,
    "PROVIDER_RETRY_DELAY": 0.02,
}
_RETRY = re.compile(r"participation (\d+): retryable (\S+); retry (\d+) of (\d+) in ([\d.]+)s")

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Yield a fake Tencent Cloud with 30% transient failures and 5% moderation refusals."""
    with FakeTencentCloud(latency=0.2, concurrency=8, retryable_rate=0.3, moderation_rate=0.05, seed=7,
                          result_size=128) as server:
        yield server


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_participation_ends_done_or_refused_and_no_retry_exceeds_its_bounds(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, fake: FakeTencentCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for key, value in hunyuan_env(fake.url, **SETTINGS).items():
        monkeypatch.setenv(key, value)
    app = create_app({"TESTING": True})
    settings = load_settings()
    policy = RetryPolicy.from_settings(settings)
    db, queue = app.extensions["posterbooth.db"], app.extensions["posterbooth.queue"]
    queue.connection.hset(usual_key("hunyuan"), mapping={"time": 0.2, "step": 0.02})
    timer = Clock(settings, lambda: {"hunyuan"})
    ids = add_participations(db, app.extensions["posterbooth.campaigns"]["spring-outing"], COUNT)
    enqueue_all(queue, ids)
    try:
        with caplog.at_level(logging.INFO, logger="posterbooth.generation.engine"):
            # A deadline for a hang, not a speed target (bench/ has those): a loaded 2-core machine took 260 s.
            drive(queue, timer.tick, lambda: all_final(db, ids), timeout=600 * time_allowance())
        final = rows(db, ids)

        # None lost: every participation ended, with a poster or the attendee's message.
        assert len(final) == COUNT
        outcomes = {p.status for p in final.values()}
        assert outcomes <= {"done", "rejected"}, {p.id: p.error_detail for p in final.values() if p.status == "failed"}
        done = [p for p in final.values() if p.status == "done"]
        rejected = [p for p in final.values() if p.status == "rejected"]
        assert len(rejected) >= 3 and len(done) >= COUNT * 0.85
        for participation in done:
            assert participation.poster_path and participation.share_card_path
        for participation in rejected:
            assert participation.error_code == "moderation"
            assert participation.error_detail.startswith("OperationDenied.TextIllegalDetected")
        client = app.test_client()
        for participation in rejected[:3]:
            page = client.get(f"/r/{participation.public_id}").get_data(as_text=True)
            assert "未能通过这些回答的内容审核" in page

        # The chaos happened, and every retry stayed within its bounds.
        retries = [(int(pid), code, int(n), int(most), float(delay))
                   for pid, code, n, most, delay in _RETRY.findall(caplog.text)]
        assert len(retries) >= COUNT * 0.3
        assert {code for _pid, code, _n, _most, _delay in retries} >= {"InternalError", "NetworkError"}
        assert all(n <= most == policy.max_retries for _pid, _code, n, most, _delay in retries)
        assert max(delay for *_rest, delay in retries) <= policy.max_delay
        assert all(p.retries <= policy.max_retries for p in final.values())
        assert sum(p.retries for p in final.values()) == len(retries)

        # Exactly one accepted submission per poster: a retry never paid for a second generation.
        assert fake.submissions["SubmitHunyuanImageJob"] == len(done)
        assert sum(p.provider_submissions for p in final.values()) == fake.calls["SubmitHunyuanImageJob"]
    finally:
        app.extensions["posterbooth.db"].dispose()
        app.extensions["posterbooth.redis"].close()
        timer.redis.close()
        close_context()
