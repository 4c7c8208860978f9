"""Accept an attendee's photo safely: identify it by content, refuse bombs, clean and resize it.

:func:`clean_upload` takes the raw bytes of an upload and returns a :class:`CleanImage`:
upright (EXIF orientation applied), in sRGB, without any metadata (EXIF and GPS, XMP,
ICC profile, comments), no larger than the provider allows, re-encoded as JPEG (or PNG
when the photo has transparency). Anything it cannot accept raises :class:`UploadError`
with one of :data:`UPLOAD_ERROR_CODES`, which the web maps to a translated message.

The file name and the client's content type are never consulted: the format comes from
the bytes. Dimensions are checked from the header, before any pixel is decoded.
"""

from __future__ import annotations

import functools
import io
import logging
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
DEFAULT_MIN_SIDE = 64
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
) -> CleanImage:
    """Check, orient, strip, resize and re-encode an uploaded photo; raise UploadError when refused."""
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

    image = _open(data, fmt, max_pixels=max_pixels, min_side=min_side, allow_animated=allow_animated)
    try:
        picture = _decode(image, fmt, max_side)
    finally:
        image.close()
    picture = _fit(picture, max_side)
    return _encode(picture, fmt, max_output_bytes)


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
        icc = image.info.get("icc_profile")
        upright = _exif_transpose(image)
        return _to_srgb(upright, icc)
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
    image = _eight_bit(image)
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
    """Scale 16-bit and 32-bit greyscale images down to 8-bit "L" (Pillow's convert would clip them)."""
    if image.mode not in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return image
    array = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(array * (255.0 / top), 0, 255).astype(np.uint8), "L")


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
