"""The WeChat silent OAuth round trip of campaigns with ``identity: wechat`` (see :mod:`posterbooth.wechat_oauth`)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Blueprint, current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from posterbooth.campaigns import LoadedCampaign
from posterbooth.devices import remember_openid, wechat_openid
from posterbooth.security import limiter
from posterbooth.views import campaign_or_404, public_base_url
from posterbooth.wechat import is_wechat
from posterbooth.wechat_oauth import OAuthError, authorize_url, exchange_code

log = logging.getLogger(__name__)

bp = Blueprint("wechat_oauth", __name__, url_prefix="/wechat/oauth")

STATE_KEY = "wx_state"
#: The landing URL (with its ?ref= and ?ch=) to come back to after the round trip.
NEXT_KEY = "wx_next"
#: Campaigns whose OAuth round trip ended without an openid in this session: they count the device.
FALLBACK_KEY = "wx_fallback"


def oauth_redirect(loaded: LoadedCampaign) -> Response | None:
    """Return the redirect into WeChat's silent OAuth when this campaign counts WeChat users and needs one."""
    if loaded.definition.identity != "wechat" or wechat_openid():
        return None
    config = current_app.config
    if loaded.slug in session.get(FALLBACK_KEY, []):
        return None
    if not (config.get("WECHAT_APP_ID") and config.get("WECHAT_APP_SECRET")):
        log.info("campaign %s: identity wechat, but WeChat is not configured (WECHAT_APP_ID/SECRET); "
                 "counting devices", loaded.slug)
        return None
    if not is_wechat(request.headers.get("User-Agent")):
        log.info("campaign %s: identity wechat, but the page is open outside WeChat; counting the device",
                 loaded.slug)
        return None
    state = secrets.token_urlsafe(12)
    session[STATE_KEY] = state
    session[NEXT_KEY] = request.full_path.rstrip("?")[:300]
    back = public_base_url() + url_for("wechat_oauth.callback", slug=loaded.slug)
    return redirect(authorize_url(config["WECHAT_APP_ID"], back, state, config.get("WECHAT_OAUTH_BASE", "")))


def _back_to_landing(slug: str) -> Response:
    landing = url_for("campaign.landing", slug=slug)
    wanted = str(session.pop(NEXT_KEY, "") or "")
    same_page = wanted == landing or wanted.startswith(landing + "?")
    return redirect(wanted if same_page else landing)


def _fall_back(slug: str, why: str) -> Response:
    log.info("campaign %s: WeChat OAuth gave no openid (%s); counting the device", slug, why)
    fallen = [s for s in session.get(FALLBACK_KEY, []) if s != slug][-20:]
    session[FALLBACK_KEY] = [*fallen, slug]
    return _back_to_landing(slug)


@bp.get("/<slug>")
@limiter.limit("30 per minute")
def callback(slug: str) -> Any:
    """Take the code WeChat sent the attendee back with, keep their openid, and show the landing page."""
    loaded = campaign_or_404(slug)
    expected = session.pop(STATE_KEY, None)
    if not expected or not secrets.compare_digest(str(expected), request.args.get("state", "")):
        return _fall_back(loaded.slug, "state does not match")
    code = request.args.get("code", "")
    if not code:
        return _fall_back(loaded.slug, "the attendee did not authorise")
    config = current_app.config
    try:
        openid = exchange_code(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"], code[:128],
                               api_base=config.get("WECHAT_API_BASE", ""),
                               transport=current_app.extensions.get("posterbooth.wechat_transport"))
    except OAuthError as exc:
        return _fall_back(loaded.slug, f"code exchange failed: {exc.code}")
    remember_openid(openid)
    return _back_to_landing(loaded.slug)
