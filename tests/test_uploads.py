"""The upload matrix: every kind of good and bad photo gets the right answer, never a crash.

All fixtures are made here (in memory or under tmp_path); none is committed.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageFile

from posterbooth.uploads import (
    DEFAULT_MAX_OUTPUT_BYTES,
    UPLOAD_ERROR_CODES,
    CleanImage,
    UploadError,
    clean_upload,
    sniff_format,
)

pillow_heif.register_heif_opener()  # so the tests can write HEIC fixtures

UPRIGHT_W, UPRIGHT_H = 240, 160
RED = (220, 30, 30)
BLUE = (30, 60, 220)


def upright_marker() -> np.ndarray:
    """Return an asymmetric upright picture: red square at the top left, blue bar along the bottom."""
    pixels = np.full((UPRIGHT_H, UPRIGHT_W, 3), 245, np.uint8)
    pixels[10:60, 10:60] = RED
    pixels[UPRIGHT_H - 30:UPRIGHT_H - 10, :] = BLUE
    return pixels


def stored_for_orientation(upright: np.ndarray, orientation: int) -> np.ndarray:
    """Return the pixels a camera stores for a picture that looks like ``upright`` under EXIF ``orientation``.

    Derived from the EXIF definition of where the stored row 0 / column 0 appear, not from Pillow.
    """
    if orientation == 1:
        return upright
    if orientation == 2:  # row 0 at the top, column 0 at the right
        return upright[:, ::-1]
    if orientation == 3:  # row 0 at the bottom, column 0 at the right
        return upright[::-1, ::-1]
    if orientation == 4:  # row 0 at the bottom, column 0 at the left
        return upright[::-1, :]
    if orientation == 5:  # row 0 at the left, column 0 at the top
        return upright.transpose(1, 0, 2)
    if orientation == 6:  # row 0 at the right, column 0 at the top
        return np.rot90(upright, 1)
    if orientation == 7:  # row 0 at the right, column 0 at the bottom
        return upright[::-1, ::-1].transpose(1, 0, 2)
    if orientation == 8:  # row 0 at the left, column 0 at the bottom
        return np.rot90(upright, -1)
    raise ValueError(orientation)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Encode an image to bytes with Pillow."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif:
    """Return an EXIF block with an orientation and/or a GPS position in Beijing."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)})
    return exif


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """Return the mean RGB colour of a box (left, top, right, bottom)."""
    return np.asarray(image.convert("RGB").crop(box), np.float64).reshape(-1, 3).mean(axis=0)


def assert_upright(clean: CleanImage) -> None:
    """Check the cleaned picture shows the marker upright."""
    assert (clean.width, clean.height) == (UPRIGHT_W, UPRIGHT_H)
    out = Image.open(io.BytesIO(clean.data))
    assert out.size == (UPRIGHT_W, UPRIGHT_H)
    assert np.abs(mean_colour(out, (15, 15, 55, 55)) - RED).max() < 30, "red square not at the top left"
    assert mean_colour(out, (UPRIGHT_W - 55, 15, UPRIGHT_W - 15, 55)).min() > 200, "top right not blank"
    assert np.abs(mean_colour(out, (0, UPRIGHT_H - 26, UPRIGHT_W, UPRIGHT_H - 14)) - BLUE).max() < 30
    assert mean_colour(out, (0, 64, UPRIGHT_W, 90)).min() > 200, "middle band not blank"


def assert_no_metadata(clean: CleanImage) -> None:
    """Check the cleaned bytes carry no EXIF, GPS, XMP, ICC profile or comment."""
    out = Image.open(io.BytesIO(clean.data))
    assert len(out.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "dpi"):
        assert key not in out.info, key
    for needle in (b"Exif", b"GPS", b"ICC_PROFILE", b"iCCP", b"eXIf", b"http://ns.adobe.com", b"PhoneMaker",
                   b"secret-comment", b"tEXt", b"zTXt", b"iTXt"):
        assert needle not in clean.data, needle


