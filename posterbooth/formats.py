"""The formats of the tokens, ids and names that arrive in URLs, checked before any database or file access.

A value that does not fit its format is refused at once (404 for a path, ignored for an optional query
parameter), so a NUL byte, an overlong name or a stray character never reaches PostgreSQL or the file system.
"""

from __future__ import annotations

import re

#: A participation's public id and share token (``secrets.token_urlsafe(16)`` = 22 characters; some room).
ID_FORMAT = r"[A-Za-z0-9_-]{16,43}"
#: A signed upload link's token (itsdangerous: URL-safe base64 parts joined by dots).
UPLOAD_LINK_FORMAT = r"[A-Za-z0-9_.-]{20,400}"
#: A stored public image: kind/xx/name(-thumb).ext, as MediaStore.save names them.
MEDIA_PATH = r"(?:images|posters|cards)/[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{8,64}(?:\.p)?(?:-thumb)?\.(?:jpg|png|gif|webp)"
#: A referral code as it may arrive in ``?ref=`` (models.new_referral_code makes 12 of [a-z2-9]; older or
#: mistyped codes are still counted as visits, so any short word of letters and digits is kept).
REFERRAL_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
#: Longest channel name kept from ``?ch=``.
CHANNEL_MAX = 40

_MEDIA = re.compile(MEDIA_PATH)


def is_media_path(relative: str) -> bool:
    """Tell whether a path names a public stored image in the format MediaStore gives them."""
    return _MEDIA.fullmatch(relative) is not None


def referral_code(raw: str) -> str:
    """Return the referral code of ``?ref=``, or '' when it is not one."""
    value = raw.strip()
    return value if REFERRAL_CODE.fullmatch(value) else ""


def channel(raw: str) -> str:
    """Return the channel of ``?ch=``: printable text up to CHANNEL_MAX characters, or '' when it is not."""
    value = raw.strip()
    if len(value) > CHANNEL_MAX or not value.isprintable():
        return ""
    return value
