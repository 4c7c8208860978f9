"""混元生图 2.0 (TextToImageRapid) styles and poster finishing (ImageOutpainting, RefineImage): campaign checks,
request shapes against the fake Tencent Cloud over real HTTP, and style-trip end to end (offline and Hunyuan)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.campaigns import CampaignError, load_campaign
from posterbooth.models import Charge, Participation
from posterbooth.providers.base import FinishRequest, GeneratedImage, ProviderError
from posterbooth.providers.finishing import finish_offline, nearest_ratio
from posterbooth.providers.hunyuan import HunyuanProvider
from posterbooth.providers.hunyuan_params import finish_params
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient
from tests.attendee import complete
from tests.conftest import CAMPAIGNS
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.hunyuan_support import req
from tests.qr_decode import decode_poster_qr

TRIP = [("place", "lake"), ("season", "spring"), ("style", "watercolor")]


def trip_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "style-trip"
    folder.mkdir()
    for name in ("cover.jpg", "logo.png"):
        (folder / name).write_bytes((CAMPAIGNS / "style-trip" / name).read_bytes())
    text = (CAMPAIGNS / "style-trip" / "campaign.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "campaign.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return folder


def png(size: tuple[int, int], colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


# --- campaign checks -------------------------------------------------------------------------------------


def test_rapid_styles_are_read_by_code_or_name() -> None:
    trip = load_campaign(CAMPAIGNS / "style-trip").definition
    from posterbooth.providers.hunyuan_settings import parse_settings

    codes = [parse_settings({**trip.generation.hunyuan, **s.settings["hunyuan"]}, "SubmitHunyuanImageJob").style
             for s in trip.styles]
    assert codes == ["1", "4", "16", "19"]


@pytest.mark.parametrize("style", ["水粉", "31", "0"])
def test_an_unknown_rapid_style_names_file_field_and_line(tmp_path: Path, style: str) -> None:
    folder = trip_with(tmp_path, "settings: {hunyuan: {style: 水彩}}", f"settings: {{hunyuan: {{style: '{style}'}}}}")
    with pytest.raises(CampaignError) as info:
        load_campaign(folder)
    error = info.value
    assert error.field == "styles[1].settings.hunyuan"  # a check across fields: the block, on its line
    assert error.line == 48 and "TextToImageRapid" in error.message and "4 水彩" in error.message


def test_outpaint_box_far_from_every_ratio_is_refused(tmp_path: Path) -> None:
    folder = trip_with(tmp_path, "width: 1080, height: 1440, fit: outpaint", "width: 1080, height: 1250, fit: outpaint")
    with pytest.raises(CampaignError) as info:
        load_campaign(folder)
    assert info.value.field == "poster.image.fit" and info.value.line == 66 and "3:4" in info.value.message


def test_outpaint_to_the_pictures_own_ratio_is_refused(tmp_path: Path) -> None:
    folder = trip_with(tmp_path, "  width: 1024\n  height: 1024\n", "  width: 768\n  height: 1024\n")
    with pytest.raises(CampaignError) as info:
        load_campaign(folder)
    assert info.value.field == "poster.image.fit" and "nothing to outpaint" in info.value.message


def test_nearest_ratio() -> None:
    assert [nearest_ratio(*s) for s in ((1080, 1440), (1080, 1920), (1000, 990), (1920, 1000), (1300, 1000))] == \
        ["3:4", "9:16", "1:1", "16:9", "4:3"]


# --- request shapes against the fake, over real HTTP ------------------------------------------------------


@pytest.fixture
def fake():
    with FakeTencentCloud(latency=0.1, sync_concurrency=1) as server:
        yield server


@pytest.fixture
def provider(fake: FakeTencentCloud):
    def client(service: str, version: str) -> TencentCloudClient:
        return TencentCloudClient(service, version, fake.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)

    p = HunyuanProvider(client("hunyuan", "2023-09-01"), fetch=ResultFetcher(override_origin=fake.url),
                        aiart_client=client("aiart", "2022-12-29"))
    yield p
    p.close()


def test_rapid_request_has_the_documented_fields(provider, fake) -> None:
    settings = {"action": "TextToImageRapid", "style": 4, "logo_add": 0}
    image = provider.start(req(negative_prompt="文字", seed=77, width=768, height=1024, settings=settings))
    assert isinstance(image, GeneratedImage) and image.model == "TextToImageRapid"
    [call] = fake.calls_of("TextToImageRapid")
    assert call.params == {"Prompt": "一只橘猫在月光下弹古琴", "Style": "4", "Resolution": "768:1024", "Seed": 77,
                           "LogoAdd": 0, "RspImgType": "base64"}  # no NegativePrompt: the action has none
    assert call.headers["x-tc-action"] == "TextToImageRapid" and "/aiart/tc3_request" in call.headers["authorization"]
    assert Image.open(io.BytesIO(image.data)).size == (384, 512)


def test_rapid_by_url_is_downloaded_at_once_and_its_style_hint_maps(provider, fake) -> None:
    settings = {"action": "TextToImageRapid", "rsp_img_type": "url"}
    image = provider.start(req(style="ink", settings=settings))
    assert isinstance(image, GeneratedImage) and image.content_type == "image/png"
    assert fake.calls_of("TextToImageRapid")[0].params["Style"] == "16"


def test_rapid_errors_are_classified(provider, fake) -> None:
    request = req(settings={"action": "TextToImageRapid"})
    for code, kind in (("OperationDenied.TextIllegalDetected", "moderation"), ("FailedOperation.RpcFail", "retryable"),
                       ("ResourceUnavailable.LowBalance", "account")):
        fake.fail_next("TextToImageRapid", code)
        with pytest.raises(ProviderError) as info:
            provider.start(request)
        assert info.value.kind == kind


def test_outpainting_and_refining_requests(provider, fake) -> None:
    source = png((1024, 1024))
    wide = provider.finish(FinishRequest("outpaint", source, ratio="3:4", settings={"logo_add": 0}))
    [call] = fake.calls_of("ImageOutpainting")
    assert set(call.params) == {"InputImage", "Ratio", "RspImgType", "LogoAdd"} and call.params["Ratio"] == "3:4"
    assert base64.b64decode(call.params["InputImage"]) == source
    assert Image.open(io.BytesIO(wide.data)).size == (1024, 1365) and wide.model == "ImageOutpainting"
    sharp = provider.finish(FinishRequest("refine", wide.data, settings={"logo_add": 0}))
    [call] = fake.calls_of("RefineImage")
    assert set(call.params) == {"InputImage", "RspImgType"}  # RefineImage takes no LogoAdd
    assert Image.open(io.BytesIO(sharp.data)).size == (1536, 2048)
    assert fake.inputs["RefineImage"] == [("InputImage", 1024, 1365, "PNG")]


def test_the_fake_refuses_what_the_service_refuses(provider, fake) -> None:
    with pytest.raises(ProviderError) as info:  # the source's own ratio
        provider.finish(FinishRequest("outpaint", png((900, 1200)), ratio="3:4"))
    assert info.value.kind == "bad_request"
    aiart = provider._clients["aiart"]
    for params in ({"Ratio": "2:1", "InputImage": base64.b64encode(png((64, 64))).decode()},
                   {"Ratio": "1:1", "InputUrl": "http://127.0.0.1:9/gone.png"},
                   {"Ratio": "1:1", "InputImage": base64.b64encode(png((64, 48))).decode(),
                    "LogoParam": {"LogoUrl": "http://127.0.0.1:9/logo.png", "LogoRect": {"X": 0, "Y": 0, "Width": 9,
                                                                                           "Height": 9}}}):
        with pytest.raises(ProviderError):
            aiart.call("ImageOutpainting", params)
    with pytest.raises(ProviderError) as info:
        aiart.call("RefineImage", {"InputImage": base64.b64encode(png((64, 64))).decode(), "LogoAdd": 0})
    assert info.value.code == "UnknownParameter"
    assert "ImageDownloadError" in str(fake.calls_of("ImageOutpainting")) or fake.submissions["ImageOutpainting"] == 0


def test_a_big_picture_goes_as_jpeg_under_the_limit() -> None:
    noisy = Image.effect_noise((2048, 2048), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    params = finish_params(FinishRequest("refine", out.getvalue()))
    assert len(out.getvalue()) * 4 / 3 > 6 * 1024 * 1024 > len(params["InputImage"])
    assert base64.b64decode(params["InputImage"])[:2] == b"\xff\xd8"


def test_offline_outpaint_keeps_the_picture_and_extends_it() -> None:
    painted = Image.new("RGB", (400, 400), (30, 120, 200))
    painted.paste((240, 200, 40), (0, 0, 400, 100))  # a yellow top band: mirrored into the extension above
    data = io.BytesIO()
    painted.save(data, "PNG")
    result = Image.open(io.BytesIO(finish_offline(FinishRequest("outpaint", data.getvalue(), ratio="9:16")).data))
    assert result.size == (400, 711)
    top = (711 - 400) // 2
    assert result.getpixel((200, top + 200)) == (30, 120, 200)  # the picture itself is untouched
    r, g, b = result.getpixel((200, top - 40))
    assert r > 150 and b < 120  # the extension continues the picture's yellow top


# --- end to end -------------------------------------------------------------------------------------------


def finished(app, client, run_worker) -> Participation:
    public_id = complete(client, "style-trip", TRIP).rsplit("/", 1)[-1]
    run_worker()
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()


def charges(app, participation_id: int) -> list[str]:
    with app.extensions["posterbooth.db"].session() as session:
        return sorted(session.scalars(select(Charge.action).where(Charge.participation_id == participation_id)))


def check_poster(app, p: Participation) -> None:
    media = Path(app.config["MEDIA_DIR"])
    with Image.open(media / p.poster_path) as opened:
        poster = opened.copy()
    qr = app.extensions["posterbooth.campaigns"]["style-trip"].definition.poster.qr
    url = urlparse(decode_poster_qr(poster, (qr.x, qr.y, qr.size)))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://event.example.com/c/style-trip"
    with Image.open(media / p.image_path) as picture:
        assert picture.height == 2048 and abs(picture.width / 1536 - 1) < 0.002  # outpainted to 3:4, refined


def test_style_trip_offline_outpaints_and_refines(app, client, run_worker) -> None:
    p = finished(app, client, run_worker)
    assert p.status == "done", p.error_detail
    assert p.provider_model == "posterbooth-offline-1+outpaint+refine"
    assert charges(app, p.id) == ["outpaint", "refine", "text_to_image"]
    check_poster(app, p)
    assert len(list((Path(app.config["MEDIA_DIR"]) / "images").rglob("*.png"))) == 1  # the steps' pictures replaced


@pytest.fixture
def hunyuan_env(app_env, monkeypatch, fake):
    for key, value in {"TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
                       "HUNYUAN_ENDPOINT": fake.url, "AIART_ENDPOINT": fake.url,
                       "IMAGE_PROVIDER": "hunyuan"}.items():
        monkeypatch.setenv(key, value)
    return app_env


def test_style_trip_with_hunyuan_against_the_fake(hunyuan_env, fake) -> None:
    from rq import SimpleWorker

    from posterbooth import create_app

    app = create_app({"TESTING": True})
    queue = app.extensions["posterbooth.queue"]
    fake.fail_next("ImageOutpainting", "FailedOperation.ServerError")  # retried, and refunded
    try:
        p = finished(app, app.test_client(),
                     lambda: SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="ERROR"))
        for _ in range(30):  # the retry waits its backoff in the queue's scheduled registry
            if p.status in ("done", "failed"):
                break
            import time

            time.sleep(1)
            SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True,
                                                                   logging_level="ERROR")
            with app.extensions["posterbooth.db"].session() as session:
                p = session.get(Participation, p.id)
        assert p.status == "done", p.error_detail
        assert p.provider_model == "TextToImageRapid+outpaint+refine" and p.retries == 1
        assert [c.params["Style"] for c in fake.calls_of("TextToImageRapid")] == ["4"]
        assert len(fake.calls_of("ImageOutpainting")) == 2 and len(fake.calls_of("RefineImage")) == 1
        assert fake.calls_of("ImageOutpainting")[-1].params["Ratio"] == "3:4"
        assert charges(app, p.id) == ["outpaint", "refine", "text_to_image"]  # the refused one was refunded
        assert p.provider_submissions == 4
        check_poster(app, p)
    finally:
        app.extensions["posterbooth.db"].dispose()
