"""AI 美照 end to end: the magazine-cover demo through the web, a real rq worker and the poster, offline and
against the fake Tencent Cloud over real HTTP (which downloads the template and the signed photo link)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from posterbooth.models import Participation
from tests.attendee import answer, form_fields
from tests.fakes import FakeTencentCloud
from tests.generation_harness import drive, hunyuan_env
from tests.glam_samples import face_box
from tests.photo_samples import synthetic_portrait
from tests.qr_decode import decode_poster_qr
from tests.test_photo_web import post_photo

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # nothing database-specific

SLUG = "magazine-cover"


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def participation(app: Flask, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def take_part(app: Flask, issue: str = "fashion", seed: int = 1, client: FlaskClient | None = None) -> str:
    """Answer the demo as an attendee (photo, issue, motto, style); return the result page path."""
    client = client or app.test_client()
    assert post_photo(client, SLUG, "selfie", jpeg(synthetic_portrait(seed=seed))).status_code == 302
    answer(client, SLUG, "issue", issue)
    answer(client, SLUG, "motto", "做自己的主角")
    response = answer(client, SLUG, "style", "radiant")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def media(app: Flask, relative: str) -> Path:
    return Path(app.config["MEDIA_DIR"]) / relative


def check_poster(app: Flask, p: Participation) -> None:
    """The poster is made and its QR code reads back as the campaign's link with the attendee's referral code."""
    qr = app.extensions["posterbooth.campaigns"][SLUG].definition.poster.qr
    with Image.open(media(app, p.poster_path)) as poster:
        url = urlparse(decode_poster_qr(poster.copy(), (qr.x, qr.y, qr.size)))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"https://event.example.com/c/{SLUG}"
    assert url.query == f"ref={p.referral_code}"


def test_offline_puts_the_attendee_on_the_cover_and_deleting_the_photo_deletes_it(app, run_worker) -> None:
    client = app.test_client()
    result = take_part(app, "travel", client=client)
    run_worker()
    p = participation(app, result.rsplit("/", 1)[-1])
    assert p.status == "done", p.error_detail
    assert p.provider_model == "posterbooth-offline-1/glam"
    template = app.extensions["posterbooth.campaigns"][SLUG].folder / "templates" / "travel.jpg"
    with Image.open(media(app, p.image_path)) as image, Image.open(template) as original:
        assert image.size == original.size == (720, 960)
        changed = np.abs(np.asarray(image.convert("RGB"), np.int16) - np.asarray(original.convert("RGB"), np.int16))
    x, y, w, h = face_box((720, 960))
    assert changed[y:y + h, x:x + w].mean() > 4 * changed.mean()  # the face box is where the picture changed
    check_poster(app, p)
    # The cover shows the attendee: deleting the photo deletes it, the poster and the share card too.
    page = client.get(result).get_data(as_text=True)
    response = client.post(f"/r/{p.public_id}/photo/delete", data={"csrf_token": form_fields(page)["csrf_token"]})
    assert response.status_code == 303
    after = participation(app, p.public_id)
    assert after.hidden and after.inputs == {} and after.poster_path == after.image_path == ""
    assert not any(media(app, r).exists() for r in (p.image_path, p.poster_path, p.share_card_path))


def test_template_route_serves_only_the_templates(app) -> None:
    client = app.test_client()
    with client.get(f"/c/{SLUG}/glam/templates/arts.jpg?v=1") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
    for other in ("campaign.yaml", "cover.jpg", "templates/../campaign.yaml", "templates/none.jpg"):
        assert client.get(f"/c/{SLUG}/glam/{other}").status_code == 404, other
    assert client.get("/c/anime-self/glam/cover.jpg").status_code == 404


@pytest.fixture
def hunyuan_app(app_env, monkeypatch) -> Iterator[tuple[Flask, FakeTencentCloud, str]]:
    """The app with Hunyuan pointed at the fake, served on a loopback port the fake downloads from."""
    from posterbooth import create_app
    from workers.context import close_context

    with FakeTencentCloud(latency=0.3) as fake:
        for key, value in hunyuan_env(fake.url).items():
            monkeypatch.setenv(key, value)
        application = create_app({"TESTING": True})
        server = make_server("127.0.0.1", 0, application, threaded=True)
        live = f"http://127.0.0.1:{server.server_port}"
        monkeypatch.setenv("INPUT_URL_BASE", live)  # read by the worker, where the request is built
        close_context()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield application, fake, live
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
            application.extensions["posterbooth.db"].dispose()
            close_context()


def run_until_final(app: Flask, public_id: str) -> Participation:
    from posterbooth.config import load_settings
    from posterbooth.generation.clock import Clock
    from posterbooth.generation.keys import usual_key

    # As if jobs ran before: the first poll comes after the fake's job time, not a cold guess.
    app.extensions["posterbooth.redis"].hset(usual_key("hunyuan"), mapping={"time": 0.3, "step": 0.02})
    timer = Clock(load_settings(), lambda: {"hunyuan"})
    try:
        drive(app.extensions["posterbooth.queue"], timer.tick,
              lambda: participation(app, public_id).status in ("done", "failed", "rejected"), timeout=60)
    finally:
        timer.redis.close()
    return participation(app, public_id)


def test_hunyuan_gets_the_template_and_the_signed_photo_link(hunyuan_app) -> None:
    app, fake, live = hunyuan_app
    result = take_part(app, "arts", seed=2)
    p = run_until_final(app, result.rsplit("/", 1)[-1])
    assert p.status == "done", p.error_detail
    assert (p.provider, p.provider_model) == ("hunyuan", "SubmitGlamPicJob")
    [call] = fake.calls_of("SubmitGlamPicJob")
    assert call.params["TemplateUrl"].startswith(f"{live}/c/{SLUG}/glam/templates/arts.jpg?v=")
    [face] = call.params["FaceInfos"]
    assert face["ImageUrls"][0].startswith(f"{live}/u/") and face["ImageUrls"][0].endswith("/photo.jpg")
    x, y, w, h = face_box((720, 960))
    assert face["TemplateFaceRect"] == {"X": x, "Y": y, "Width": w, "Height": h}
    # The campaign's settings, with the chosen style's: one picture, beautiful, similarity 0.7, no service mark.
    assert {k: call.params[k] for k in ("Num", "Style", "Similarity", "LogoAdd")} == {
        "Num": 1, "Style": ["beautiful"], "Similarity": 0.7, "LogoAdd": 0}
    # The fake fetched both from the app over HTTP: the 720×960 template and the stored (cleaned) photo.
    [template, photo] = fake.inputs["SubmitGlamPicJob"]
    assert template == ("TemplateUrl", 720, 960, "JPEG") and photo[0] == "FaceInfos.ImageUrls"
    with Image.open(media(app, p.image_path)) as picture:
        assert picture.width * 4 == picture.height * 3
    check_poster(app, p)


def test_a_face_the_service_cannot_use_asks_for_a_clearer_photo(hunyuan_app) -> None:
    app, fake, _live = hunyuan_app
    fake.fail_job_next("FailedOperation.InnerError", "人脸检测失败：检测到多张人脸")
    result = take_part(app, "fashion", seed=3)
    p = run_until_final(app, result.rsplit("/", 1)[-1])
    assert (p.status, p.error_code) == ("rejected", "photo_face")
    page = app.test_client().get(result).get_data(as_text=True)
    assert "请重新拍一张只有你自己" in page
