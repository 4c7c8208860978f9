"""End to end: answers through the web, a real rq worker on real Redis, a poster on disk."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from PIL import Image
from sqlalchemy import func, select

from posterbooth.aigc import read_aigc
from posterbooth.models import Participation
from tests.attendee import SPRING, WEEKEND, answer, complete, form_fields
from tests.qr_decode import decode_poster_qr


def _participation(app, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def test_spring_outing_reaches_a_poster(app, client, run_worker, app_env):
    result_path = complete(client, "spring-outing", SPRING)
    public_id = result_path.rsplit("/", 1)[-1]
    participation = _participation(app, public_id)
    assert participation.status == "queued"
    assert participation.outcome == "xihu"
    assert "杭州西湖" in participation.prompt and "几个好朋友结伴同行" in participation.prompt
    waiting = client.get(result_path).get_data(as_text=True)
    assert "AI 正在为你作画" in waiting and "马上轮到你了" in waiting

    run_worker()

    participation = _participation(app, public_id)
    assert participation.status == "done", participation.error_detail
    assert participation.provider == "offline" and participation.provider_model.startswith("posterbooth-offline")
    assert participation.started_at and participation.finished_at
    page = client.get(result_path).get_data(as_text=True)
    assert 'id="poster"' in page
    assert f"/s/{participation.share_token}" in page

    poster_path = Path(app_env["MEDIA_DIR"]) / participation.poster_path
    data = poster_path.read_bytes()
    poster = Image.open(io.BytesIO(data))
    assert poster.format == "JPEG" and poster.size == (1080, 1920)
    qr = app.extensions["posterbooth.campaigns"]["spring-outing"].definition.poster.qr
    url = decode_poster_qr(poster, (qr.x, qr.y, qr.size))
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == "https://event.example.com/c/spring-outing"
    assert parse_qs(parsed.query)["ref"] == [participation.referral_code]
    record = read_aigc(data)
    assert record is not None and record["Label"] in {"1", 1}
    assert record["ProduceID"] == participation.content_id != participation.public_id  # not the private /r/ id
    with client.get(page.split('id="poster" class="poster" src="')[1].split('"')[0]) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"

    share = client.get(f"/s/{participation.share_token}").get_data(as_text=True)
    assert "AI 测测您最适合去哪春游" in share and "我最适合去杭州西湖春游" in share
    assert f"ref={participation.referral_code}" in share


def test_english_campaign_with_text_and_style(app, client, run_worker):
    result_path = complete(client, "dream-weekend", WEEKEND)
    participation = _participation(app, result_path.rsplit("/", 1)[-1])
    assert participation.style == "watercolor" and participation.answers["word"] == "freedom"
    assert "a feeling of freedom" in participation.prompt and "watercolour" in participation.prompt
    assert "night_plan" not in participation.answers  # hidden question is not asked
    run_worker()
    assert _participation(app, participation.public_id).status == "done"
    assert "Long-press the poster" in client.get(result_path).get_data(as_text=True)


def test_conditional_question_is_shown_when_its_answer_matches(client):
    answer(client, "dream-weekend", "place", "city")
    response = answer(client, "dream-weekend", "time", "night")
    assert response.headers["Location"] == "/c/dream-weekend/q/night_plan"


def test_returning_device_comes_back_to_its_poster(app, client, run_worker):
    result_path = complete(client, "spring-outing", SPRING)
    landing = client.get("/c/spring-outing")
    assert landing.status_code == 302 and landing.headers["Location"] == result_path
    run_worker()
    assert client.get("/c/spring-outing").headers["Location"] == result_path
    again = client.get("/c/spring-outing?again=1")
    assert again.status_code == 200 and "开始测试" in again.get_data(as_text=True)


def test_double_tap_on_submit_makes_one_participation(app, client):
    for step, value in SPRING[:-1]:
        answer(client, "spring-outing", step, value)
    page = client.get("/c/spring-outing/q/companion").get_data(as_text=True)
    data = {**form_fields(page), "answer": "solo"}
    first = client.post("/c/spring-outing/q/companion", data=data)
    second = client.post("/c/spring-outing/q/companion", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.extensions["posterbooth.db"].session() as session:
        assert session.scalar(select(func.count(Participation.id))) == 1


def test_share_link_records_the_referrer(app, client, run_worker):
    first = _participation(app, complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1])
    run_worker()
    friend = app.test_client()
    share = friend.get(f"/s/{first.share_token}").get_data(as_text=True)
    try_url = share.split('class="button primary big" href="')[1].split('"')[0].replace("&amp;", "&")
    assert friend.get(try_url).status_code == 200
    second = _participation(app, complete(friend, "spring-outing", SPRING).rsplit("/", 1)[-1])
    assert second.referrer_id == first.id
