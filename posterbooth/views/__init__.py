"""Blueprints, one per feature: home, campaign, result, share, media, health."""

from __future__ import annotations

from flask import abort, current_app

from posterbooth.campaigns import LoadedCampaign


def campaigns() -> dict[str, LoadedCampaign]:
    """Return the loaded campaigns by slug."""
    return current_app.extensions["posterbooth.campaigns"]


def campaign_or_404(slug: str) -> LoadedCampaign:
    """Return the campaign with this slug, or answer 404."""
    loaded = campaigns().get(slug)
    if loaded is None:
        abort(404)
    return loaded


def public_base_url() -> str:
    """Return the absolute base URL for links that leave the page (QR codes, share cards)."""
    from flask import request

    return current_app.config["PUBLIC_BASE_URL"] or request.url_root.rstrip("/")
