"""Photo questions through the web: the upload matrix, signed links, privacy, and nothing left behind."""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from posterbooth.models import Participation
from posterbooth.photos import read_upload_token, sign_upload
from tests.attendee import form_fields
from tests.conftest import CAMPAIGNS

LAB = """\
slug: photo-lab
title: Photo lab
locale: en
questions:
  - id: name
    type: text
    title: Your name?
    max_length: 20
  - id: selfie
    type: photo
    title: Your photo
    consent: I agree that my photo is used for this meme.
outcomes:
  - {id: one, title: One}
prompt:
  template: "{{ answers.name.text }}"
generation: {kind: meme, provider: offline, width: 512, height: 512}
share:
  title: Meme
"""

MB = 1024 * 1024


@pytest.fixture
def campaigns_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: dict[str, str]) -> Path:
    """Serve the demo campaigns plus a small English photo campaign (text, then photo; a meme)."""
    root = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS, root)
    (root / "photo-lab").mkdir()
    (root / "photo-lab" / "campaign.yaml").write_text(LAB, encoding="utf-8")
    monkeypatch.setenv("CAMPAIGNS_DIR", str(root))
    return root


@pytest.fixture
def lab(campaigns_dir: Path):
    from posterbooth import create_app

    application = create_app({"TESTING": True})
    yield application
    application.extensions["posterbooth.db"].dispose()


