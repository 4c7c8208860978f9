"""AI 美照 (generation kind glam): SubmitGlamPicJob's request against the fake and the SDK, its errors, the
settings, the template checks at load, and the offline face placement."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tencentcloud.aiart.v20221229 import models as aiart_models

from posterbooth.campaigns import CampaignError, load_campaign
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError, face_problem
from posterbooth.providers.hunyuan import AIART_VERSION, HunyuanProvider, HunyuanSettings, RemoteJobFailed
from posterbooth.providers.offline import OfflineProvider
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient
from tests.conftest import CAMPAIGNS
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud
from tests.glam_samples import cover_template, face_box, template_bytes
from tests.photo_samples import synthetic_portrait

SUBMIT = "SubmitGlamPicJob"
BOX = face_box((720, 960))


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """A fake whose jobs take 10 s of its own clock (the tests advance it)."""
    with FakeTencentCloud(latency=10.0, queue_time=2.0) as server:
        yield server


@pytest.fixture
def provider(fake: FakeTencentCloud) -> Iterator[HunyuanProvider]:
    client = TencentCloudClient("hunyuan", "2023-09-01", fake.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    aiart = TencentCloudClient("aiart", AIART_VERSION, fake.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    p = HunyuanProvider(client, fetch=ResultFetcher(override_origin=fake.url), aiart_client=aiart)
    yield p
    p.close()


def hosted(fake: FakeTencentCloud, data: bytes) -> str:
    """Serve bytes from the fake's own result route (a stand-in for the app's public URLs)."""
    return fake.result_url(fake._store(data))


def glam_request(fake: FakeTencentCloud, *, settings: dict | None = None, box=BOX,
                 photo_url: str = "") -> GenerationRequest:
    template = template_bytes("travel")
    photo = jpeg(synthetic_portrait(seed=1))
    return GenerationRequest(
        prompt="封面", kind="glam", settings={"logo_add": 0, **(settings or {})}, face_box=box,
        inputs={"photo": photo, "template": template},
        input_urls={"photo": photo_url or hosted(fake, photo), "template": hosted(fake, template)}, reference="7",
    )


def test_glam_job_sends_urls_only_and_returns_the_template_shaped_result(fake, provider) -> None:
    request = glam_request(fake, settings={"style": "real", "similarity": 0.7, "clarity": "x2"})
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    [call] = fake.calls_of(SUBMIT)
    assert call.headers["x-tc-version"] == AIART_VERSION
    assert call.params == {
        "TemplateUrl": request.input_urls["template"],
        "FaceInfos": [{"ImageUrls": [request.input_urls["photo"]],
                       "TemplateFaceRect": {"X": BOX[0], "Y": BOX[1], "Width": BOX[2], "Height": BOX[3]}}],
        "Num": 1, "Style": ["real"], "Similarity": 0.7, "Clarity": "x2", "LogoAdd": 0,
    }
    # The official SDK's model reads the same fields, and nothing else (an unknown one would warn: an error here).
    sdk = aiart_models.SubmitGlamPicJobRequest()
    sdk.from_json_string(json.dumps(call.params))
    assert {k: v for k, v in json.loads(sdk.to_json_string()).items() if v is not None} == call.params
    # The fake downloaded both URLs when the job was submitted.
    assert fake.inputs[SUBMIT] == [("TemplateUrl", 720, 960, "JPEG"), ("FaceInfos.ImageUrls", 768, 1024, "JPEG")]
    assert isinstance(provider.resume(pending.job_id, request), Pending)  # queued, then running
    fake.advance(60)
    image = provider.resume(pending.job_id, request)
    assert isinstance(image, GeneratedImage) and image.model == SUBMIT
    with Image.open(io.BytesIO(image.data)) as result:
        assert result.width * 4 == result.height * 3  # the template's 3:4
    assert fake.calls_of("QueryGlamPicJob")[-1].params == {"JobId": pending.job_id}


def test_without_a_face_box_or_settings_only_the_required_fields_and_num_1_go(fake, provider) -> None:
    provider.start(glam_request(fake, settings={}, box=None))
    [call] = fake.calls_of(SUBMIT)
    assert set(call.params) == {"TemplateUrl", "FaceInfos", "Num", "LogoAdd"} and call.params["Num"] == 1
    assert set(call.params["FaceInfos"][0]) == {"ImageUrls"}


def test_without_public_urls_nothing_is_sent(fake, provider) -> None:
    request = glam_request(fake)
    with pytest.raises(ProviderError) as info:
        provider.start(GenerationRequest(prompt="", kind="glam", inputs=request.inputs, input_urls={}))
    assert (info.value.kind, info.value.code) == ("bad_request", "InputNeedsURL")
    assert "template, photo" in info.value.message and not fake.calls_of(SUBMIT)


def test_an_unreachable_url_fails_the_job_as_a_setup_problem(fake, provider) -> None:
    request = glam_request(fake, photo_url="http://127.0.0.1:9/u/gone/photo.jpg")
    pending = provider.start(request)  # accepted: the service fetches later
    assert isinstance(pending, Pending)
    fake.advance(60)
    with pytest.raises(RemoteJobFailed) as info:
        provider.resume(pending.job_id, request)
    assert (info.value.kind, info.value.code) == ("bad_request", "FailedOperation.DownloadError")


@pytest.mark.parametrize(("code", "message", "kind", "about_face"), [
    ("FailedOperation.InnerError", "未检测到人脸", "moderation", True),
    ("FailedOperation.FaceDetectFailed", "no face", "moderation", True),
    ("OperationDenied.ImageIllegalDetected", "图片审核未通过", "moderation", False),
    ("FailedOperation.ServerError", "engine busy", "retryable", False),
])
def test_job_failures_are_classified(fake, provider, code, message, kind, about_face) -> None:
    request = glam_request(fake)
    fake.fail_job_next(code, message)
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    fake.advance(60)
    with pytest.raises(RemoteJobFailed) as info:
        provider.resume(pending.job_id, request)
    assert (info.value.kind, info.value.code, face_problem(info.value)) == (kind, code, about_face)


def test_submit_errors_are_injected_and_classified(fake, provider) -> None:
    fake.fail_next(SUBMIT, "RequestLimitExceeded.JobNumExceed")
    with pytest.raises(ProviderError) as info:
        provider.start(glam_request(fake))
    assert info.value.kind == "retryable"
    fake.fail_next(SUBMIT, "ResourcesSoldOut.ChargeStatusException")
    with pytest.raises(ProviderError) as info:
        provider.start(glam_request(fake))
    assert info.value.kind == "account"


def test_the_fake_holds_requests_to_the_documented_fields(fake, provider) -> None:
    client = provider._clients["aiart"]
    url = hosted(fake, template_bytes("arts"))
    good = {"TemplateUrl": url, "FaceInfos": [{"ImageUrls": [url]}]}
    bad = [
        ({"FaceInfos": good["FaceInfos"]}, "MissingParameter"),
        ({**good, "TemplateUrl": "data:image/png;base64,AAAA"}, "InvalidParameterValue.UrlIllegal"),
        ({**good, "TemplateImage": "AAAA"}, "UnknownParameter"),
        ({**good, "FaceInfos": [{"ImageUrls": [url], "ImageBase64s": ["AAAA"]}]}, "UnknownParameter"),
        ({**good, "FaceInfos": [{"ImageUrls": ["AAAA"]}]}, "InvalidParameterValue.UrlIllegal"),
        ({**good, "FaceInfos": [{"ImageUrls": [url] * 7}]}, "InvalidParameterValue"),
        ({**good, "FaceInfos": [{"ImageUrls": [url]}] * 6}, "InvalidParameterValue"),
        ({**good, "Num": 5}, "InvalidParameterValue"),
        ({**good, "Style": ["vivid"]}, "InvalidParameterValue"),
        ({**good, "Num": 1, "Style": ["real", "real"]}, "InvalidParameterValue"),
        ({**good, "Similarity": 1.5}, "InvalidParameterValue"),
        ({**good, "FaceInfos": [{"ImageUrls": [url], "TemplateFaceRect": {"X": 1, "Y": 1, "Width": 0,
                                                                           "Height": 9}}]}, "InvalidParameterValue"),
    ]
    for params, code in bad:
        with pytest.raises(ProviderError) as info:
            client.call(SUBMIT, params)
        assert info.value.code == code, params
    assert fake.submissions[SUBMIT] == 0
    assert client.call(SUBMIT, {**good, "Num": 2, "Style": ["textured", "beautiful"]})["JobId"]


def test_a_template_the_service_cannot_use_fails_the_job(fake, provider) -> None:
    client = provider._clients["aiart"]
    small = hosted(fake, jpeg(cover_template("arts", (300, 400))))
    photo = hosted(fake, jpeg(synthetic_portrait(seed=2)))
    outside = {"X": 600, "Y": 10, "Width": 200, "Height": 200}
    cases = ((small, None, "InvalidParameterValue.ImageSizeError"),
             (hosted(fake, template_bytes("arts")), outside, "InvalidParameterValue.FaceRectInvalid"),
             (f"{fake.url}/results/none.png", None, "FailedOperation.DownloadError"))
    for template, rect, code in cases:
        face = {"ImageUrls": [photo], **({"TemplateFaceRect": rect} if rect else {})}
        job_id = client.call(SUBMIT, {"TemplateUrl": template, "FaceInfos": [face]})["JobId"]
        fake.advance(60)
        answer = client.call("QueryGlamPicJob", {"JobId": job_id})
        assert (answer["JobStatusCode"], answer["JobErrorCode"]) == ("4", code)


# --- settings --------------------------------------------------------------------------------------------


def test_glam_settings_are_checked_against_the_action() -> None:
    ok = HunyuanSettings.model_validate({"style": "beautiful", "num": 2, "similarity": 0.9, "clarity": "x4"},
                                        context={"kind": "glam"})
    assert ok.action == SUBMIT
    for bad, words in (({"style": "dongman"}, "not a SubmitGlamPicJob style"), ({"similarity": 1.2}, "less than"),
                       ({"num": 5}, "less than"), ({"resolution": "1024:1024"}, "takes no resolution"),
                       ({"seed": 3}, "does not take"), ({"action": "GenerateAvatar"}, "does not make glam")):
        with pytest.raises(ValueError, match=words):
            HunyuanSettings.model_validate(bad, context={"kind": "glam"})
    with pytest.raises(ValueError, match="does not take: similarity"):
        HunyuanSettings.model_validate({"similarity": 0.5}, context={"kind": "avatar"})


# --- the template checks at load ---------------------------------------------------------------------------


def demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "magazine-cover"
    shutil.copytree(CAMPAIGNS / "magazine-cover", folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_of(folder: Path) -> CampaignError:
    with pytest.raises(CampaignError) as info:
        load_campaign(folder)
    return info.value


def test_the_demo_loads_and_each_outcome_has_its_template(tmp_path) -> None:
    from posterbooth.glam import choose_template

    loaded = load_campaign(demo_copy(tmp_path))
    chosen = choose_template(loaded.definition, loaded.folder, "arts", "radiant")
    assert chosen is not None and chosen.path.name == "arts.jpg" and chosen.face_box == BOX


def test_the_most_specific_template_wins() -> None:
    from posterbooth.schema_glam import GlamSpec

    spec = GlamSpec.model_validate({"templates": [
        {"file": "any.jpg"}, {"file": "gold.jpg", "outcome": "gold"}, {"file": "retro.jpg", "style": "retro"},
        {"file": "gold-retro.jpg", "outcome": "gold", "style": "retro"}, {"file": "second.jpg", "style": "retro"},
    ]})
    chosen = {(o, s): spec.template_for(o, s).file for o in ("gold", "blue") for s in ("retro", "neon", None)}
    assert chosen == {("gold", "retro"): "gold-retro.jpg", ("gold", "neon"): "gold.jpg", ("gold", None): "gold.jpg",
                      ("blue", "retro"): "retro.jpg", ("blue", "neon"): "any.jpg", ("blue", None): "any.jpg"}
    # A style's template is more specific than an outcome's (documented order).
    both = GlamSpec.model_validate({"templates": [{"file": "gold.jpg", "outcome": "gold"},
                                                  {"file": "retro.jpg", "style": "retro"}]})
    assert both.template_for("gold", "retro").file == "retro.jpg" and both.template_for("blue", "neon") is None


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("file: templates/travel.jpg", "file: templates/nowhere.jpg", "generation.glam.templates[1].file", "not found"),
    ("file: templates/travel.jpg", "file: ../../etc/passwd", "generation.glam.templates[1].file",
     "inside the campaign"),
    ("file: templates/arts.jpg", "file: logo.png", "generation.glam.templates[2].file", "each side must be over 300"),
    ("file: templates/arts.jpg", "file: small.jpg", "generation.glam.templates[2].file", "400×300"),
    ("file: templates/arts.jpg", "file: cover.gif", "generation.glam.templates[2].file", "use JPEG, PNG or WebP"),
    ("file: templates/arts.jpg", "file: huge.jpg", "generation.glam.templates[2].file", "under 10 MB as base64"),
    ("face: {x: 288, y: 288, width: 144, height: 192}}\n      - {outcome: arts",
     "face: {x: 600, y: 288, width: 144, height: 192}}\n      - {outcome: arts",
     "generation.glam.templates[1].face", "outside the 720×960 template"),
    ("outcome: arts,", "outcome: art,", "generation.glam.templates[2].outcome", "not an outcome id"),
    ("outcome: arts,", "style: radiant,", "generation.glam.templates", "no template for outcome 'arts' with style "
                                                                      "'natural'"),
    ("  kind: glam\n", "  kind: avatar\n", "generation.glam", "only for generation.kind: glam"),
])
def test_template_problems_name_the_file_and_the_field(tmp_path, old, new, field, words) -> None:
    folder = demo_copy(tmp_path)
    Image.new("RGB", (400, 300), "white").save(folder / "small.jpg")
    Image.new("RGB", (640, 480), "white").save(folder / "cover.gif")
    if "huge" in new:  # trailing bytes: still a JPEG
        (folder / "huge.jpg").write_bytes(template_bytes("arts") + b"\0" * 7_900_000)
    edit(folder, old, new)
    error = error_of(folder)
    assert error.file.endswith("magazine-cover/campaign.yaml") and error.field == field and words in error.message
    assert error.line is not None


def test_a_glam_campaign_needs_its_templates(tmp_path) -> None:
    folder = demo_copy(tmp_path)
    path = folder / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  glam:\n"), text.index("  hunyuan:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    error = error_of(folder)
    assert error.field == "generation.kind" and "generation.glam.templates" in error.message


# --- the offline rehearsal ---------------------------------------------------------------------------------


def test_offline_places_the_face_in_the_box_and_leaves_the_rest_of_the_template() -> None:
    template = np.asarray(cover_template("fashion")).astype(np.int16)
    photo = jpeg(synthetic_portrait(seed=3))
    request = GenerationRequest(prompt="", kind="glam", seed=1, face_box=BOX,
                                inputs={"photo": photo, "template": template_bytes("fashion", fmt="PNG")})
    result = OfflineProvider().start(request)
    assert (result.provider, result.model, result.content_type) == ("offline", "posterbooth-offline-1/glam",
                                                                    "image/jpeg")
    assert OfflineProvider().start(request).data == result.data  # deterministic
    with Image.open(io.BytesIO(result.data)) as image:
        out = np.asarray(image.convert("RGB")).astype(np.int16)
    assert out.shape == template.shape
    x, y, w, h = BOX
    diff = np.abs(out - template).mean(axis=2)
    inside = diff[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4]
    assert (inside > 25).mean() > 0.05  # the attendee's eyes, brows and mouth are on the blank template face
    outside = np.ones_like(diff, bool)
    outside[y - h // 4:y + h + h // 4, x - w // 4:x + w + w // 4] = False
    assert diff[outside].mean() < 3  # the rest is the template (JPEG noise only)


def _lab(rgb) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.asarray([[rgb]], np.uint8), cv2.COLOR_RGB2LAB)[0, 0].astype(np.float32)


def _glam_cheek(skin: tuple[int, int, int], backdrop: tuple[int, int, int]) -> np.ndarray:
    """Return the Lab colour of the placed face's cheek, from a photo with this skin colour."""
    photo = jpeg(synthetic_portrait(seed=5, skin=skin, backdrop=(backdrop, backdrop)))
    result = OfflineProvider().start(GenerationRequest(prompt="", kind="glam", face_box=BOX,
                                                       inputs={"photo": photo, "template": template_bytes("fashion")}))
    with Image.open(io.BytesIO(result.data)) as image:
        out = np.asarray(image.convert("RGB"))
    x, y, w, h = BOX
    cheek = out[y + h // 2:y + h // 2 + 12, x + w // 2 + 28:x + w // 2 + 40].reshape(-1, 3).mean(0)
    return _lab(cheek.round().astype(np.uint8))


def test_offline_takes_the_template_light_but_keeps_the_skin_tone() -> None:
    x, y, w, h = BOX
    template = _lab(np.asarray(cover_template("fashion"))[y + h // 2, x + w // 2])
    # A face photographed under a cool, bluish light: its colour cast moves most of the way to the template's.
    cast = (176, 160, 196)
    chroma = _glam_cheek(cast, (40, 60, 120))[1:]
    assert np.abs(chroma - template[1:]).sum() < 0.4 * np.abs(_lab(cast)[1:] - template[1:]).sum()
    # A darker-skinned attendee stays darker than the template face: lightness moves only a third of the way.
    dark = (120, 84, 70)
    lightness = _glam_cheek(dark, (120, 170, 210))[0]
    assert abs(lightness - _lab(dark)[0]) < abs(lightness - template[0])


def test_offline_without_a_face_box_finds_the_template_face() -> None:
    inputs = {"photo": jpeg(synthetic_portrait(seed=4)), "template": template_bytes("travel")}
    found = OfflineProvider().start(GenerationRequest(prompt="", kind="glam", inputs=inputs))
    boxed = OfflineProvider().start(GenerationRequest(prompt="", kind="glam", inputs=inputs, face_box=BOX))
    with Image.open(io.BytesIO(found.data)) as a, Image.open(io.BytesIO(boxed.data)) as b:
        difference = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean()
    assert difference < 2  # the skin oval found is (nearly) the campaign's box


def test_offline_glam_needs_the_template() -> None:
    with pytest.raises(ProviderError) as info:
        OfflineProvider().start(GenerationRequest(prompt="", kind="glam",
                                                  inputs={"photo": jpeg(synthetic_portrait(seed=1))}))
    assert (info.value.kind, info.value.code) == ("bad_request", "missing_input")
