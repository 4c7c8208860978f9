"""The home page: the list of campaigns (can be switched off in production)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template

from posterbooth.views import campaigns

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Any:
    """List the campaigns with their entry links and QR codes."""
    if not current_app.config["LIST_CAMPAIGNS"]:
        abort(404)
    return render_template("home/index.html", campaigns=list(campaigns().values()))
