"""Images drawn on request, served from the image cache: entry QR codes and favicons, with ETags."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for
from PIL import Image, ImageDraw

from posterbooth import formats
from posterbooth.imagecache import CachedImage, ImageCache
from posterbooth.qr import qr_png, qr_svg
from posterbooth.security import allow_image_draw
from posterbooth.urls import campaign_url
from posterbooth.views import campaign_or_404, public_base_url

bp = Blueprint("images", __name__)

#: QR codes and icons change only with the site's address or the campaign's logo: revalidate weekly.
MAX_AGE = 7 * 24 * 3600
ICON_SIZE = 96
QR_KINDS = {"png": ("image/png", qr_png), "svg": ("image/svg+xml", qr_svg)}


def image_cache() -> ImageCache:
    """Return the app's image cache."""
    return current_app.extensions["posterbooth.images"]


def limited(draw: Callable[[], bytes]) -> Callable[[], bytes]:
    """Wrap an image's drawing so that it counts against IMAGE_RATE_LIMIT (429 when over); cached images are free."""
    def draw_if_allowed() -> bytes:
        if not allow_image_draw(current_app.config["IMAGE_RATE_LIMIT"]):
            abort(429)
        return draw()

    return draw_if_allowed


def image_response(image: CachedImage, mimetype: str, filename: str = "") -> Response:
    """Answer with the image and its ETag (304 when the browser has it), cacheable for a week."""
    response = Response(image.data, mimetype=mimetype)
    response.set_etag(image.etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.make_conditional(request)
    return response


# --- entry QR codes ------------------------------------------------------------------------------

def _entry_url(slug: str) -> str:
    return campaign_url(public_base_url(), slug, channel=formats.channel(request.args.get("ch", "")))


def _qr_key(slug: str, kind: str) -> str:
    return f"qr:{kind}:{_entry_url(slug)}"


def qr_response(slug: str, kind: str) -> Response:
    """Return the campaign's entry QR code (per channel ``?ch=``) as PNG or SVG, drawn once."""
    campaign_or_404(slug)
    mimetype, draw = QR_KINDS[kind]
    url = _entry_url(slug)
    image = image_cache().get(_qr_key(slug, kind), f".{kind}", limited(lambda: draw(url)))
    return image_response(image, mimetype, f"{slug}-qr.{kind}")


# --- favicons ------------------------------------------------------------------------------------

def _default_icon() -> bytes:
    """Draw the default favicon: a poster on an easel-green square."""
    size = 64
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=14, fill="#2F6F5E")
    draw.rounded_rectangle((18, 12, 46, 52), radius=4, fill="#F7F3EC")
    draw.ellipse((25, 19, 39, 33), fill="#E9B949")
    draw.polygon([(21, 49), (30, 36), (36, 43), (40, 38), (43, 49)], fill="#2F6F5E")
    out = io.BytesIO()
    icon.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def _logo_icon(data: bytes) -> bytes:
    """Fit the campaign's logo into a transparent square icon."""
    with Image.open(io.BytesIO(data)) as opened:
        logo = opened.convert("RGBA")
    logo.thumbnail((ICON_SIZE, ICON_SIZE), Image.Resampling.LANCZOS)
    icon = Image.new("RGBA", (ICON_SIZE, ICON_SIZE), (0, 0, 0, 0))
    icon.paste(logo, ((ICON_SIZE - logo.width) // 2, (ICON_SIZE - logo.height) // 2), logo)
    out = io.BytesIO()
    icon.save(out, format="PNG", optimize=True)
    return out.getvalue()


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Return the default favicon."""
    return image_response(image_cache().get("favicon", ".ico", _default_icon), "image/x-icon")


@bp.get("/c/<slug>/icon.png")
def campaign_icon(slug: str) -> Response:
    """Return the campaign's favicon, made from its logo (the default favicon when it has none)."""
    loaded = campaign_or_404(slug)
    path = loaded.asset(loaded.definition.assets.logo)
    if path is None or not path.is_file():
        abort(404)
    stat = path.stat()
    key = f"icon:{path}:{stat.st_mtime_ns}:{stat.st_size}"
    return image_response(image_cache().get(key, ".png", lambda: _logo_icon(path.read_bytes())), "image/png")


def favicon_url(campaign: Any = None) -> str:
    """Return the favicon of a page: the campaign's logo, or the default icon."""
    if campaign is not None and campaign.assets.logo:
        return url_for("images.campaign_icon", slug=campaign.slug)
    return url_for("images.favicon")


def init_app(app: Flask) -> None:
    """Create the image cache under the media folder and offer ``favicon_url`` to templates."""
    app.extensions["posterbooth.images"] = ImageCache(app.config["MEDIA_DIR"])
    app.jinja_env.globals["favicon_url"] = favicon_url