# -- the upload matrix: valid photos in every orientation ---------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_exif_orientation_comes_out_upright(tmp_path: Path, fmt: str, orientation: int) -> None:
    stored = Image.fromarray(np.ascontiguousarray(stored_for_orientation(upright_marker(), orientation)))
    params: dict[str, object] = {"exif": exif_with(orientation)}
    if fmt != "PNG":
        params["quality"] = 95
    path = tmp_path / f"photo-{orientation}.{fmt.lower()}"
    path.write_bytes(encode(stored, fmt, **params))
    with Image.open(path) as fixture:
        assert fixture.getexif()[0x0112] == orientation  # the fixture carries the tag
    clean = clean_upload(path.read_bytes())
    assert clean.format == "jpeg" and clean.content_type == "image/jpeg" and clean.extension == "jpg"
    assert clean.source_format == {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}[fmt]
    assert_upright(clean)
    assert_no_metadata(clean)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_heic_is_read_upright(orientation: int) -> None:
    stored = Image.fromarray(np.ascontiguousarray(stored_for_orientation(upright_marker(), orientation)))
    # As bytes, pillow_heif turns the EXIF orientation into the HEIF rotation/mirror boxes a camera writes
    # (HEIF readers follow those boxes and ignore the EXIF tag, as the HEIF standard says).
    data = encode(stored, "HEIF", exif=exif_with(orientation, gps=True).tobytes(), quality=90)
    assert sniff_format(data) == "heic"
    clean = clean_upload(data)
    assert clean.source_format == "heic" and clean.format == "jpeg"
    assert_upright(clean)
    assert_no_metadata(clean)
    with pytest.raises(UploadError) as refused:
        clean_upload(data, allowed=("jpeg", "png"))
    assert refused.value.code == "unsupported_format"


# -- GPS and every other kind of metadata ----------------------------------------------------------------


@pytest.mark.parametrize("with_profile", [False, True])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_and_all_metadata_are_stripped(fmt: str, with_profile: bool) -> None:
    photo = Image.fromarray(upright_marker())
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://ns.adobe.com/x"/></x:xmpmeta>'
    params: dict[str, object] = {"exif": exif_with(1, gps=True)}
    if with_profile:
        params["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if fmt == "JPEG":
        params.update(comment=b"secret-comment", xmp=xmp)
    if fmt == "WEBP":
        params.update(xmp=xmp)
    data = encode(photo, fmt, **params)
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825)[1] == "N"  # the fixture really has GPS
    assert b"GPS" in data or b"\x88\x25" in data
    clean = clean_upload(data)
    assert_no_metadata(clean)
    assert_upright(clean)


def test_transparent_png_stays_png_without_metadata() -> None:
    rgba = np.zeros((120, 200, 4), np.uint8)
    rgba[20:100, 40:160] = (10, 160, 90, 255)
    data = encode(Image.fromarray(rgba), "PNG", exif=exif_with(1, gps=True))
    clean = clean_upload(data)
    assert clean.format == "png" and clean.content_type == "image/png"
    out = Image.open(io.BytesIO(clean.data))
    assert out.mode == "RGBA"
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((100, 60)) == (10, 160, 90, 255)
    assert_no_metadata(clean)


def test_opaque_rgba_becomes_jpeg() -> None:
    rgba = np.full((120, 200, 4), 255, np.uint8)
    clean = clean_upload(encode(Image.fromarray(rgba), "PNG"))
    assert clean.format == "jpeg"


def test_embedded_colour_profile_is_applied_then_dropped() -> None:
    """A CMYK JPEG with a profile, and a greyscale 16-bit PNG, come out as plain sRGB."""
    cmyk = Image.new("CMYK", (100, 80), (0, 255, 255, 0))  # pure red ink
    clean = clean_upload(encode(cmyk, "JPEG", quality=95))
    red = mean_colour(Image.open(io.BytesIO(clean.data)), (10, 10, 90, 70))
    assert red[0] > 200 and red[1] < 80 and red[2] < 80
    grey16 = Image.fromarray(np.full((80, 100), 32768, np.uint16))
    assert grey16.mode.startswith("I")
    clean = clean_upload(encode(grey16, "PNG"))
    grey = mean_colour(Image.open(io.BytesIO(clean.data)), (0, 0, 100, 80))
    assert 120 < grey[0] < 136, grey  # half of the 16-bit range, not clipped to white


