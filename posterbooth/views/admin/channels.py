"""A campaign's entry channels: create one, download its QR code (PNG, SVG) and print it on A4 or A6 cards."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from posterbooth.extensions import get_db
from posterbooth.models import Channel
from posterbooth.qr import qr_png, qr_svg
from posterbooth.views import public_base_url
from posterbooth.views.admin.access import admin_required, campaign_or_404, console_blueprint, operator_required, record

bp = console_blueprint("admin_channels")

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _channels(slug: str) -> list[Channel]:
    with get_db().session() as session:
        return list(session.scalars(select(Channel).where(Channel.campaign == slug).order_by(Channel.id)))


def _channel(slug: str, code: str) -> Channel:
    with get_db().session() as session:
        channel = session.scalar(select(Channel).where(Channel.campaign == slug, Channel.code == code[:40]))
    if channel is None:
        abort(404)
    return channel


def entry_url(slug: str, code: str) -> str:
    """Return the campaign's public entry link for a channel."""
    return f"{public_base_url()}/c/{slug}?ch={code}"


def _page(slug: str, error: str = "", status: int = 200, form: dict[str, str] | None = None) -> tuple[str, int]:
    loaded = campaign_or_404(slug)
    return render_template("admin/channels.html", loaded=loaded, channels=_channels(slug), error=error,
                           form=form or {}, entry_url=entry_url), status


@bp.get("/c/<slug>/channels")
@operator_required
def channels(slug: str) -> Any:
    """List the campaign's channels with their links and QR codes."""
    return _page(slug)


@bp.post("/c/<slug>/channels")
@admin_required
def create(slug: str) -> Any:
    """Create a channel (a short code, and a caption for its printed card)."""
    campaign_or_404(slug)
    code = request.form.get("code", "").strip().lower()
    caption = request.form.get("caption", "").strip()[:120]
    form = {"code": code[:40], "caption": caption}
    if not CODE.match(code):
        return _page(slug, _("Use 1 to 40 lowercase letters, digits, - or _ for the code."), 422, form)
    if any(c.code == code for c in _channels(slug)):
        return _page(slug, _("This campaign has a channel with that code already."), 422, form)
    try:
        with get_db().session() as session:
            session.add(Channel(campaign=slug, code=code, caption=caption, created_by=current_username()))
    except IntegrityError:  # created by someone else a moment ago
        return _page(slug, _("This campaign has a channel with that code already."), 422, form)
    record("channel_add", campaign=slug, target=code, detail=caption)
    return redirect(url_for("admin_channels.channels", slug=slug), code=303)


def current_username() -> str:
    """Return the signed-in operator's name."""
    from flask_login import current_user

    return current_user.username


@bp.get("/c/<slug>/channels/<code>/qr.<fmt>")
@operator_required
def qr(slug: str, code: str, fmt: str) -> Response:
    """Download the channel's entry QR code as PNG or SVG."""
    campaign_or_404(slug)
    channel = _channel(slug, code)
    url = entry_url(slug, channel.code)
    if fmt == "png":
        response = Response(qr_png(url), mimetype="image/png")
    elif fmt == "svg":
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    else:
        abort(404)
    disposition = "inline" if request.args.get("inline") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{slug}-{channel.code}-qr.{fmt}"'
    return response


@bp.get("/c/<slug>/channels/<code>/print")
@operator_required
def print_page(slug: str, code: str) -> Any:
    """Show printable cards of the channel's QR code: one A4 sheet, or four A6 cards on an A4 sheet."""
    loaded = campaign_or_404(slug)
    channel = _channel(slug, code)
    size = request.args.get("size", "a6")
    if size not in {"a4", "a6"}:
        size = "a6"
    return render_template("admin/print.html", loaded=loaded, channel=channel, size=size,
                           url=entry_url(slug, channel.code))
