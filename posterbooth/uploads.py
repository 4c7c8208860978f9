"""Accept an attendee's photo safely: identify it by content, refuse bombs, clean and resize it.

:func:`clean_upload` takes the raw bytes of an upload and returns a :class:`CleanImage`:
upright (EXIF orientation applied), in sRGB, without any metadata (EXIF and GPS, XMP,
ICC profile, comments), no larger than the provider allows, re-encoded as JPEG (or PNG
when the photo has transparency). Anything it cannot accept raises :class:`UploadError`
with one of :data:`UPLOAD_ERROR_CODES`, which the web maps to a translated message.

The file name and the client's content type are never consulted: the format comes from
the bytes. Dimensions are checked from the header, before any pixel is decoded.

Decoding stays within a memory budget: the decoded size (width × height × bytes per pixel of
the mode it is worked on) is capped for every format, a tiny file that claims a huge picture
(an extreme pixels-per-byte ratio) is refused before decoding, 16- and 32-bit greyscale is
brought to 8 bits in row bands without float copies of the whole picture, the picture is
shrunk before it is converted to RGB, and at most :data:`DECODE_SLOTS` decodes run at once in
a process (the others wait their turn).
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps

log = logging.getLogger(__name__)

#: Every code :class:`UploadError` can carry, for the web's code → message table.
UPLOAD_ERROR_CODES = (
    "empty",  # no bytes at all
    "too_large",  # more bytes than allowed
    "too_many_pixels",  # the header claims more pixels than allowed (or a decompression bomb)
    "too_small",  # too few pixels to be a usable photo
    "not_an_image",  # not a picture format at all (text, PDF, random bytes...)
    "unsupported_format",  # a picture, but of a format this campaign does not take (GIF, BMP, AVIF...)
    "animated",  # an animated picture (animated WebP/PNG/GIF) where a still photo is needed
    "broken",  # claims to be a supported picture but cannot be decoded (truncated, corrupt)
)

#: Formats :func:`clean_upload` can accept, by the name used in ``allowed``.
KNOWN_FORMATS = ("jpeg", "png", "webp", "heic", "gif")

#: Pillow's plugin name for each accepted format.
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF", "gif": "GIF"}

DEFAULT_ALLOWED = ("jpeg", "png", "webp", "heic")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: 50 megapixels: every common phone camera mode, far below what would exhaust a worker.
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_SIDE = 2048
#: Kinds whose provider takes smaller photos: AI 写真's base photo must be under 2000 px a side.
KIND_MAX_SIDE = {"portrait": 1920}
DEFAULT_MIN_SIDE = 64
#: Decoded bytes allowed for one upload (width × height × bytes per pixel): about 40 Mpx of RGB.
DEFAULT_MAX_DECODED_BYTES = 160 * 1024 * 1024
#: A file this many times smaller than its pixel count is a decompression bomb, not a photo (phone photos
#: are under 20 pixels per byte); only checked above CHECK_RATIO_ABOVE pixels, so small flat pictures pass.
DEFAULT_MAX_PIXELS_PER_BYTE = 100
CHECK_RATIO_ABOVE = 4_000_000
#: Decodes that may run at once in one process; more wait for a free slot.
DECODE_SLOTS = 2
_decode_slots = threading.BoundedSemaphore(DECODE_SLOTS)
#: Bytes per pixel of each mode as Pillow holds it (and as it is worked on: palette and 1-bit pictures are
#: converted to RGBA before they are shrunk).
_BYTES_PER_PIXEL = {"1": 4, "P": 4, "PA": 4, "L": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
#: Rows converted at once when bringing high-bit-depth greyscale to 8 bits.
_BAND_ROWS = 256
#: Encoded output budget: GenerateAvatar takes < 6 MB, the other Tencent actions < 8 MB of base64.
DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class UploadError(ValueError):
    """An upload that cannot be accepted; ``code`` is one of :data:`UPLOAD_ERROR_CODES`."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in UPLOAD_ERROR_CODES:
            raise ValueError(f"unknown upload error code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CleanImage:
    """A cleaned, re-encoded upload ready to store and to send to a provider."""

    data: bytes
    #: "jpeg" or "png" (PNG only when the picture has transparency).
    format: str
    width: int
    height: int
    #: The format the attendee uploaded, as identified from its bytes ("jpeg", "heic"...).
    source_format: str

    @property
    def content_type(self) -> str:
        """Return the MIME type of :attr:`data`."""
        return f"image/{self.format}"

    @property
    def extension(self) -> str:
        """Return the file extension for :attr:`data`, without the dot."""
        return "jpg" if self.format == "jpeg" else self.format


def sniff_format(data: bytes) -> str | None:
    """Name the picture format of ``data`` from its magic bytes, or return None when it is no picture."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
        if brands & _AVIF_BRANDS:
            return "avif"
        if brands & _HEIF_BRANDS:
            return "heic"
        return None  # an MP4/MOV video or another ISO media file
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    if head[:4] == b"8BPS":
        return "psd"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jxl"
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return "jpeg2000"
    return None


@functools.cache
def _register_heif() -> bool:
    """Register pillow_heif's HEIF opener once; tell whether HEIC can be read."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def clean_upload(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allowed: tuple[str, ...] = DEFAULT_ALLOWED,
    max_side: int = DEFAULT_MAX_SIDE,
    min_side: int = DEFAULT_MIN_SIDE,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    allow_animated: bool = False,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
    max_pixels_per_byte: float = DEFAULT_MAX_PIXELS_PER_BYTE,
) -> CleanImage:
    """Check, orient, strip, resize and re-encode an uploaded photo; raise UploadError when refused.

    ``max_pixels_per_byte`` 0 switches the ratio check off (for tests of the decoder's own budget).
    """
    unknown = set(allowed) - set(KNOWN_FORMATS)
    if unknown:
        raise ValueError(f"unknown upload formats {sorted(unknown)}; known: {KNOWN_FORMATS}")
    if not data:
        raise UploadError("empty")
    if len(data) > max_bytes:
        raise UploadError("too_large", f"{len(data)} bytes > {max_bytes}")
    fmt = sniff_format(data)
    if fmt is None:
        raise UploadError("not_an_image")
    if fmt not in allowed or (fmt == "heic" and not _register_heif()):
        raise UploadError("unsupported_format", fmt)

    with _decode_slots:
        image = _open(data, fmt, max_pixels=max_pixels, min_side=min_side, allow_animated=allow_animated)
        try:
            _check_budget(image, fmt, len(data), max_side, max_decoded_bytes, max_pixels_per_byte)
            picture = _decode(image, fmt, max_side)
        finally:
            image.close()
        picture = _fit(picture, max_side)
        return _encode(picture, fmt, max_output_bytes)


