"""The web app factory: settings, campaigns, services and blueprints, put together for Flask."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from posterbooth.campaign_registry import CampaignRegistry
from posterbooth.config import PUBLIC_BASE_URL_MISSING, ROOT, ConfigError, Settings, load_settings
from posterbooth.fonts import log_font_chain
from posterbooth.generation.context import providers_in_use
from posterbooth.migrate import pending
from posterbooth.providers import missing_credentials


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the web app: settings, campaigns, database, queue and blueprints."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    overrides = dict(test_config or {})
    settings = load_settings()
    known = {f.name for f in dataclasses.fields(Settings)}
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if k in known})
    app.config.update(settings.as_flask_config())
    app.config.update(
        SETTINGS=settings,
        SESSION_COOKIE_NAME="pb_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.SECURE_COOKIES,
        PERMANENT_SESSION_LIFETIME=7 * 24 * 3600,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.config.update({k: v for k, v in overrides.items() if k not in known})
    logging.getLogger("posterbooth").setLevel(settings.LOG_LEVEL)

    from posterbooth import campaigns, cli, devices, errors, events, extensions, i18n, security
    from posterbooth.providers import check_settings
    from posterbooth.views import (
        campaign,
        converters,
        edits,
        health,
        home,
        images,
        media,
        page_cache,
        photos,
        reports,
        result,
        share,
        wall,
        wechat,
        wechat_oauth,
    )

    check_settings(settings)
    try:
        app.extensions["posterbooth.campaigns"] = CampaignRegistry(settings.CAMPAIGNS_DIR,
                                                                   interval=settings.CAMPAIGN_RELOAD_SECONDS)
    except campaigns.CampaignError as exc:
        if not _command_line_tool():
            raise
        app.extensions["posterbooth.campaigns"] = {}
        app.config["CAMPAIGN_ERROR"] = exc
    log_font_chain({slug: loaded.asset(loaded.definition.assets.font)
                    for slug, loaded in app.extensions["posterbooth.campaigns"].items()})
    if not settings.REDIS_URL and not _command_line_tool():
        raise ConfigError("REDIS_URL is not set: run `python app.py` (embedded mode) or set REDIS_URL")
    if not settings.PUBLIC_BASE_URL and not _command_line_tool():
        raise ConfigError(PUBLIC_BASE_URL_MISSING)
    app.config["TRUSTED_HOSTS"] = trusted_hosts(settings.PUBLIC_BASE_URL)
    settings.MEDIA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.extensions["posterbooth.blocklist"] = _blocklist(settings.BLOCKLIST_FILE)
    extensions.init_app(app)
    converters.init_app(app)
    i18n.init_app(app)
    photos.init_app(app)  # before the CSRF check, which reads the (photo) form
    security.init_app(app)
    devices.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    events.init_app(app)
    images.init_app(app)
    page_cache.init_app(app)
    for blueprint in (home.bp, campaign.bp, result.bp, share.bp, media.bp, health.bp, wechat.bp, reports.bp,
                      photos.bp, images.bp, wechat_oauth.bp, wall.bp, edits.bp):
        app.register_blueprint(blueprint)
    from posterbooth.views import admin

    admin.init_app(app)
    _static_versions(app)
    if not _command_line_tool():
        _check_start(app, settings)
    return app


#: Host names a request may also name: the machine itself (health checks, the embedded demo on a laptop).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def trusted_hosts(public_base_url: str) -> list[str] | None:
    """Return the hosts requests may name (PUBLIC_BASE_URL's and the local ones); None trusts any (CLI tools)."""
    if not public_base_url:
        return None
    host = urlsplit(public_base_url).hostname or ""
    return [host, *LOCAL_HOSTS]


def _check_start(app: Flask, settings: Settings) -> None:
    """Say clearly what an operator must fix: a database that needs ``flask --app app db upgrade`` (web
    processes never migrate), and image providers in use without their credentials."""
    log = logging.getLogger("posterbooth")
    if pending(app.extensions["posterbooth.db"].engine):
        log.error("the database schema is not up to date: run `flask --app app db upgrade` (python app.py does "
                  "it by itself)")
    for name in sorted(providers_in_use(settings, app.extensions["posterbooth.campaigns"])):
        if missing := missing_credentials(settings, name):
            log.error("image provider %s is used but %s is not set: its generations will wait", name,
                      " and ".join(missing))


def _static_versions(app: Flask) -> None:
    """Give static files a content hash for cache busting: ``static_url('app.css')``."""
    from flask import request, url_for

    urls: dict[tuple[str, str], str] = {}

    def static_url(filename: str) -> str:
        key = (request.script_root, filename)
        if key not in urls:
            path = ROOT / "static" / filename
            version = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"
            urls[key] = url_for("static", filename=filename, v=version)
        return urls[key]

    app.jinja_env.globals["static_url"] = static_url


def _command_line_tool() -> bool:
    """Return True under ``flask <command>`` (not ``flask run``): it must load to report broken campaigns."""
    return os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "run" not in sys.argv[1:]


def _blocklist(path: str) -> list[str]:
    """Read the global blocklist: one word per line, # starts a comment."""
    if not path:
        return []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"BLOCKLIST_FILE {path!r} cannot be read: {exc.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
