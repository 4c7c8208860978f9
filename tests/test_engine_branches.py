"""The generation step's rarer branches, through the real job function and a real rq worker.

A participation that no longer exists, a campaign the workers no longer load, an unexpected failure inside
a step, and a step that resumes at the poster because the image is already stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job
from sqlalchemy import select, update

from posterbooth.generation.queue import enqueue_generation, job_id_for
from posterbooth.models import Participation
from posterbooth.providers.offline import OfflineProvider
from tests.attendee import SPRING, complete

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _work(app) -> None:
    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="CRITICAL")


def _row(app, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def _set(app, participation_id: int, **values: object) -> None:
    with app.extensions["posterbooth.db"].session() as session:
        session.execute(update(Participation).where(Participation.id == participation_id).values(**values))
        session.commit()


def _submitted(app, client) -> Participation:
    return _row(app, complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1])


def test_a_participation_that_no_longer_exists_is_dropped(app) -> None:
    queue = app.extensions["posterbooth.queue"]
    job_id = enqueue_generation(queue, 987654)
    _work(app)
    job = Job.fetch(job_id, connection=queue.connection)
    assert job.get_status() == "finished" and job.return_value() == "missing"
    assert queue.count == 0 and job_id == job_id_for(987654)


def test_a_campaign_the_workers_no_longer_load_fails_the_participation(app, client) -> None:
    row = _submitted(app, client)
    _set(app, row.id, campaign="removed-campaign")
    _work(app)
    row = _row(app, row.public_id)
    assert (row.status, row.error_code) == ("failed", "campaign_gone")
    assert "removed-campaign" in row.error_detail and row.finished_at is not None


def test_an_unexpected_error_in_a_step_is_recorded_not_lost(app, client, monkeypatch) -> None:
    def broken(self, request):  # noqa: ANN001, ANN202 - stands in for OfflineProvider.start
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(OfflineProvider, "start", broken)
    row = _submitted(app, client)
    _work(app)
    row = _row(app, row.public_id)
    assert (row.status, row.error_code) == ("failed", "internal")
    assert row.error_detail == "RuntimeError: renderer exploded"
    assert app.extensions["posterbooth.queue"].count == 0  # not retried forever


def test_a_step_with_a_stored_image_resumes_at_the_poster(app, client, app_env, monkeypatch) -> None:
    row = _submitted(app, client)
    _work(app)
    done = _row(app, row.public_id)
    assert done.status == "done" and done.image_path and done.poster_path
    first_poster = Path(app_env["MEDIA_DIR"]) / done.poster_path
    first_poster.unlink()
    # The worker died after storing the image, before the poster: the provider must not be asked again.
    _set(app, row.id, status="generating", poster_path="", share_card_path="", finished_at=None)

    def never(self, request):  # noqa: ANN001, ANN202
        raise AssertionError("the image is stored: the provider must not be called")

    monkeypatch.setattr(OfflineProvider, "start", never)
    enqueue_generation(app.extensions["posterbooth.queue"], row.id)
    _work(app)
    again = _row(app, row.public_id)
    assert again.status == "done", (again.error_code, again.error_detail)
    assert again.image_path == done.image_path and again.poster_path and again.poster_path != done.poster_path
    assert (Path(app_env["MEDIA_DIR"]) / again.poster_path).is_file()