def uploads(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"]) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- pictures -------------------------------------------------------------------------------------

#: EXIF orientation -> the transpose that turns an upright picture into the stored (sideways) one.
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright() -> Image.Image:
    """A 320x240 picture whose top-left quarter is red and the rest blue: its orientation is visible."""
    image = Image.new("RGB", (320, 240), (30, 60, 200))
    image.paste((220, 30, 30), (0, 0, 160, 120))
    return image


def encoded(fmt: str, orientation: int = 1, gps: bool = False) -> bytes:
    """Encode the upright picture as stored by a camera with this EXIF orientation (and a GPS fix)."""
    image = upright()
    if _STORE[orientation] is not None:
        image = image.transpose(_STORE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PosterCam"
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd.update({1: "N", 2: (39.0, 54.0, 15.0), 3: "E", 4: (116.0, 23.0, 27.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


def png_bomb(side: int = 40000) -> bytes:
    """A tiny PNG whose header claims side x side pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\x00" * (side + 1) * 8, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def gif() -> bytes:
    out = io.BytesIO()
    upright().save(out, "GIF")
    return out.getvalue()


# --- the attendee ---------------------------------------------------------------------------------

def post_photo(client, slug: str, question: str, data: bytes | None, name: str = "photo.jpg",
               consent: bool = True, camera_empty: bool = True):
    page = client.get(f"/c/{slug}/q/{question}")
    assert page.status_code == 200, page.status_code
    fields: dict = form_fields(page.get_data(as_text=True))
    if consent:
        fields["consent"] = "yes"
    files = [(io.BytesIO(b""), "")] if camera_empty else []
    if data is not None:
        files.append((io.BytesIO(data), name))
    fields["photo"] = files
    response = client.post(f"/c/{slug}/q/{question}", data=fields, content_type="multipart/form-data")
    response.get_data()
    response.close()
    response.request.input_stream.close()  # werkzeug's test client leaves a large body's temporary file open
    return response


def answer_name(client, value: str = "Mia") -> None:
    page = client.get("/c/photo-lab/q/name")
    fields = form_fields(page.get_data(as_text=True))
    fields["answer"] = value
    assert client.post("/c/photo-lab/q/name", data=fields).status_code == 302


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_valid_photos_are_stored_upright_and_clean(lab, fmt: str, orientation: int) -> None:
    client = lab.test_client()
    answer_name(client)
    response = post_photo(client, "photo-lab", "selfie", encoded(fmt, orientation), name=f"x.{fmt.lower()}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/r/")
    [stored] = uploads(lab)
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
        rgb = image.convert("RGB")
        assert rgb.getpixel((40, 30))[0] > 180 and rgb.getpixel((280, 200))[2] > 150  # red top-left
    participation = _only_participation(lab)
    assert participation.inputs == {"photo": stored.relative_to(lab.config["MEDIA_DIR"]).as_posix()}
    assert participation.answers == {"name": "Mia", "selfie": "photo"}


REFUSED = [
    ("empty", b"", 422, "That file is empty"),
    ("truncated jpeg", encoded("JPEG")[:900], 422, "could not be read"),
    ("text renamed .jpg", b"hello, this is not a picture\n" * 20, 422, "is not a photo"),
    ("40000x40000 png bomb", png_bomb(), 422, "far too big"),
    ("30 MB", b"\xff\xd8\xff\xe0" + b"\0" * (30 * MB), 413, "larger than 10 MB"),
    ("gif", gif(), 422, "format can&#39;t be used"),
]


@pytest.mark.parametrize(("case", "data", "status", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_files_get_a_clear_message_keep_the_answers_and_leave_nothing(lab, case, data, status,
                                                                              message) -> None:
    client = lab.test_client()
    answer_name(client, "Nora")
    response = post_photo(client, "photo-lab", "selfie", data, name="photo.jpg")
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:400]
    assert message in page and 'role="alert"' in page
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page  # pick another right there
    assert uploads(lab) == []
    # The earlier answer is still there: another photo finishes the participation with it.
    assert post_photo(client, "photo-lab", "selfie", encoded("JPEG")).status_code == 302
    assert _only_participation(lab).answers["name"] == "Nora"
    assert len(uploads(lab)) == 1


def test_no_file_and_no_consent_are_refused(lab) -> None:
    client = lab.test_client()
    answer_name(client)
    response = post_photo(client, "photo-lab", "selfie", None)
    assert response.status_code == 422 and "take a photo or choose one" in response.get_data(as_text=True)
    response = post_photo(client, "photo-lab", "selfie", encoded("JPEG"), consent=False)
    assert response.status_code == 422 and "tick the box" in response.get_data(as_text=True)
    assert uploads(lab) == []


def test_replacing_the_photo_deletes_the_first_and_keeping_it_needs_no_new_file(lab) -> None:
    client = lab.test_client()
    first = post_photo(client, "concert-restyle", "live_photo", encoded("PNG"), name="a.png")
    assert first.status_code == 302 and first.headers["Location"].endswith("/c/concert-restyle/q/feeling")
    [a] = uploads(lab)
    page = client.get("/c/concert-restyle/q/live_photo").get_data(as_text=True)
    assert 'capture="environment"' in page and "No photo yet" not in page and " checked" in page
    link = page.split('class="photo-preview" data-preview alt="你的照片" src="')[1].split('"')[0]
    assert link.startswith("/u/")
    with client.get(link) as preview:
        assert preview.data == a.read_bytes()

    assert post_photo(client, "concert-restyle", "live_photo", encoded("JPEG", 6)).status_code == 302
    [b] = uploads(lab)
    assert b != a and not a.exists()
    assert post_photo(client, "concert-restyle", "live_photo", None).status_code == 302  # keeps b
    assert uploads(lab) == [b]
    refused = post_photo(client, "concert-restyle", "live_photo", b"broken")
    assert refused.status_code == 422 and uploads(lab) == [b]
    assert link.split("/")[2] not in refused.get_data(as_text=True)  # a fresh link to b, not a's


def test_photo_page_before_any_upload(lab) -> None:
    client = lab.test_client()
    answer_name(client)
    page = client.get("/c/photo-lab/q/selfie").get_data(as_text=True)
    assert "No photo yet" in page and 'capture="user"' in page and 'accept="image/*"' in page
    assert "I agree that my photo is used for this meme." in page and "deleted after 7 days" in page


def test_signed_links_serve_uploads_and_the_media_route_does_not(lab) -> None:
    client = lab.test_client()
    answer_name(client)
    post_photo(client, "photo-lab", "selfie", encoded("JPEG"))
    [stored] = uploads(lab)
    relative = stored.relative_to(lab.config["MEDIA_DIR"]).as_posix()
    token = sign_upload(lab.config["SECRET_KEY"], relative)
    with client.get(f"/u/{token}/photo.jpg") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.data == stored.read_bytes()
    assert client.get(f"/u/{token[:-2]}xx/photo.jpg").status_code == 404  # forged
    assert client.get(f"/u/{token}/photo.png").status_code == 404
    assert client.get(f"/media/{relative}").status_code == 404
    assert client.get(f"/media/images/../{relative}").status_code == 404
    assert read_upload_token(lab.config["SECRET_KEY"], token, max_age=-1) is None  # expired
    assert read_upload_token("another-secret", token) is None
    with pytest.raises(ValueError):
        sign_upload(lab.config["SECRET_KEY"], "posters/ab/x.jpg")


def test_other_routes_keep_the_two_megabyte_limit(lab) -> None:
    client = lab.test_client()
    page = client.get("/c/photo-lab/q/name")
    fields = form_fields(page.get_data(as_text=True))
    fields["answer"] = "x" * (3 * MB)
    response = client.post("/c/photo-lab/q/name", data=fields)
    assert response.status_code == 413 and 'type="file"' not in response.get_data(as_text=True)


def test_delete_my_photo_only_from_the_owners_device(lab) -> None:
    client = lab.test_client()
    answer_name(client)
    result = post_photo(client, "photo-lab", "selfie", encoded("JPEG")).headers["Location"]
    public_id = result.rsplit("/", 1)[-1]
    [stored] = uploads(lab)
    csrf = form_fields(client.get("/c/photo-lab/q/name").get_data(as_text=True))["csrf_token"]

    stranger = lab.test_client()
    other_csrf = form_fields(stranger.get("/c/photo-lab/q/name").get_data(as_text=True))["csrf_token"]
    assert stranger.post(f"/r/{public_id}/photo/delete", data={"csrf_token": other_csrf}).status_code == 403
    assert client.post(f"/r/{public_id}/photo/delete").status_code == 400  # no CSRF token
    assert stored.exists()

    response = client.post(f"/r/{public_id}/photo/delete", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].endswith(result)
    assert not stored.exists()
    participation = _only_participation(lab)
    assert participation.inputs == {} and participation.inputs_deleted_at is not None


def _only_participation(app) -> Participation:
    with app.extensions["posterbooth.db"].session() as session:
        return session.scalars(select(Participation)).one()


def test_photos_larger_than_the_app_wide_limit_are_accepted(lab) -> None:
    noise = np.random.default_rng(5).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=95)
    assert 3 * MB < out.tell() < 10 * MB  # above the 2 MB the other routes take, below the photo limit
    client = lab.test_client()
    answer_name(client)
    assert post_photo(client, "photo-lab", "selfie", out.getvalue()).status_code == 302
    [stored] = uploads(lab)
    with Image.open(stored) as image:
        assert image.size == (2000, 1500) and stored.stat().st_size <= 4 * MB
