""""Change it" edits: instructions checked like answers, the cap, versions made in the queue (offline and against
the fake Tencent Cloud's chat actions over real HTTP), choosing an earlier version, and the share page, thumbnail
and wall showing the chosen one; every version's files deleted or taken down with the poster."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from posterbooth.campaigns import CampaignError, load_campaign
from posterbooth.models import Charge, Participation, PosterVersion
from posterbooth.versions import versions
from tests.attendee import complete, demo_with, form_fields
from tests.fakes.tencent_chat import ChatTurn
from tests.fakes.tencent_server import FakeTencentCloud
from tests.generation_harness import drive, hunyuan_env
from tests.qr_decode import decode_poster_qr

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SLUG = "wish-postcard"
WISH = [("place", "lake"), ("company", "alone"), ("wish", "自在")]


def participation(app: Flask, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()

def _daylight(app: Flask, public_id: str) -> None:
    """Give the participation a seed whose first picture is painted in daylight (the seed chooses the light
    when the prompt does not), so that "sunset" and "night" must visibly change it."""
    from posterbooth.providers.painter.compose import fill_defaults
    from posterbooth.providers.painter.keywords import read_prompt
    from posterbooth.providers.painter.render import _rng

    with app.extensions["posterbooth.db"].session() as session:
        found = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
        found.seed = next(seed for seed in range(1, 500)
                          if fill_defaults(read_prompt(found.prompt), _rng("scene", seed, found.prompt)).time == "day")
        session.commit()


def ask(client: FlaskClient, public_id: str, instruction: str, fields: dict[str, str] | None = None) -> Any:
    """Post an instruction from the result page, like the form does (or with an earlier page's fields)."""
    if fields is None:
        fields = form_fields(client.get(f"/r/{public_id}").get_data(as_text=True))
    return client.post(f"/r/{public_id}/edit", data={**fields, "instruction": instruction})


def pick(client: FlaskClient, public_id: str, number: int) -> Any:
    page = client.get(f"/r/{public_id}")
    return client.post(f"/r/{public_id}/v/{number}", data=form_fields(page.get_data(as_text=True)))


def pixels(app: Flask, relative: str) -> np.ndarray:
    with Image.open(Path(app.config["MEDIA_DIR"]) / relative) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def check_qr(app: Flask, poster_path: str) -> None:
    qr = app.extensions["posterbooth.campaigns"][SLUG].definition.poster.qr
    with Image.open(Path(app.config["MEDIA_DIR"]) / poster_path) as opened:
        url = decode_poster_qr(opened.copy(), (qr.x, qr.y, qr.size))
    assert url.startswith(f"https://event.example.com/c/{SLUG}?ref=")


# --- campaign checks and request shapes --------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("action: SubmitHunyuanImageChatJob", "action: SubmitHunyuanImageJob", "must be SubmitHunyuanImageChatJob"),
    ("  width: 1024\n", "  refine: true\n  width: 1024\n", "not offered with edits"),
    ("edits: 3", "edits: 100", "less than or equal to 99"),
])
def test_edits_need_a_chat_campaign(tmp_path: Path, old: str, new: str, problem: str) -> None:
    with pytest.raises(CampaignError, match=problem):
        load_campaign(demo_with(tmp_path, SLUG, old, new))


def test_an_edit_continues_the_turn_with_the_instruction_only() -> None:
    from posterbooth.providers.base import GenerationRequest
    from posterbooth.providers.hunyuan_actions import ACTIONS
    from posterbooth.providers.hunyuan_params import build_params
    from posterbooth.providers.hunyuan_settings import parse_settings

    settings = parse_settings({"action": "SubmitHunyuanImageChatJob", "logo_add": 0}, "SubmitHunyuanImageJob")
    spec = ACTIONS[settings.action]
    first = build_params(spec, settings, GenerationRequest(prompt="湖" * 1200, negative_prompt="文字", seed=7))
    assert first == {"Prompt": "湖" * 1024, "LogoAdd": 0}  # no ChatId, negative prompt, style or resolution
    edit = build_params(spec, settings, GenerationRequest(prompt="改成日落", chat_id="c1", history=("湖",)))
    assert edit == {"Prompt": "改成日落", "LogoAdd": 0, "ChatId": "c1"}


