"""URL converters that refuse malformed tokens in paths with a 404, before a view (or the database) sees them."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter

from posterbooth import formats


class TokenConverter(BaseConverter):
    """A participation's public id or share token."""

    regex = formats.ID_FORMAT


class UploadTokenConverter(BaseConverter):
    """The token of a signed upload link."""

    regex = formats.UPLOAD_LINK_FORMAT


class MediaPathConverter(BaseConverter):
    """The path of a public stored image."""

    regex = formats.MEDIA_PATH
    part_isolating = False


def init_app(app: Flask) -> None:
    """Register the converters (before the blueprints that use them)."""
    app.url_map.converters.update(token=TokenConverter, upload_token=UploadTokenConverter,
                                  media_path=MediaPathConverter)
