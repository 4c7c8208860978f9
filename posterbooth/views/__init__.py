"""Blueprints, one per feature: home, campaign, result, share, media, health."""

from __future__ import annotations

from flask import abort, current_app

from posterbooth.campaigns import LoadedCampaign
from posterbooth.extensions import campaigns

__all__ = ["campaign_or_404", "campaigns", "public_base_url"]


def campaign_or_404(slug: str) -> LoadedCampaign:
    """Return the campaign with this slug, or answer 404."""
    loaded = campaigns().get(slug)
    if loaded is None:
        abort(404)
    return loaded


def public_base_url() -> str:
    """Return the absolute base URL for links that leave the page (QR codes, share cards): PUBLIC_BASE_URL.

    The request's Host header is never used: the web app does not start without PUBLIC_BASE_URL.
    """
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