def test_the_fake_keeps_conversations_as_documented() -> None:
    from posterbooth.providers.base import ProviderError
    from tests.hunyuan_support import client_for

    with FakeTencentCloud(latency=0.0) as fake:
        client = client_for(fake)
        with pytest.raises(ProviderError, match="ChatId"):
            client.call("SubmitHunyuanImageChatJob", {"Prompt": "雪", "ChatId": "nobody"})
        with pytest.raises(ProviderError, match="UnknownParameter"):
            client.call("SubmitHunyuanImageChatJob", {"Prompt": "雪", "Image": "x"})  # text only
        chat_id = ""
        for turn in range(3):
            params = {"Prompt": f"turn {turn}", **({"ChatId": chat_id} if chat_id else {})}
            job = client.call("SubmitHunyuanImageChatJob", params)["JobId"]
            answer = client.call("QueryHunyuanImageChatJob", {"JobId": job})
            assert answer["JobStatusCode"] == "5" and answer["ResultImage"][0].startswith(fake.url)
            assert [h["Prompt"] for h in answer["History"]] == [f"turn {n}" for n in range(turn)]
            chat_id = answer["ChatId"]
        state = fake._chat()
        group = state["turns"][chat_id].group
        for n in range(97):  # as if the conversation had gone on to its 100th turn
            state["turns"][f"earlier-{n}"] = ChatTurn(f"earlier-{n}", "", group, "…", 1, done=True)
        with pytest.raises(ProviderError, match="100 turns"):
            client.call("SubmitHunyuanImageChatJob", {"Prompt": "one more", "ChatId": chat_id})
        client.close()


# --- offline, through a real rq worker ------------------------------------------------------------------------


@SQLITE_ONLY
def test_three_edits_a_blocked_word_the_cap_and_choosing_an_earlier_version(app: Flask, client: FlaskClient,
                                                                            run_worker: Any) -> None:
    public_id = complete(client, SLUG, WISH).rsplit("/", 1)[-1]
    _daylight(app, public_id)
    run_worker()
    first = participation(app, public_id)
    assert first.status == "done" and first.chosen_version == 1
    page = client.get(f"/r/{public_id}").get_data(as_text=True)
    assert "再试一次：想改点什么？" in page and "还可以修改 3 次" in page

    blocked = ask(client, public_id, "加点暴力")
    assert blocked.status_code == 422 and "换个说法" in blocked.get_data(as_text=True)
    assert "加点暴力" in blocked.get_data(as_text=True)  # what was typed is kept
    assert versions(app.extensions["posterbooth.db"], first.id) == []
    assert ask(client, public_id, "x" * 61).status_code == 422

    for number, instruction in enumerate(("改成日落", "下雪", "夜晚"), start=2):
        fields = form_fields(client.get(f"/r/{public_id}").get_data(as_text=True))
        response = ask(client, public_id, instruction, fields)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        waiting = client.get(f"/r/{public_id}")
        assert "正在修改" in waiting.get_data(as_text=True)
        assert client.get(f"/r/{public_id}/status.json").get_json()["status"] == "queued"
        busy = ask(client, public_id, "再来", fields)  # the form of the page before: one edit at a time
        assert busy.status_code == 409 and "还在进行中" in busy.get_data(as_text=True)
        run_worker()
        assert client.get(f"/r/{public_id}/status.json").get_json()["status"] == "done"
        now = participation(app, public_id)
        assert now.chosen_version == number and now.status == "done"

    found = versions(app.extensions["posterbooth.db"], first.id)
    assert [(v.number, v.parent, v.status, v.instruction) for v in found] == [
        (1, 0, "done", ""), (2, 1, "done", "改成日落"), (3, 2, "done", "下雪"), (4, 3, "done", "夜晚")]
    assert found[0].poster_path == first.poster_path
    assert len({v.poster_path for v in found}) == 4
    sunset, night = pixels(app, found[1].image_path), pixels(app, found[3].image_path)
    day = pixels(app, found[0].image_path)
    assert sunset[..., 0].mean() - sunset[..., 2].mean() > day[..., 0].mean() - day[..., 2].mean() + 10  # warmer
    assert night.mean() < day.mean() - 40  # darker
    check_qr(app, found[3].poster_path)

    used_up = ask(client, public_id, "加一座塔")
    assert used_up.status_code == 409 and "修改次数已经用完" in used_up.get_data(as_text=True)
    with app.extensions["posterbooth.db"].session() as session:
        assert sorted(session.scalars(select(Charge.action).where(Charge.participation_id == first.id))) == [
            "edit", "edit", "edit", "text_to_image"]

    assert pick(client, public_id, 2).status_code == 303
    chosen = participation(app, public_id)
    assert chosen.chosen_version == 2 and chosen.poster_path == found[1].poster_path
    share = client.get(f"/s/{chosen.share_token}").get_data(as_text=True)
    assert found[1].poster_path in share and found[3].poster_path not in share
    assert f"/s/{chosen.share_token}/thumb.jpg?v=2" in share
    thumb = client.get(f"/s/{chosen.share_token}/thumb.jpg?v=2")
    assert thumb.status_code == 200
    thumb.close()
    assert [p.stem for p in (Path(app.config["MEDIA_DIR"]) / "cards").rglob("*-thumb.jpg")] == [
        Path(found[1].share_card_path).stem + "-thumb"]  # drawn from the chosen version's card
    assert found[1].poster_path in client.get(f"/r/{public_id}").get_data(as_text=True)
    from posterbooth.wall import wall_key

    feed = client.get(f"/wall/{SLUG}/feed.json?key={wall_key(app.config['SECRET_KEY'], SLUG)}").get_json()
    assert [p["src"].split("?")[1].split("&")[0] for p in feed["posters"]] == [
        f"v={Path(found[1].poster_path).name[:8]}"]  # the wall's image URL follows the chosen version
    wall_image = client.get(feed["posters"][0]["src"])
    assert wall_image.status_code == 200 and wall_image.mimetype == "image/jpeg"

    stranger = app.test_client()
    assert stranger.post(f"/r/{public_id}/v/4", data={"csrf_token": "x"}).status_code in (400, 403)
    assert pick(client, public_id, 9).status_code == 404


