"""Public URLs that leave the site (QR codes, share cards, provider photo links), built in one place."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def campaign_url(base_url: str, slug: str, *, ref: str = "", channel: str = "") -> str:
    """Return the absolute entry URL of a campaign, with a referral code and channel when given."""
    query = urlencode([(key, value) for key, value in (("ref", ref), ("ch", channel)) if value])
    url = f"{base_url.rstrip('/')}/c/{quote(slug, safe='')}"
    return f"{url}?{query}" if query else url


def absolute_url(base_url: str, path: str) -> str:
    """Return ``path`` (starting with /) on the public base URL."""
    return f"{base_url.rstrip('/')}{path}"


def wall_url(base_url: str, slug: str, key: str) -> str:
    """Return the absolute URL of a campaign's event wall, with its secret key."""
    return f"{base_url.rstrip('/')}/wall/{quote(slug, safe='')}?{urlencode([('key', key)])}"