# -- resizing to the provider's limits -------------------------------------------------------------------


def test_large_photo_is_shrunk_to_max_side() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    photo = Image.fromarray(base).resize((4000, 3000), Image.Resampling.BICUBIC)
    data = encode(photo, "JPEG", quality=90, exif=exif_with(6))
    clean = clean_upload(data)
    assert (clean.width, clean.height) == (1536, 2048)  # rotated upright, then shrunk
    assert Image.open(io.BytesIO(clean.data)).size == (1536, 2048)
    small = clean_upload(data, max_side=1000)
    assert max(small.width, small.height) == 1000
    assert len(clean.data) <= DEFAULT_MAX_OUTPUT_BYTES


def test_output_fits_the_byte_budget() -> None:
    noise = np.random.default_rng(5).integers(0, 255, (1500, 1500, 4), dtype=np.uint8)
    noise[..., 3] = np.where(noise[..., 3] > 128, 255, 0)  # real transparency: stays PNG
    data = encode(Image.fromarray(noise), "PNG", compress_level=1)
    clean = clean_upload(data, max_output_bytes=1_000_000, max_bytes=20 * 1024 * 1024)
    assert clean.format == "png" and len(clean.data) <= 1_000_000
    assert max(clean.width, clean.height) < 1500


# -- refusals ---------------------------------------------------------------------------------------------