@SQLITE_ONLY
def test_every_version_goes_with_the_poster(app: Flask, client: FlaskClient, run_worker: Any) -> None:
    from posterbooth.console.takedown import hide, restore
    from posterbooth.retention import purge_expired

    public_id = complete(client, SLUG, WISH).rsplit("/", 1)[-1]
    run_worker()
    assert ask(client, public_id, "日落").status_code == 303
    run_worker()
    db, media = app.extensions["posterbooth.db"], Path(app.config["MEDIA_DIR"])
    p = participation(app, public_id)
    old = versions(db, p.id)[0].poster_path

    def served(relative: str) -> int:
        response = client.get(f"/media/{relative}")
        response.close()
        return response.status_code

    assert served(old) == 200
    hide(db, media, p.share_token)
    assert served(old) == 404  # an earlier version is taken down too
    restore(db, media, p.share_token)
    assert served(old) == 200

    from dataclasses import replace
    from datetime import timedelta

    from posterbooth.models import utcnow
    from posterbooth.storage import MediaStore

    shipped = app.extensions["posterbooth.campaigns"][SLUG]
    privacy = shipped.definition.privacy.model_copy(update={"poster_retention_days": 1})
    kept_a_day = replace(shipped, definition=shipped.definition.model_copy(update={"privacy": privacy}))
    purge_expired(db, MediaStore(media), {SLUG: kept_a_day}, now=utcnow() + timedelta(days=2))
    files = [f for f in media.rglob("*") if f.is_file() and f.parts[-3] in ("images", "posters", "cards")]
    assert files == []
    with db.session() as session:
        assert all(not v.poster_path for v in session.scalars(select(PosterVersion)))


# --- Hunyuan's chat jobs, against the fake over real HTTP ------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    with FakeTencentCloud(latency=0.3) as server:
        yield server


