"""What the attendee's hot path computes once per campaign version: rendered pages and image sizes.

A campaign version never changes in place (an edit, hot-reloaded, is a new ``LoadedCampaign``), so its
object identity is its version: entries are kept with the object they were made for and used only while it
is still the one the app serves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app, render_template, request
from PIL import Image, UnidentifiedImageError

from posterbooth.campaigns import LoadedCampaign
from posterbooth.theme import theme_style


class VersionCache:
    """Values computed once per (campaign version, key)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Hashable], tuple[LoadedCampaign, Any]] = {}
        self._lock = threading.Lock()

    def get(self, loaded: LoadedCampaign, key: Hashable, make: Callable[[], Any]) -> Any:
        """Return the value for this campaign version and key, making it on first use."""
        entry = self._values.get((loaded.slug, key))
        if entry is not None and entry[0] is loaded:
            return entry[1]
        value = make()
        with self._lock:
            self._values[(loaded.slug, key)] = (loaded, value)
        return value


def _cache() -> VersionCache:
    return current_app.extensions["posterbooth.pages"]


def _measure(loaded: LoadedCampaign, kind: str) -> tuple[int, int] | None:
    path = loaded.asset(getattr(loaded.definition.assets, kind))
    if path is None:
        return None
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError):
        return None


def asset_size(loaded: LoadedCampaign, kind: str) -> tuple[int, int] | None:
    """Return the intrinsic (width, height) of the campaign's cover or logo, measured once per version."""
    return _cache().get(loaded, ("size", kind), lambda: _measure(loaded, kind))


def landing_page(loaded: LoadedCampaign, start_url: Callable[[], str], paused: bool = False,
                 unavailable: tuple[str, str] | None = None) -> str:
    """Return the landing page's HTML, rendered once per campaign version, schedule state, pause, cap state
    (``unavailable``: why it takes no participation now) and mount point."""
    is_open, started = loaded.is_open(), loaded.has_started()
    key = ("landing", is_open, started, paused, unavailable, request.script_root)
    return _cache().get(loaded, key, lambda: render_template(
        "campaign/landing.html", loaded=loaded, campaign=loaded.definition, open=is_open, started=started,
        start_url=start_url(), paused=paused, unavailable=unavailable,
    ))


def init_app(app: Flask) -> None:
    """Keep the per-version cache on the app and offer ``theme_style`` and ``asset_size`` to templates."""
    app.extensions["posterbooth.pages"] = VersionCache()
    app.jinja_env.globals["theme_style"] = theme_style
    app.jinja_env.globals["asset_size"] = asset_size
