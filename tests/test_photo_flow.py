"""Photo campaigns end to end: upload through the web, a real rq worker, the poster (and meme GIF) on disk."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from posterbooth.models import Participation
from tests.attendee import answer, form_fields
from tests.conftest import CAMPAIGNS
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.photo_samples import synthetic_portrait, synthetic_product
from tests.test_photo_web import LAB, encoded, post_photo

PRODUCT = """\
slug: product-lab
title: Product lab
locale: en
questions:
  - id: product
    type: photo
    title: Your product
    camera: environment
    consent: I agree.
outcomes:
  - {id: one, title: One}
prompt:
  template: "a marble table in soft morning light"
generation:
  kind: product_background
  provider: hunyuan
  width: 768
  height: 1024
  hunyuan: {product: thermos, logo_add: 0}
share:
  title: Product
"""


@pytest.fixture
def campaigns_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: dict[str, str]) -> Path:
    root = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS, root)
    for slug, text in (("photo-lab", LAB), ("product-lab", PRODUCT)):
        (root / slug).mkdir()
        (root / slug / "campaign.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("CAMPAIGNS_DIR", str(root))
    return root


@pytest.fixture
def lab(campaigns_dir: Path):
    from posterbooth import create_app

    application = create_app({"TESTING": True})
    yield application
    application.extensions["posterbooth.db"].dispose()


@pytest.fixture
def work(lab):
    from rq import SimpleWorker

    def run() -> None:
        queue = lab.extensions["posterbooth.queue"]
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")

    return run


def participation(app, public_id: str) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def media(app, relative: str) -> Path:
    return Path(app.config["MEDIA_DIR"]) / relative


def concert_photo() -> bytes:
    """A landscape 'concert photo' with EXIF GPS and orientation 6 (stored sideways)."""
    return encoded("JPEG", 6, gps=True)


def test_concert_restyle_poster_has_the_photo_and_no_gps(lab, work) -> None:
    client = lab.test_client()
    upload = concert_photo()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload does carry GPS
    assert post_photo(client, "concert-restyle", "live_photo", upload).status_code == 302
    answer(client, "concert-restyle", "feeling", "fire")
    result = answer(client, "concert-restyle", "style", "illustration").headers["Location"]
    p = participation(lab, result.rsplit("/", 1)[-1])
    stored = media(lab, p.inputs["photo"])
    assert b"GPS" not in stored.read_bytes()
    with Image.open(stored) as clean:
        assert not clean.getexif()

    work()

    p = participation(lab, p.public_id)
    assert p.status == "done", p.error_detail
    assert p.provider_model == "posterbooth-offline-1/image_to_image"
    poster_bytes = media(lab, p.poster_path).read_bytes()
    with Image.open(io.BytesIO(poster_bytes)) as poster:
        assert poster.size == (1080, 1920) and not poster.getexif().get_ifd(0x8825)
        # The 'before' photo sits in its box: red top-left quarter, blue elsewhere (the upright upload).
        box = lab.extensions["posterbooth.campaigns"]["concert-restyle"].definition.poster.photo
        inset = np.asarray(poster.convert("RGB").crop((box.x, box.y, box.x + box.width, box.y + box.height)))
        assert inset[30:60, 30:80, 0].mean() > 150 and inset[130:170, 180:240, 2].mean() > 130
    assert b"GPS" not in poster_bytes and b"39/1" not in poster_bytes
    page = client.get(result).get_data(as_text=True)
    assert 'id="poster"' in page and "立即删除我的照片" in page and "7 天后自动删除" in page


def test_avatar_campaign_end_to_end_and_delete_my_photo(lab, work) -> None:
    client = lab.test_client()
    selfie = jpeg(synthetic_portrait(seed=1))
    assert post_photo(client, "anime-self", "selfie", selfie).status_code == 302
    answer(client, "anime-self", "faction", "mage")
    result = answer(client, "anime-self", "style", "anime").headers["Location"]
    work()
    p = participation(lab, result.rsplit("/", 1)[-1])
    assert p.status == "done", p.error_detail
    with Image.open(media(lab, p.image_path)) as image:
        assert image.format == "JPEG" and image.width == image.height == 1024
    photo = media(lab, p.inputs["photo"])
    page = client.get(result).get_data(as_text=True)
    assert "删除照片时，这张海报" in page  # the button says what else goes
    for relative in (p.image_path, p.poster_path, p.share_card_path):
        with client.get(f"/media/{relative}") as served:  # made from the photo: never cached as immutable
            assert served.status_code == 200 and "immutable" not in served.headers["Cache-Control"]
    with client.get(f"/s/{p.share_token}/thumb.jpg") as served:
        assert served.status_code == 200
    made = [media(lab, r) for r in (p.image_path, p.poster_path, p.share_card_path)]
    thumb = made[2].with_name(made[2].stem + "-thumb.jpg")
    assert all(path.exists() for path in [*made, thumb])
    csrf = form_fields(page)["csrf_token"]
    response = client.post(f"/r/{p.public_id}/photo/delete", data={"csrf_token": csrf})
    assert response.status_code == 303 and not photo.exists()
    page = client.get(result).get_data(as_text=True)
    assert "你的照片已删除" in page and "立即删除我的照片" not in page
    # Every image made from the photo went with it: the picture, the poster, the share card and its thumbnail.
    assert not any(path.exists() for path in [*made, thumb])
    after = participation(lab, p.public_id)
    assert after.hidden and after.poster_path == after.share_card_path == after.image_path == ""
    assert client.get(f"/s/{p.share_token}").status_code == 410  # a friendly "removed" page
    assert client.get(f"/s/{p.share_token}/thumb.jpg").status_code == 404
    assert client.get(f"/media/{p.poster_path}").status_code == 404


def test_photo_retention_deletes_the_images_made_from_the_photo(lab, work) -> None:
    from datetime import timedelta

    from posterbooth.models import utcnow
    from posterbooth.retention import purge_expired
    from posterbooth.storage import MediaStore

    client = lab.test_client()
    assert post_photo(client, "anime-self", "selfie", jpeg(synthetic_portrait(seed=2))).status_code == 302
    answer(client, "anime-self", "faction", "mage")
    result = answer(client, "anime-self", "style", "anime").headers["Location"]
    work()
    p = participation(lab, result.rsplit("/", 1)[-1])
    assert p.status == "done" and p.content_id and p.content_id != p.public_id
    poster = media(lab, p.poster_path).read_bytes()
    assert p.public_id.encode() not in poster and p.content_id.encode() in poster  # the AIGC label's ProduceID
    report = purge_expired(lab.extensions["posterbooth.db"], MediaStore(Path(lab.config["MEDIA_DIR"])),
                           lab.extensions["posterbooth.campaigns"], now=utcnow() + timedelta(days=4))
    assert report.photos == 1 and report.photo_files == 4  # the photo, the picture, the poster, the share card
    after = participation(lab, p.public_id)
    assert after.hidden and after.inputs == {} and after.poster_path == ""
    assert not media(lab, p.poster_path).exists() and not media(lab, p.image_path).exists()


def test_meme_is_an_animated_gif_shown_and_saved_on_the_result_page(lab, work) -> None:
    client = lab.test_client()
    page = client.get("/c/photo-lab/q/name")
    client.post("/c/photo-lab/q/name", data={**form_fields(page.get_data(as_text=True)), "answer": "Hooray"})
    result = post_photo(client, "photo-lab", "selfie", jpeg(synthetic_portrait(seed=3))).headers["Location"]
    work()
    p = participation(lab, result.rsplit("/", 1)[-1])
    assert p.status == "done", p.error_detail
    assert p.image_path.endswith(".gif")
    with Image.open(media(lab, p.image_path)) as gif:
        assert gif.format == "GIF" and gif.is_animated and gif.n_frames > 4
    with Image.open(media(lab, p.poster_path)) as poster:
        assert poster.format == "JPEG"  # its first frame, composed
    page = client.get(result).get_data(as_text=True)
    gif_url = f"/media/{p.image_path}"
    assert f'src="{gif_url}"' in page and "Download the GIF" in page
    with client.get(gif_url) as served:
        assert served.status_code == 200 and served.mimetype == "image/gif"


def test_a_photo_deleted_before_generation_fails_clearly(lab, work) -> None:
    client = lab.test_client()
    assert post_photo(client, "anime-self", "selfie", jpeg(synthetic_portrait(seed=4))).status_code == 302
    answer(client, "anime-self", "faction", "bard")
    result = answer(client, "anime-self", "style", "guofeng").headers["Location"]
    public_id = result.rsplit("/", 1)[-1]
    csrf = form_fields(client.get("/c/anime-self/q/selfie").get_data(as_text=True)).get("csrf_token")
    assert client.post(f"/r/{public_id}/photo/delete", data={"csrf_token": csrf}).status_code == 303
    work()
    p = participation(lab, public_id)
    assert (p.status, p.error_code) == ("failed", "photo_missing")
    assert "请重新上传" in client.get(result).get_data(as_text=True)


@pytest.fixture
def live(lab) -> Iterator[str]:
    """Serve the app on a loopback port, so an image API can fetch the signed photo links."""
    server = make_server("127.0.0.1", 0, lab, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_url_only_action_fetches_the_photo_through_its_signed_link(lab, work, live, monkeypatch) -> None:
    with FakeTencentCloud(latency=0.2) as fake:
        for key, value in {"TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
                           "HUNYUAN_ENDPOINT": fake.url, "AIART_ENDPOINT": fake.url, "INPUT_URL_BASE": live}.items():
            monkeypatch.setenv(key, value)
        client = lab.test_client()
        product = jpeg(synthetic_product(seed=2))
        result = post_photo(client, "product-lab", "product", product).headers["Location"]
        work()
        p = participation(lab, result.rsplit("/", 1)[-1])
        assert p.status == "done", p.error_detail
        [call] = fake.calls_of("ReplaceBackground")
        url = call.params["ProductUrl"]
        assert url.startswith(f"{live}/u/") and url.endswith("/photo.jpg")
        assert call.params["Product"] == "thermos" and call.params["Resolution"] == "768:1024"
        assert fake.inputs["ReplaceBackground"] == [("ProductUrl", 900, 900, "JPEG")]
        assert p.provider_model == "ReplaceBackground"


def test_a_photo_the_service_refuses_can_be_replaced(campaigns_dir, work, monkeypatch) -> None:
    from posterbooth import create_app

    with FakeTencentCloud(latency=0.2) as fake:
        settings = {"TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
                    "HUNYUAN_ENDPOINT": fake.url, "AIART_ENDPOINT": fake.url, "IMAGE_PROVIDER": "hunyuan"}
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        app = create_app({"TESTING": True})
        fake.fail_next("GenerateAvatar", "FailedOperation.FaceDetectFailed", "no face found")
        client = app.test_client()
        assert post_photo(client, "anime-self", "selfie", jpeg(synthetic_portrait(seed=6))).status_code == 302
        answer(client, "anime-self", "faction", "ranger")
        result = answer(client, "anime-self", "style", "comic").headers["Location"]
        work()
    try:
        p = participation(app, result.rsplit("/", 1)[-1])
        # A face problem asks for a clearer photo of just the attendee (other refusals: "photo_rejected").
        assert (p.provider, p.status, p.error_code) == ("hunyuan", "rejected", "photo_face")
        [call] = fake.calls_of("GenerateAvatar")
        assert call.params["Style"] == "comic" and call.params["Filter"] == 1 and call.params["LogoAdd"] == 0
        page = client.get(result).get_data(as_text=True)
        assert "请重新拍一张只有你自己的清晰照片" in page and "立即删除我的照片" in page
        edit = client.post(f"/r/{p.public_id}/answers", data={"csrf_token": form_fields(page)["csrf_token"]})
        assert edit.headers["Location"].endswith("/c/anime-self/q/selfie")
        # The answers are back, but the photo must be picked again: the next step sends the attendee to it.
        assert client.get("/c/anime-self/q/faction").headers["Location"].endswith("/c/anime-self/q/selfie")
    finally:
        app.extensions["posterbooth.db"].dispose()


def test_zero_day_retention_deletes_the_photo_with_the_poster_made(lab, work, campaigns_dir) -> None:
    from posterbooth import create_app

    # A sketch turned into a picture does not show the photo: it may be deleted as soon as the poster is made.
    (campaigns_dir / "photo-lab" / "campaign.yaml").write_text(
        LAB.replace("kind: meme", "kind: sketch_to_image") + "privacy: {photo_retention_days: 0}\n", encoding="utf-8")
    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        page = client.get("/c/photo-lab/q/name")
        client.post("/c/photo-lab/q/name", data={**form_fields(page.get_data(as_text=True)), "answer": "Zero"})
        page = client.get("/c/photo-lab/q/selfie").get_data(as_text=True)
        assert "deleted as soon as the poster is made" in page
        result = post_photo(client, "photo-lab", "selfie", jpeg(synthetic_portrait(seed=7))).headers["Location"]
        [stored] = participation(app, result.rsplit("/", 1)[-1]).inputs.values()
        work()
        p = participation(app, result.rsplit("/", 1)[-1])
        assert p.status == "done" and p.inputs == {} and p.inputs_deleted_at is not None
        assert not media(app, stored).exists()
    finally:
        app.extensions["posterbooth.db"].dispose()
