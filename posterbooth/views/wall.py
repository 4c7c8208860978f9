"""The event wall (/wall/<slug>?key=...): a venue screen of fresh posters, its JSON feed and its poster images."""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache, TTLCache
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_file, url_for

from posterbooth.campaigns import LoadedCampaign
from posterbooth.extensions import get_db
from posterbooth.i18n import use_locale
from posterbooth.storage import MediaStore
from posterbooth.theme import readable
from posterbooth.views import campaign_or_404
from posterbooth.wall import key_matches, on_wall, posters_made, screen_copy, wall_posters

bp = Blueprint("wall", __name__, url_prefix="/wall")

#: How often the screen asks for the feed (milliseconds): a new poster shows within two polls.
POLL_MS = 2000
#: Screens of one campaign share one feed computation per this many seconds (per process).
FEED_SECONDS = 1.0
#: The dark page behind the posters.
WALL_BACKGROUND = "#0B0D12"
#: The screen copies of posters, by stored path (it changes when a poster is taken down): about 60 kB each.
_copies: LRUCache[str, bytes] = LRUCache(maxsize=48 * 1024 * 1024, getsizeof=len)
_lock = threading.Lock()


def _keyed(slug: str) -> LoadedCampaign:
    """Return the campaign if the request carries its wall key; 404 otherwise (as for an unknown campaign)."""
    loaded = campaign_or_404(slug)
    if not key_matches(current_app.config["SECRET_KEY"], slug, request.args.get("key")):
        abort(404)
    return loaded


def _private(response: Response, cache: str = "no-store") -> Response:
    response.headers["Cache-Control"] = cache
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"  # the key stays out of other sites' logs
    return response


def _feeds() -> TTLCache[tuple[str, str], dict[str, Any]]:
    """Return this app's cache of computed feeds (kept on the app: another app in the process has its own)."""
    feeds: TTLCache[tuple[str, str], dict[str, Any]] | None = current_app.extensions.get("posterbooth.wall_feeds")
    if feeds is None:
        with _lock:
            feeds = current_app.extensions.setdefault("posterbooth.wall_feeds",
                                                      TTLCache(maxsize=256, ttl=FEED_SECONDS))
    return feeds


def forget_feed(slug: str) -> None:
    """Drop this process's cached feed of a campaign (a poster was approved, rejected or taken down)."""
    feeds = _feeds()
    with _lock:
        for key in [key for key in feeds if key[0] == slug]:
            feeds.pop(key, None)


def _feed(loaded: LoadedCampaign, key: str) -> dict[str, Any]:
    moderation = loaded.definition.wall.moderation
    cache_key = (loaded.slug, moderation)
    feeds = _feeds()
    with _lock:
        cached = feeds.get(cache_key)
    if cached is None:
        db = get_db()
        cached = {
            "count": posters_made(db, loaded.slug),
            # v: which file (an edited poster's chosen version) - a new choice is a new URL, past the browser cache
            "posters": [{"id": p.content_id, "src": url_for("wall.poster", slug=loaded.slug, content_id=p.content_id,
                                                            v=p.poster_path.rsplit("/", 1)[-1][:8])}
                        for p in wall_posters(db, loaded.slug, moderation)],
        }
        with _lock:
            feeds[cache_key] = cached
    suffix = f"&key={key}"
    return {"count": cached["count"], "poll": POLL_MS,
            "posters": [{"id": p["id"], "src": p["src"] + suffix} for p in cached["posters"]]}


@bp.get("/<slug>")
def screen(slug: str) -> Response:
    """Show the wall: the newest posters as a moving mosaic, the title, the entry QR code and a counter."""
    loaded = _keyed(slug)
    campaign = loaded.definition
    use_locale(campaign.locale)
    key = request.args["key"]
    layout = campaign.poster
    ratio = max(0.5, min(layout.width / layout.height, 1.0))
    html = render_template(
        "wall/wall.html", loaded=loaded, campaign=campaign, feed=_feed(loaded, key), ratio=f"{ratio:.4f}",
        feed_url=url_for("wall.feed", slug=slug, key=key),
        qr_url=url_for("campaign.qr_code_svg", slug=slug, ch="wall"),
        accent=readable(campaign.theme.primary, (WALL_BACKGROUND,)), background=WALL_BACKGROUND,
        logo_url=url_for("campaign.asset", slug=slug, kind="logo") if campaign.assets.logo else "",
    )
    return _private(Response(html, mimetype="text/html"))


@bp.get("/<slug>/feed.json")
def feed(slug: str) -> Response:
    """Return the wall's current posters (newest first) and the posters made so far, as small JSON."""
    loaded = _keyed(slug)
    return _private(jsonify(_feed(loaded, request.args["key"])))


@bp.get("/<slug>/p/<content_id>.jpg")
def poster(slug: str, content_id: str) -> Response:
    """Return a poster on the wall, scaled for the screen; 404 once it has left the wall."""
    loaded = _keyed(slug)
    found = on_wall(get_db(), slug, loaded.definition.wall.moderation, content_id)
    path = MediaStore(current_app.config["MEDIA_DIR"]).path(found.poster_path) if found is not None else None
    if found is None or path is None:
        abort(404)
    if path.suffix.lower() != ".jpg":  # an animated sticker (GIF) plays as it is
        return _private(send_file(path, max_age=0), "private, max-age=3600")
    with _lock:
        data = _copies.get(found.poster_path)
    if data is None:
        data = screen_copy(path.read_bytes())
        with _lock:
            _copies[found.poster_path] = data
    return _private(Response(data, mimetype="image/jpeg"), "private, max-age=3600")
