"""The retention job: expired photos and posters go, everything else stays, and the database says so."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from posterbooth.campaigns import load_all
from posterbooth.db import Database
from posterbooth.generation.clock import PURGE_JOB_ID, Clock
from posterbooth.generation.keys import RETENTION_LOCK
from posterbooth.migrate import upgrade
from posterbooth.models import Participation, utcnow
from posterbooth.retention import purge_expired
from posterbooth.storage import MediaStore
from tests.conftest import CAMPAIGNS
from tests.test_photo_web import LAB


@pytest.fixture
def world(tmp_path: Path, database_url: str):
    """A database, a media store and campaigns: the demos, the photo lab and an instant-delete lab."""
    root = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS, root)
    for slug, extra in (("photo-lab", ""), ("instant-lab", "privacy: {photo_retention_days: 0}\n")):
        (root / slug).mkdir()
        text = LAB.replace("photo-lab", slug) + extra
        if slug == "instant-lab":  # a poster that does not show the photo: it may go at once
            text = text.replace("kind: meme", "kind: sketch_to_image")
        (root / slug / "campaign.yaml").write_text(text, encoding="utf-8")
    upgrade(database_url)
    db = Database(database_url)
    yield db, MediaStore(tmp_path / "media"), load_all(root)
    db.dispose()


def add(db: Database, media: MediaStore, campaign: str, age: timedelta, status: str = "done", photos: int = 1,
        poster: bool = False) -> int:
    """Record a participation of this age, with stored photo(s) and optionally its poster files."""
    inputs = {("photo", "garment")[i]: media.save("uploads", b"\xff\xd8\xffphoto", "jpg") for i in range(photos)}
    paths = {}
    if poster:
        paths = {"image_path": media.save("images", b"img", "png"), "poster_path": media.save("posters", b"p", "jpg"),
                 "share_card_path": media.save("cards", b"c", "jpg")}
        card = media.path(paths["share_card_path"])
        card.with_name(card.stem + "-thumb.jpg").write_bytes(b"thumb")
    created = utcnow() - age
    for relative in [*inputs.values(), *paths.values()]:
        os.utime(media.path(relative), (created.timestamp(), created.timestamp()))
    with db.session() as session:
        participation = Participation(
            submission_key=f"k{time.monotonic_ns()}", campaign=campaign, device_id="d", answers={}, outcome="one",
            prompt="p", seed=1, provider="offline", status=status, inputs=inputs, created_at=created, **paths,
        )
        session.add(participation)
        session.flush()
        return participation.id


def row(db: Database, participation_id: int) -> Participation:
    with db.session() as session:
        return session.get(Participation, participation_id)


def files(media: MediaStore, kind: str) -> set[str]:
    root = media.root / kind
    return {p.relative_to(media.root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_purge_deletes_what_expired_and_keeps_the_rest(world) -> None:
    db, media, campaigns = world
    day = timedelta(days=1)
    expired = add(db, media, "concert-restyle", 8 * day)
    fresh = add(db, media, "concert-restyle", 6 * day)
    running = add(db, media, "concert-restyle", 8 * day, status="running")
    gone_campaign = add(db, media, "no-longer-loaded", 8 * day, status="failed", photos=2)
    instant_done = add(db, media, "instant-lab", timedelta(minutes=1))
    instant_queued = add(db, media, "instant-lab", timedelta(minutes=1), status="queued")
    old_poster = add(db, media, "concert-restyle", 91 * day, poster=True)
    young_poster = add(db, media, "concert-restyle", 89 * day, poster=True)
    kept_forever = add(db, media, "photo-lab", 400 * day, poster=True)  # no poster retention set
    abandoned = media.save("uploads", b"draft", "jpg")
    recent_draft = media.save("uploads", b"draft", "jpg")
    stale = time.time() - 25 * 3600
    os.utime(media.path(abandoned), (stale, stale))
    kept_inputs = {r: dict(row(db, r).inputs) for r in (fresh, running, instant_queued)}

    report = purge_expired(db, media, campaigns)

    # expired, gone_campaign (2 files), instant_done, and the photos of the three posters older than 7 days:
    # those posters show the photo (concert-restyle's poster.photo, photo-lab's meme), so their picture, poster
    # and share card go with it (3 files each), before any poster retention.
    assert (report.photos, report.photo_files) == (6, 7 + 3 * 3)
    assert report.posters == 3 and report.poster_files == 0 and report.draft_files == 1
    for deleted in (expired, gone_campaign, instant_done, old_poster, young_poster, kept_forever):
        participation = row(db, deleted)
        assert participation.inputs == {} and participation.inputs_deleted_at is not None, deleted
    remaining = files(media, "uploads")
    for kept, inputs in kept_inputs.items():
        assert row(db, kept).inputs == inputs and row(db, kept).inputs_deleted_at is None
        assert set(inputs.values()) <= remaining
    assert remaining == {p for inputs in kept_inputs.values() for p in inputs.values()} | {recent_draft}

    for purged_id in (old_poster, young_poster, kept_forever):
        purged = row(db, purged_id)
        assert purged.hidden and purged.poster_deleted_at is not None
        assert (purged.image_path, purged.poster_path, purged.share_card_path) == ("", "", "")
    assert files(media, "images") == files(media, "posters") == files(media, "cards") == set()

    again = purge_expired(db, media, campaigns)
    assert (again.photos, again.posters, again.draft_files) == (0, 0, 0)


def test_poster_files_and_thumbnail_are_deleted(world) -> None:
    db, media, campaigns = world
    old = add(db, media, "concert-restyle", timedelta(days=120), poster=True)
    card = media.path(row(db, old).share_card_path)
    thumb = card.with_name(card.stem + "-thumb.jpg")
    assert thumb.exists()
    purge_expired(db, media, campaigns)
    assert not card.exists() and not thumb.exists()
    assert files(media, "images") == files(media, "posters") == files(media, "cards") == set()


def test_a_later_time_purges_more(world) -> None:
    db, media, campaigns = world
    fresh = add(db, media, "photo-lab", timedelta(days=1))
    assert purge_expired(db, media, campaigns).photos == 0
    assert purge_expired(db, media, campaigns, now=utcnow() + timedelta(days=7)).photos == 1
    assert row(db, fresh).inputs == {} and files(media, "uploads") == set()


def test_the_clock_enqueues_the_purge_once_an_hour_for_the_whole_cluster(app, redis_conn, run_worker) -> None:
    queue = app.extensions["posterbooth.queue"]
    clocks = [Clock(app.config["SETTINGS"]), Clock(app.config["SETTINGS"])]  # two workers' clocks
    for clock in clocks:
        clock.tick()  # just started: no purge in the start-up rush
    assert not [job for job in queue.get_jobs() if job.func_name == "workers.jobs.purge"]
    started = time.monotonic()
    for clock in clocks:
        clock.tick(now=started + 61)
    purges = [job for job in queue.get_jobs() if job.func_name == "workers.jobs.purge"]
    assert [job.id for job in purges] == [PURGE_JOB_ID]
    run_worker()
    assert queue.fetch_job(PURGE_JOB_ID) is None or queue.fetch_job(PURGE_JOB_ID).get_status() == "finished"
    for clock in clocks:
        clock.tick(now=started + 1800)  # later, but within the hour: no second purge
        clock.redis.close()
    assert not [job for job in queue.get_jobs() if job.func_name == "workers.jobs.purge"]
    assert 3500 < redis_conn.ttl(RETENTION_LOCK) <= 3600


def test_cli_purge(app, tmp_path) -> None:
    from posterbooth.extensions import get_db

    media = MediaStore(Path(app.config["MEDIA_DIR"]))
    with app.app_context():
        old = add(get_db(), media, "concert-restyle", timedelta(days=10))
    result = app.test_cli_runner().invoke(args=["media", "purge"])
    assert result.exit_code == 0, result.output
    assert "photos of 1 participations (1 files)" in result.output
    with app.app_context(), get_db().session() as session:
        assert session.scalars(select(Participation.inputs).where(Participation.id == old)).one() == {}


def test_poster_retention_deletes_posters_that_do_not_show_the_photo(world) -> None:
    db, media, campaigns = world
    old = add(db, media, "spring-outing", timedelta(days=400), photos=0, poster=True)
    young = add(db, media, "instant-lab", timedelta(days=400), photos=0, poster=True)
    purge_expired(db, media, campaigns)
    assert not row(db, old).hidden  # spring-outing keeps posters (no poster retention)
    assert media.path(row(db, young).poster_path) is not None  # a sketch picture does not show the photo


def test_answers_and_prompts_are_emptied_after_their_retention(world, tmp_path) -> None:
    db, media, campaigns = world
    spring = campaigns["spring-outing"]
    privacy = spring.definition.privacy.model_copy(update={"answers_retention_days": 30})
    definition = spring.definition.model_copy(update={"privacy": privacy})
    campaigns = {**campaigns, "spring-outing": dataclasses.replace(spring, definition=definition)}
    old = add(db, media, "spring-outing", timedelta(days=31), photos=0)
    young = add(db, media, "spring-outing", timedelta(days=29), photos=0)
    with db.session() as session:
        for pid in (old, young):
            session.get(Participation, pid).answers = {"scenery": "lake"}
    report = purge_expired(db, media, campaigns)
    assert report.answers == 1
    assert (row(db, old).answers, row(db, old).prompt) == ({}, "")
    assert (row(db, young).answers, row(db, young).prompt) == ({"scenery": "lake"}, "p")
    assert purge_expired(db, media, campaigns).answers == 0
