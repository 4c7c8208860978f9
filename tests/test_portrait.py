"""AI 写真 (generation kind portrait): campaign checks, the three actions' request shapes against the fake Tencent
Cloud over real HTTP, face refusals, the demo end to end (offline, and Hunyuan through the fake with the photo
fetched from its signed link), and a worker crash between the steps that pays for no second upload or draw."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from posterbooth.campaigns import CampaignError, load_campaign
from posterbooth.models import Charge, Participation
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError, RemoteJobFailed
from posterbooth.providers.hunyuan import HunyuanProvider
from posterbooth.providers.hunyuan_portrait import DRAW_ACTION, QUERY_ACTION, UPLOAD_ACTION, UPLOAD_STEP, model_id
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient
from tests.attendee import answer, demo_with
from tests.conftest import CAMPAIGNS
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.photo_samples import synthetic_portrait
from tests.qr_decode import decode_poster_qr
from tests.test_photo_web import post_photo

SLUG = "new-year-portrait"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=88)
    return out.getvalue()


# --- campaign checks -------------------------------------------------------------------------------------


def test_the_demo_maps_each_style_to_a_documented_style_id() -> None:
    from posterbooth.providers.hunyuan_settings import parse_settings

    demo = load_campaign(CAMPAIGNS / SLUG).definition
    ids = [parse_settings({**demo.generation.hunyuan, **s.settings["hunyuan"]}, "", "portrait").style
           for s in demo.styles]
    assert ids == ["hanfu_female", "dunhuang_female", "newyear1_female", "zhengjian_female", "zhengjian_male"]
    assert demo.shows_photo  # the portrait is the attendee's likeness: deleted with the photo


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("hunyuan: {style: dunhuang_female}", "hunyuan: {style: dunhuang}", "styles[1].settings.hunyuan",
     "not a SubmitDrawPortraitJob style"),
    ("settings: {hunyuan: {style: hanfu_female}}", "settings: {}", "styles[0].settings", "needs an AI 写真 StyleId"),
    ("    definition: hdpro", "    definition: 4k", "generation.hunyuan.definition", "sd"),
    ("  kind: portrait", "  kind: portrait\n  provider: openai", "generation.openai", "not portrait"),
])
def test_a_bad_portrait_setting_names_its_field_and_line(tmp_path: Path, old: str, new: str, field: str,
                                                         words: str) -> None:
    with pytest.raises(CampaignError) as info:
        load_campaign(demo_with(tmp_path, SLUG, old, new))
    assert info.value.field == field and words in info.value.message and info.value.line, info.value


def test_model_ids_are_documented_characters_and_unique() -> None:
    ids = {model_id(7, "a-b_c"), model_id(7, "other"), model_id(8, "a-b_c")}
    assert len(ids) == 3 and all(i.replace("_", "").isalnum() and i.isascii() for i in ids)


# --- the three actions against the fake, over real HTTP ---------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    with FakeTencentCloud(latency=10.0, queue_time=2.0) as server:
        yield server


@pytest.fixture
def provider(fake: FakeTencentCloud) -> Iterator[HunyuanProvider]:
    def client(service: str, version: str) -> TencentCloudClient:
        return TencentCloudClient(service, version, fake.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)

    p = HunyuanProvider(client("hunyuan", "2023-09-01"), fetch=ResultFetcher(override_origin=fake.url),
                        aiart_client=client("aiart", "2022-12-29"))
    yield p
    p.close()


@pytest.fixture
def photo_url() -> Iterator[str]:
    """Serve one portrait photo on a loopback port, as the signed link would."""
    body = jpeg(synthetic_portrait(seed=5))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/u/token/photo.jpg"
    server.shutdown()
    server.server_close()
    thread.join(5)


def portrait_request(url: str, **settings: object) -> GenerationRequest:
    return GenerationRequest(prompt="汉服写真", kind="portrait", inputs={"photo": b"unused"}, input_urls={"photo": url},
                             subject="pb_12_0123456789ab", reference="12",
                             settings={"style": "hanfu_female", "definition": "hdpro", "logo_add": 0, **settings})


def test_upload_draw_and_query_send_the_documented_fields(provider, fake, photo_url) -> None:
    request = portrait_request(photo_url)
    assert provider.prepare(UPLOAD_STEP, request) == UPLOAD_ACTION
    [upload] = fake.calls_of(UPLOAD_ACTION)
    assert upload.params == {"ModelId": "pb_12_0123456789ab", "BaseUrl": photo_url, "TrainMode": 2}
    assert "/aiart/tc3_request" in upload.headers["authorization"]
    assert fake.inputs[UPLOAD_ACTION] == [("BaseUrl", 768, 1024, "JPEG")]  # the fake fetched the link
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    [draw] = fake.calls_of(DRAW_ACTION)
    assert draw.params == {"ModelId": "pb_12_0123456789ab", "StyleId": "hanfu_female", "ImageNum": 1,
                           "Definition": "hdpro", "LogoAdd": 0}
    assert isinstance(provider.resume(pending.job_id, request), Pending)  # WAIT, then RUN
    fake.advance(60)
    image = provider.resume(pending.job_id, request)
    assert isinstance(image, GeneratedImage) and image.model == DRAW_ACTION
    assert Image.open(io.BytesIO(image.data)).size == (256, 320)  # hdpro 1024x1280, shrunk by the fake
    assert [c.params for c in fake.calls_of(QUERY_ACTION)][-1] == {"JobId": pending.job_id}
    assert fake.submissions[UPLOAD_ACTION] == fake.submissions[DRAW_ACTION] == 1


@pytest.mark.parametrize("problem", ["no_face", "several_faces"])
def test_face_refusals_ask_for_a_clearer_photo(provider, fake, photo_url, problem: str) -> None:
    request = portrait_request(photo_url)
    fake.fail_face_next(problem)
    with pytest.raises(ProviderError) as info:
        provider.prepare(UPLOAD_STEP, request)
    assert (info.value.kind, info.value.reason) == ("moderation", "face_rejected")
    provider.prepare(UPLOAD_STEP, request)
    fake.fail_face_next(problem, QUERY_ACTION)  # a draw job that fails for the face
    pending = provider.start(request)
    fake.advance(60)
    with pytest.raises(RemoteJobFailed) as failed:
        provider.resume(pending.job_id, request)
    assert (failed.value.kind, failed.value.reason) == ("moderation", "face_rejected")


def test_other_refusals_keep_their_kind(provider, fake, photo_url) -> None:
    gone = portrait_request("http://127.0.0.1:9/u/expired/photo.jpg")
    with pytest.raises(ProviderError) as info:  # the service cannot fetch the link: not the attendee's face
        provider.prepare(UPLOAD_STEP, gone)
    assert (info.value.kind, info.value.code, info.value.reason) == (
        "bad_request", "FailedOperation.ImageDownloadError", "")
    with pytest.raises(ProviderError) as info:  # a draw with no uploaded photo
        provider.start(portrait_request(photo_url))
    assert info.value.kind == "bad_request" and not info.value.reason
    provider.prepare(UPLOAD_STEP, portrait_request(photo_url))
    for code, kind in (("ResourcesSoldOut.ChargeStatusException", "account"),
                       ("RequestLimitExceeded.JobNumExceed", "retryable")):
        fake.fail_next(DRAW_ACTION, code)
        with pytest.raises(ProviderError) as info:
            provider.start(portrait_request(photo_url))
        assert info.value.kind == kind
    fake.fail_next(UPLOAD_ACTION, "FailedOperation.RequestTimeout", "人脸检测超时")  # busy, not the attendee's face
    with pytest.raises(ProviderError) as info:
        provider.prepare(UPLOAD_STEP, portrait_request(photo_url))
    assert (info.value.kind, info.value.reason) == ("retryable", "")
    with pytest.raises(ProviderError) as info:
        provider.start(portrait_request(photo_url, style=None))
    assert info.value.code == "MissingStyle"
    assert fake.submissions[DRAW_ACTION] == 0


# --- end to end ------------------------------------------------------------------------------------------


def submit(client, photo: bytes, style: str = "hanfu") -> str:
    assert post_photo(client, SLUG, "selfie", photo).status_code == 302
    answer(client, SLUG, "wish", "luck")
    return answer(client, SLUG, "style", style).headers["Location"].rsplit("/", 1)[-1]


def row(app, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def charges(app, participation_id: int) -> list[str]:
    with app.extensions["posterbooth.db"].session() as session:
        return sorted(session.scalars(select(Charge.action).where(Charge.participation_id == participation_id)))


def check_poster(app, p: Participation) -> None:
    with Image.open(Path(app.config["MEDIA_DIR"]) / p.poster_path) as opened:
        poster = opened.copy()
    qr = app.extensions["posterbooth.campaigns"][SLUG].definition.poster.qr
    url = urlparse(decode_poster_qr(poster, (qr.x, qr.y, qr.size)))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"https://event.example.com/c/{SLUG}"


def drive(app, public_id: str, seconds: float = 30.0) -> Participation:
    """Run real rq workers over the queue, releasing due polls, until the participation ends or has no job left."""
    from rq import SimpleWorker

    from posterbooth.generation.queue import next_due, release_due

    queue = app.extensions["posterbooth.queue"]
    deadline = time.monotonic() + seconds
    while True:
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="CRITICAL")
        p = row(app, public_id)
        idle = queue.count == 0 and next_due(queue.connection) is None
        if p.status in ("done", "failed", "rejected") or idle or time.monotonic() > deadline:
            return p
        time.sleep(0.05)
        release_due(queue)


@SQLITE
def test_offline_portrait_end_to_end(app, client, run_worker) -> None:
    public_id = submit(client, jpeg(synthetic_portrait(seed=1)), style="dunhuang")
    run_worker()
    p = row(app, public_id)
    assert p.status == "done", p.error_detail
    assert p.provider_model == "posterbooth-offline-1/portrait"
    assert charges(app, p.id) == ["portrait", "portrait_upload"] and p.provider_submissions == 2
    with Image.open(Path(app.config["MEDIA_DIR"]) / p.image_path) as picture:
        assert picture.size == (1024, 1280)  # hdpro
    check_poster(app, p)


@pytest.fixture
def hunyuan_app(app_env, monkeypatch) -> Iterator[tuple]:
    """The app with Hunyuan against a fake whose jobs take 0.2 s, served on a loopback port for the photo links."""
    from posterbooth import create_app
    from posterbooth.generation import keys

    with FakeTencentCloud(latency=0.2) as fake:
        for key, value in {"TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
                           "HUNYUAN_ENDPOINT": fake.url, "AIART_ENDPOINT": fake.url,
                           "IMAGE_PROVIDER": "hunyuan"}.items():
            monkeypatch.setenv(key, value)
        application = create_app({"TESTING": True})
        server = make_server("127.0.0.1", 0, application, threaded=True)
        application.config["TEST_LINK_BASE"] = f"http://127.0.0.1:{server.server_port}"
        monkeypatch.setenv("INPUT_URL_BASE", application.config["TEST_LINK_BASE"])
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        application.extensions["posterbooth.queue"].connection.hset(keys.usual_key("hunyuan"), "time", 0.3)
        try:
            yield application, fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
            application.extensions["posterbooth.db"].dispose()


@SQLITE
def test_hunyuan_portrait_through_the_fake_fetches_the_signed_photo(hunyuan_app) -> None:
    app, fake = hunyuan_app
    client = app.test_client()
    big = jpeg(synthetic_portrait(seed=2).resize((1536, 2048)))  # stored under 2000 px: the upload takes no more
    public_id = submit(client, big)
    p = drive(app, public_id)
    assert p.status == "done", p.error_detail
    [upload] = fake.calls_of(UPLOAD_ACTION)
    assert upload.params["BaseUrl"].startswith(app.config["TEST_LINK_BASE"] + "/u/")
    assert upload.params["TrainMode"] == 2
    assert upload.params["ModelId"] == model_id(p.id, p.public_id)
    assert fake.inputs[UPLOAD_ACTION] == [("BaseUrl", 1440, 1920, "JPEG")]
    [draw] = fake.calls_of(DRAW_ACTION)
    assert draw.params == {"ModelId": upload.params["ModelId"], "StyleId": "hanfu_female", "ImageNum": 1,
                           "Definition": "hdpro", "LogoAdd": 0}
    assert p.provider_model == DRAW_ACTION and charges(app, p.id) == ["portrait", "portrait_upload"]
    check_poster(app, p)


@SQLITE
def test_a_face_refusal_tells_the_attendee_to_take_a_clearer_photo(hunyuan_app) -> None:
    app, fake = hunyuan_app
    client = app.test_client()
    fake.fail_face_next("several_faces")
    public_id = submit(client, jpeg(synthetic_portrait(seed=3)))
    p = drive(app, public_id)
    assert (p.status, p.error_code) == ("rejected", "face_rejected")
    assert charges(app, p.id) == [] and fake.submissions[DRAW_ACTION] == 0  # refused: refunded, nothing drawn
    page = client.get(f"/r/{public_id}").get_data(as_text=True)
    assert "请重新拍一张只有你一个人的清晰照片" in page and "重新拍一张" in page


@SQLITE
def test_a_worker_dying_between_the_steps_pays_for_one_upload_and_one_draw(hunyuan_app, monkeypatch) -> None:
    from posterbooth.generation import engine
    from posterbooth.generation.sweep import requeue_orphans

    app, fake = hunyuan_app
    crashed: list[str] = []

    def dies_once(name: str):  # noqa: ANN202 - wraps a Step method
        method = getattr(engine.Step, name)

        def step(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if name not in crashed:
                crashed.append(name)
                raise redis.exceptions.ConnectionError(f"worker killed before {name}")
            return method(self, *args, **kwargs)
        return step

    monkeypatch.setattr(engine.Step, "_submit", dies_once("_submit"))  # after the upload, before the draw
    monkeypatch.setattr(engine.Step, "_poll", dies_once("_poll"))  # after the draw, before its result
    public_id = submit(app.test_client(), jpeg(synthetic_portrait(seed=4)))
    db, queue = app.extensions["posterbooth.db"], app.extensions["posterbooth.queue"]
    p = drive(app, public_id)
    for _ in range(2):  # each crash: the sweep gives the participation a new job, another worker runs it
        assert p.status == "running", p.error_detail
        assert requeue_orphans(db, queue, older_than=timedelta(0)) == 1
        p = drive(app, public_id)
    assert crashed == ["_submit", "_poll"]
    assert p.status == "done", p.error_detail
    assert fake.submissions[UPLOAD_ACTION] == 1 and fake.submissions[DRAW_ACTION] == 1
    assert len(fake.calls_of(UPLOAD_ACTION)) == len(fake.calls_of(DRAW_ACTION)) == 1
    assert charges(app, p.id) == ["portrait", "portrait_upload"] and p.provider_submissions == 2
    check_poster(app, p)