def refused(data: bytes, **kwargs: object) -> str:
    """Return the UploadError code clean_upload raises for ``data``."""
    with pytest.raises(UploadError) as caught:
        clean_upload(data, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code in UPLOAD_ERROR_CODES
    return caught.value.code


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert refused(path.read_bytes()) == "empty"


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = encode(Image.fromarray(upright_marker()).resize((800, 600)), "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert refused(path.read_bytes()) == "broken"


def test_text_file_renamed_jpg(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_text("Dear attendee, this is a letter and not a photo.\n" * 20, encoding="utf-8")
    assert refused(path.read_bytes()) == "not_an_image"
    assert refused(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "not_an_image"
    assert refused(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom") == "not_an_image"  # a video


def test_other_picture_formats_are_unsupported() -> None:
    picture = Image.fromarray(upright_marker())
    assert refused(encode(picture, "BMP")) == "unsupported_format"
    assert refused(encode(picture, "TIFF")) == "unsupported_format"


def test_gif_where_none_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"  # a misleading name changes nothing
    path.write_bytes(encode(Image.fromarray(upright_marker()), "GIF"))
    assert refused(path.read_bytes()) == "unsupported_format"
    clean = clean_upload(path.read_bytes(), allowed=("jpeg", "gif"))
    assert clean.source_format == "gif" and clean.format == "jpeg"
    assert_upright(clean)


def animated(fmt: str) -> bytes:
    """Return a two-frame animation in a format."""
    frames = [Image.new("RGB", (120, 120), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animations_are_refused(fmt: str) -> None:
    allowed = ("jpeg", "png", "webp", "gif")
    assert refused(animated(fmt), allowed=allowed) == "animated"
    first = clean_upload(animated(fmt), allowed=allowed, allow_animated=True)
    assert mean_colour(Image.open(io.BytesIO(first.data)), (0, 0, 120, 120))[0] > 150  # the first frame


def test_too_small() -> None:
    assert refused(encode(Image.new("RGB", (40, 300)), "PNG")) == "too_small"


def test_thirty_megabyte_file(tmp_path: Path, no_decoding: list[str]) -> None:
    noise = np.random.default_rng(7).integers(0, 255, (3300, 3100, 3), dtype=np.uint8)
    path = tmp_path / "huge.png"
    Image.fromarray(noise).save(path, "PNG", compress_level=0)
    data = path.read_bytes()
    assert len(data) > 30 * 1000 * 1000
    assert refused(data) == "too_large"
    assert no_decoding == []  # refused on the byte count, nothing decoded


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk with its CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(side: int) -> bytes:
    """Return a small, valid 1-bit PNG that decompresses to side x side pixels of zeros."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    block = row * 256
    idat = b"".join(packer.compress(block) for _ in range(side // 256)) + packer.compress(row * (side % 256))
    idat += packer.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every attempt to decode pixels."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        calls.append(f"{self.format} {self.size}")
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def test_png_bomb_is_refused_without_decoding(tmp_path: Path, no_decoding: list[str]) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(40000))
    data = path.read_bytes()
    assert len(data) < 1_000_000  # tiny on disk: 1.6 gigapixels once decoded
    assert struct.unpack(">II", data[16:24]) == (40000, 40000)  # what the IHDR header claims
    assert refused(data) == "too_many_pixels"
    assert no_decoding == []


@pytest.mark.parametrize("side", [7500, 10000])
def test_pixel_limit_is_checked_before_decoding(side: int, no_decoding: list[str]) -> None:
    """Below Pillow's own bomb limit our limit refuses; above it, Pillow's warning is a refusal too."""
    data = png_bomb(side)
    assert refused(data) == "too_many_pixels"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # how production runs: a warning is not an error there
        assert refused(data) == "too_many_pixels"
    assert no_decoding == []
    assert refused(png_bomb(3000), max_pixels=4_000_000) == "too_many_pixels"


def test_unknown_allowed_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown upload formats"):
        clean_upload(b"x", allowed=("jpeg", "bmp"))
    with pytest.raises(ValueError, match="unknown upload error code"):
        UploadError("nope")


# -- never a crash ----------------------------------------------------------------------------------------


def small_photo(fmt: str) -> bytes:
    """Return a small, detailed photo-like picture with EXIF, in a format."""
    rng = np.random.default_rng(11)
    base = Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).resize((160, 120), Image.BICUBIC)
    params: dict[str, object] = {"exif": exif_with(6, gps=True)}
    return encode(base, fmt, **params)


def accepted_or_refused(data: bytes) -> None:
    """Clean ``data``: it must either give a decodable picture or raise UploadError, nothing else."""
    try:
        clean = clean_upload(data, allowed=("jpeg", "png", "webp", "heic", "gif"))
    except UploadError as exc:
        assert exc.code in UPLOAD_ERROR_CODES
        return
    out = Image.open(io.BytesIO(clean.data))
    out.load()
    assert out.size == (clean.width, clean.height)


def test_fuzz_random_bytes() -> None:
    rng = random.Random(20240601)
    magics = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x10\x00\x00WEBP", b"GIF89a",
              b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"]
    for _ in range(300):
        data = rng.choice(magics) + rng.randbytes(rng.randint(0, 2000))
        accepted_or_refused(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF", "GIF"])
def test_fuzz_truncations_and_corruptions(fmt: str) -> None:
    rng = random.Random(fmt)
    data = small_photo(fmt)
    accepted_or_refused(data)
    for _ in range(60):
        accepted_or_refused(data[: rng.randint(0, len(data) - 1)])
    for _ in range(60):
        corrupt = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            corrupt[rng.randrange(len(corrupt))] = rng.randrange(256)
        accepted_or_refused(bytes(corrupt))


@pytest.mark.parametrize("mode", ["LA", "P"])
def test_greyscale_and_palette_transparency_is_kept(mode: str) -> None:
    picture = Image.new("LA", (120, 80), (0, 0))
    picture.paste(Image.new("LA", (60, 40), (200, 255)), (30, 20))  # an opaque light-grey square on nothing
    if mode == "P":
        picture = picture.convert("RGBA").convert("P")  # one palette entry transparent ("transparency" info)
        picture.info["transparency"] = picture.getpixel((0, 0))
    clean = clean_upload(encode(picture, "PNG"))
    out = Image.open(io.BytesIO(clean.data))
    assert clean.format == "png" and out.mode == "RGBA"
    assert out.getpixel((0, 0))[3] == 0
    assert out.getpixel((60, 40)) == (200, 200, 200, 255)
