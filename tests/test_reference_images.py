"""混元生图 3.0 with reference images (aiart SubmitTextToImageJob): campaign checks at load, request shapes, the
fake's documented limits and downloads over real HTTP, and a poster made through a worker against the fake."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.campaigns import CampaignError, load_campaign
from posterbooth.models import Participation
from posterbooth.providers.base import GeneratedImage, GenerationRequest, ProviderError
from posterbooth.providers.hunyuan_actions import ACTIONS
from posterbooth.providers.hunyuan_params import build_params
from posterbooth.providers.hunyuan_settings import parse_settings
from tests.attendee import complete
from tests.conftest import CAMPAIGNS
from tests.fakes.tencent_server import FakeTencentCloud
from tests.generation_harness import drive, hunyuan_env
from tests.qr_decode import decode_poster_qr

SLUG = "wish-postcard"
WISH = [("place", "lake"), ("company", "alone"), ("wish", "自在")]
T2I3 = "action: SubmitTextToImageJob\n    revise: 0\n    references: [logo.png, cover.jpg]"


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 60)).save(out, "PNG")
    return out.getvalue()


def mascot_campaign(tmp_path: Path, hunyuan: str = T2I3, extra: str = "") -> Path:
    """Copy wish-postcard into tmp_path/campaigns with its Hunyuan block replaced (and no edits)."""
    folder = tmp_path / "campaigns" / SLUG
    folder.mkdir(parents=True)
    for name in ("cover.jpg", "logo.png"):
        (folder / name).write_bytes((CAMPAIGNS / SLUG / name).read_bytes())
    text = (CAMPAIGNS / SLUG / "campaign.yaml").read_text(encoding="utf-8")
    text = text.replace("action: SubmitHunyuanImageChatJob", hunyuan).replace("edits: 3", "edits: 0" + extra)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    return folder


# --- at load -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hunyuan", "problem"), [
    ("action: SubmitTextToImageJob\n    resolution: '2048:1024'", "W×H at most 1024×1024"),
    ("action: SubmitTextToImageJob\n    resolution: '480:1024'", "sides must be 512-2048"),
    ("action: SubmitTextToImageJob\n    references: [logo.png, logo.png, logo.png, cover.jpg]", "at most 3 items"),
    ("action: SubmitTextToImageJob\n    references: [mascot.png]", "'mascot.png' is not a file in the campaign"),
    ("action: SubmitTextToImageJob\n    references: [../wish-postcard/logo.png, campaign.yaml]", "cannot be read"),
    ("action: SubmitTextToImageJob\n    logo_param: {logo_url: 'https://x.example/l.png', "
     "logo_rect: {x: 0, y: 0, width: 9, height: 9}}", "does not take: logo_param"),
    ("action: SubmitHunyuanImageJob\n    references: [logo.png]", "does not take: references"),
])
def test_reference_settings_are_checked_at_load(tmp_path: Path, hunyuan: str, problem: str) -> None:
    with pytest.raises(CampaignError, match=problem) as raised:
        load_campaign(mascot_campaign(tmp_path, hunyuan))
    assert raised.value.line is not None


def test_a_tiny_reference_is_refused(tmp_path: Path) -> None:
    folder = mascot_campaign(tmp_path, "action: SubmitTextToImageJob\n    references: [dot.png]")
    (folder / "dot.png").write_bytes(png((40, 400)))
    with pytest.raises(CampaignError, match="40×400; each side must be 50–5000 px"):
        load_campaign(folder)


# --- request shapes ----------------------------------------------------------------------------------------------


def test_the_request_sends_the_references_the_photo_by_its_link_and_a_documented_resolution() -> None:
    spec = ACTIONS["SubmitTextToImageJob"]
    settings = parse_settings({"action": "SubmitTextToImageJob", "revise": 0, "references": ["a.png"]},
                              "SubmitHunyuanImageJob")
    text = build_params(spec, settings, GenerationRequest(prompt="吉祥物在湖边", negative_prompt="文字", seed=9,
                                                          width=1080, height=1920, references=(b"A", b"BB")))
    assert text == {"Prompt": "吉祥物在湖边", "Revise": 0, "Seed": 9, "Resolution": "768:1360",
                    "Images": [base64.b64encode(b"A").decode(), base64.b64encode(b"BB").decode()]}
    photo = parse_settings({"action": "SubmitTextToImageJob", "references": ["a.png"]}, "x", "image_to_image")
    with_photo = build_params(spec, photo, GenerationRequest(
        prompt="你和吉祥物", kind="image_to_image", references=(b"A",), inputs={"photo": b"P"},
        input_urls={"photo": "https://event.example.com/u/t/photo.jpg"}))
    assert with_photo["Images"] == [base64.b64encode(b"A").decode(), "https://event.example.com/u/t/photo.jpg"]
    assert "Revise" not in with_photo and "Seed" not in with_photo and with_photo["Resolution"] == "1024:1024"
    with pytest.raises(ProviderError, match="at most 3"):
        build_params(spec, photo, GenerationRequest(prompt="x", kind="image_to_image", references=(b"A",) * 3,
                                                    input_urls={"photo": "https://event.example.com/p.jpg"}))


def test_the_fake_downloads_every_reference_and_fails_on_an_unreachable_one() -> None:
    with FakeTencentCloud(latency=0.0) as fake:
        from posterbooth.providers.tencent import TencentCloudClient
        from tests.fakes.tencent_server import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

        client = TencentCloudClient("aiart", "2022-12-29", fake.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        own = fake.result_url(fake._store(png((300, 200))))
        job = client.call("SubmitTextToImageJob", {"Prompt": "吉祥物", "Images": [base64.b64encode(
            png((64, 640))).decode(), own], "Resolution": "768:1360", "Revise": 0})["JobId"]
        answer = client.call("QueryTextToImageJob", {"JobId": job})
        assert answer["JobStatusCode"] == "5" and answer["RevisedPrompt"] == ["吉祥物"]
        assert [(w, h) for _n, w, h, _f in fake.inputs["SubmitTextToImageJob"]] == [(64, 640), (300, 200)]
        for params, code in [
            ({"Images": ["http://127.0.0.1:9/gone.png"]}, "ImageDownloadError"),
            ({"Images": [own] * 4}, "at most 3"),
            ({"Resolution": "1280:1024"}, "not supported"),
            ({"Images": [base64.b64encode(png((40, 40))).decode()]}, "40x40"),
        ]:
            with pytest.raises(ProviderError, match=code):
                client.call("SubmitTextToImageJob", {"Prompt": "吉祥物", **params})
        assert fake.submissions["SubmitTextToImageJob"] == 1
        client.close()


# --- end to end through a worker -----------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    with FakeTencentCloud(latency=0.3) as server:
        yield server


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_poster_with_the_mascot_against_the_fake(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path, fake: FakeTencentCloud) -> None:
    from posterbooth import create_app
    from posterbooth.config import load_settings
    from posterbooth.generation.clock import Clock
    from workers.context import close_context

    folder = mascot_campaign(tmp_path)
    for key, value in {**hunyuan_env(fake.url), "CAMPAIGNS_DIR": str(folder.parent)}.items():
        monkeypatch.setenv(key, value)
    close_context()
    app = create_app({"TESTING": True})
    queue, timer = app.extensions["posterbooth.queue"], Clock(load_settings(), lambda: {"hunyuan"})
    db = app.extensions["posterbooth.db"]
    try:
        public_id = complete(app.test_client(), SLUG, WISH).rsplit("/", 1)[-1]

        def row() -> Participation:
            with db.session() as session:
                return session.scalars(select(Participation).where(Participation.public_id == public_id)).one()

        drive(queue, timer.tick, lambda: row().status in ("done", "failed"))
        p = row()
        assert p.status == "done", p.error_detail
        assert p.provider_model == "SubmitTextToImageJob"
        [call] = fake.calls_of("SubmitTextToImageJob")
        assert set(call.params) == {"Prompt", "Images", "Resolution", "Revise", "Seed"} and call.params["Revise"] == 0
        assert [base64.b64decode(v) for v in call.params["Images"]] == [
            (folder / "logo.png").read_bytes(), (folder / "cover.jpg").read_bytes()]
        assert [(w, h) for _n, w, h, _f in fake.inputs["SubmitTextToImageJob"]] == [(487, 168), (1080, 720)]
        qr = app.extensions["posterbooth.campaigns"][SLUG].definition.poster.qr
        with Image.open(Path(app.config["MEDIA_DIR"]) / p.poster_path) as poster:
            assert decode_poster_qr(poster.copy(), (qr.x, qr.y, qr.size)).startswith(
                f"https://event.example.com/c/{SLUG}?ref=")
    finally:
        db.dispose()
        timer.redis.close()
        close_context()


def test_offline_rehearses_with_the_first_reference_in_the_scene(tmp_path: Path) -> None:
    import numpy as np

    from posterbooth.generation.request import build_request
    from posterbooth.providers.offline import OfflineProvider

    loaded = load_campaign(mascot_campaign(tmp_path))
    row = Participation(id=1, prompt="雪山脚下的湖", negative_prompt="", seed=3, style="watercolor", provider="offline")
    request = build_request(loaded, row)
    assert request.references == ((loaded.folder / "logo.png").read_bytes(), (loaded.folder / "cover.jpg").read_bytes())
    plain = OfflineProvider().start(replace(request, references=()))
    rehearsed = OfflineProvider().start(request)
    assert isinstance(plain, GeneratedImage) and isinstance(rehearsed, GeneratedImage)
    a, b = (np.asarray(Image.open(io.BytesIO(r.data)).convert("RGB"), dtype=np.int16) for r in (plain, rehearsed))
    h, w = a.shape[:2]
    changed = np.abs(a - b).sum(axis=2) > 30
    assert changed[h // 2:, w // 2:].mean() > 0.05 and changed[: h // 2].mean() == 0  # lower right only