def _check_budget(image: Image.Image, fmt: str, size: int, max_side: int, max_decoded_bytes: int,
                  max_pixels_per_byte: float) -> None:
    """Refuse, before decoding, a picture whose pixels would take more memory than allowed."""
    width, height = image.size
    pixels = width * height
    if max_pixels_per_byte and pixels > CHECK_RATIO_ABOVE and pixels > size * max_pixels_per_byte:
        raise UploadError("too_many_pixels", f"{width}x{height} from {size} bytes: a decompression bomb")
    if fmt == "jpeg":
        scale = max_side / max(width, height)
        if scale < 1:  # decoded at 1/2, 1/4 or 1/8 scale (see _decode)
            factor = 8 if scale <= 1 / 8 else 4 if scale <= 1 / 4 else 2 if scale <= 1 / 2 else 1
            pixels = -(-width // factor) * -(-height // factor)
    decoded = pixels * _BYTES_PER_PIXEL.get(image.mode, 4)
    if decoded > max_decoded_bytes:
        raise UploadError("too_many_pixels", f"{width}x{height} {image.mode} decodes to {decoded} bytes "
                                             f"> {max_decoded_bytes}")


def _open(data: bytes, fmt: str, *, max_pixels: int, min_side: int, allow_animated: bool) -> Image.Image:
    """Open the header only (no pixels decoded) and check format, frame count and dimensions."""
    try:
        image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit (MAX_IMAGE_PIXELS) is checked on the header, before decoding.
        raise UploadError("too_many_pixels", str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure on untrusted bytes is a broken file
        raise UploadError("broken", f"{type(exc).__name__}: {exc}") from exc
    try:
        width, height = image.size
        if width * height > max_pixels:
            raise UploadError("too_many_pixels", f"{width}x{height} > {max_pixels} pixels")
        if min(width, height) < min_side:
            raise UploadError("too_small", f"{width}x{height}, less than {min_side} px")
        if fmt != "heic" and getattr(image, "is_animated", False) and not allow_animated:
            # HEIC files may hold several still images (bursts, depth); the primary one is used.
            raise UploadError("animated")
    except BaseException:
        image.close()
        raise
    return image


def _decode(image: Image.Image, fmt: str, max_side: int) -> Image.Image:
    """Decode the pixels (shrinking JPEGs while decoding) and return an upright RGB or RGBA image."""
    try:
        if fmt == "jpeg":
            scale = max_side / max(image.size)
            if scale < 1:
                # Decode at 1/2, 1/4 or 1/8 scale when that still leaves at least the target size.
                image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
        image.load()
        info = dict(image.info)
        working = _eight_bit(image)
        if working.mode in ("1", "P", "PA"):
            working = working.convert("RGBA" if "transparency" in info or working.mode == "PA" else "RGB")
        # Shrink before orienting and converting to RGB: those copies are then small.
        working = _fit(working, max_side)
        working.info.update(info)
        upright = _exif_transpose(working)
        return _to_srgb(upright, info.get("icc_profile"))
    except UploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data fails in many ways inside decoders
        raise UploadError("broken", f"{type(exc).__name__}: {exc}") from exc


def _exif_transpose(image: Image.Image) -> Image.Image:
    """Apply the EXIF (or XMP) orientation; an unreadable EXIF block counts as "upright"."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception as exc:  # noqa: BLE001 - the metadata is dropped anyway; keep the pixels
        log.info("ignoring unreadable EXIF orientation: %s", exc)
        return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Return the pixels as RGB or RGBA in sRGB, converting through the embedded ICC profile if any."""
    alpha: Image.Image | None = None
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        colour = image.convert("L") if image.mode in ("LA", "La") else rgba.convert("RGB")
    else:
        colour = image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                colour, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                colour = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            log.info("ignoring unusable ICC profile: %s", exc)
    colour = colour.convert("RGB")
    if alpha is not None:
        colour.putalpha(alpha)
    return colour


def _eight_bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit and 32-bit greyscale images down to 8-bit "L" (Pillow's convert would clip them).

    16-bit samples keep their high byte; 32-bit ones are scaled in bands of rows: no float copy of the
    whole picture is ever made.
    """
    if image.mode not in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return image
    width, height = image.size
    out = np.empty((height, width), dtype=np.uint8)
    sixteen = image.mode.startswith("I;16")
    extrema = image.getextrema()  # (low, high) for these one-band modes
    high = float(extrema[1]) if isinstance(extrema[1], int | float) else 0.0
    scale = 255.0 / (65535.0 if sixteen or high > 255 else 255.0)
    for top in range(0, height, _BAND_ROWS):
        band = np.asarray(image.crop((0, top, width, min(height, top + _BAND_ROWS))))
        if sixteen:
            np.right_shift(band, 8, out=out[top:top + _BAND_ROWS], casting="unsafe")
        else:
            scaled = band.astype(np.float32) * scale
            np.clip(scaled, 0, 255, out=scaled)
            out[top:top + _BAND_ROWS] = scaled
    return Image.fromarray(out, "L")


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink the image so its longer side is at most ``max_side`` (never enlarge)."""
    longest = max(image.size)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fresh(image: Image.Image) -> Image.Image:
    """Copy the pixels into a new image that carries no info, EXIF, ICC profile or comment."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, source_format: str, max_output_bytes: int) -> CleanImage:
    """Encode without metadata as JPEG (or PNG with transparency), shrinking until it fits the budget."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    while True:
        clean = _fresh(image)
        buffer = io.BytesIO()
        if clean.mode == "RGBA":
            clean.save(buffer, "PNG", optimize=False, compress_level=6)
            fmt = "png"
        else:
            for quality in (90, 82, 74):
                buffer = io.BytesIO()
                clean.save(buffer, "JPEG", quality=quality, optimize=True, progressive=False)
                if buffer.tell() <= max_output_bytes:
                    break
            fmt = "jpeg"
        if buffer.tell() <= max_output_bytes or max(image.size) <= 256:
            return CleanImage(buffer.getvalue(), fmt, clean.width, clean.height, source_format)
        image = image.resize(
            (max(1, round(image.width * 0.8)), max(1, round(image.height * 0.8))), Image.Resampling.LANCZOS
        )


def upload_side(kind: str) -> int:
    """Return the longest side a photo of a campaign of this generation kind is stored at."""
    return KIND_MAX_SIDE.get(kind, DEFAULT_MAX_SIDE)