@SQLITE_ONLY
def test_edits_continue_the_hunyuan_conversation(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                 fake: FakeTencentCloud) -> None:
    from posterbooth import create_app
    from posterbooth.config import load_settings
    from posterbooth.generation.clock import Clock
    from workers.context import close_context

    for key, value in hunyuan_env(fake.url, PROVIDER_RETRY_DELAY="0.05").items():
        monkeypatch.setenv(key, value)
    close_context()
    app = create_app({"TESTING": True})
    client = app.test_client()
    queue, timer = app.extensions["posterbooth.queue"], Clock(load_settings(), lambda: {"hunyuan"})
    try:
        public_id = complete(client, SLUG, WISH).rsplit("/", 1)[-1]

        def settled() -> bool:
            p = participation(app, public_id)
            return p.status in ("done", "failed") and not any(
                v.status in ("queued", "running") for v in versions(app.extensions["posterbooth.db"], p.id))

        drive(queue, timer.tick, settled)
        first = participation(app, public_id)
        assert first.status == "done", first.error_detail
        assert first.provider_model == "SubmitHunyuanImageChatJob" and first.chat_id

        for instruction in ("改成日落", "下雪"):
            assert ask(client, public_id, instruction).status_code == 303
            drive(queue, timer.tick, settled)
        fake.fail_job_next("OperationDenied.ImageIllegalDetected", "内容审核未通过")
        assert ask(client, public_id, "夜晚").status_code == 303
        drive(queue, timer.tick, settled)

        turns = fake.chat_turns
        assert [(t.prompt[:4], t.parent) for t in turns[1:]] == [("改成日落", turns[0].chat_id),
                                                                 ("下雪", turns[1].chat_id)]
        calls = fake.calls_of("SubmitHunyuanImageChatJob")
        assert "ChatId" not in calls[0].params and set(calls[0].params) == {"Prompt"}
        assert calls[3].params == {"Prompt": "夜晚", "ChatId": turns[2].chat_id}
        last = participation(app, public_id)
        found = versions(app.extensions["posterbooth.db"], last.id)
        assert [v.status for v in found] == ["done", "done", "done", "rejected"]
        assert last.chosen_version == 3 and last.chat_id == turns[2].chat_id
        page = client.get(f"/r/{public_id}").get_data(as_text=True)
        assert "换个说法" in page and "还可以修改 1 次" in page  # refused: not counted against the cap
        check_qr(app, last.poster_path)

        assert pick(client, public_id, 2).status_code == 303  # back to the sunset, and on from there
        assert participation(app, public_id).chat_id == turns[1].chat_id
        assert ask(client, public_id, "加一座塔").status_code == 303
        drive(queue, timer.tick, settled)
        assert fake.calls_of("SubmitHunyuanImageChatJob")[-1].params["ChatId"] == turns[1].chat_id
        final = participation(app, public_id)
        assert final.chosen_version == 5 and final.provider_submissions == 5
        assert re.search(r"修改次数已经用完", client.get(f"/r/{public_id}").get_data(as_text=True))
    finally:
        app.extensions["posterbooth.db"].dispose()
        timer.redis.close()
        close_context()


@SQLITE_ONLY
def test_the_sweep_gives_a_lost_edit_a_new_job(app: Flask, run_worker: Any) -> None:
    from datetime import timedelta

    from posterbooth.generation.sweep import requeue_orphans
    from posterbooth.versions import request_edit
    from tests.generation_harness import add_participations

    db, loaded = app.extensions["posterbooth.db"], app.extensions["posterbooth.campaigns"][SLUG]
    [pid] = add_participations(db, loaded, 1, provider="offline", answers=dict(WISH))
    with db.session() as session:
        session.get(Participation, pid).status = "done"
    request_edit(db, loaded.definition, pid, "下雪")  # recorded, but its job was lost (never enqueued)
    queue = app.extensions["posterbooth.queue"]
    assert requeue_orphans(db, queue, older_than=timedelta(0)) == 1
    run_worker()
    assert [(v.number, v.status) for v in versions(db, pid)] == [(1, "done"), (2, "done")]
    assert requeue_orphans(db, queue, older_than=timedelta(0)) == 0
