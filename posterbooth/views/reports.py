"""Operator reports as JSON (the console comes later): funnel and share tree of a campaign."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from posterbooth.events import flush_now
from posterbooth.extensions import get_db
from posterbooth.funnels import funnel
from posterbooth.operators import operator_required
from posterbooth.referrals import referral_tree
from posterbooth.views import campaign_or_404

bp = Blueprint("reports", __name__, url_prefix="/admin")


@bp.get("/c/<slug>/referrals.json")
@operator_required
def referrals(slug: str) -> Any:
    """Return who brought whom: depth, new participants per sharer and the k-factor."""
    campaign_or_404(slug)
    flush_now()
    return jsonify(referral_tree(get_db(), slug))


@bp.get("/c/<slug>/funnel.json")
@operator_required
def funnel_report(slug: str) -> Any:
    """Return devices per step (landing, start, submit, done, share view, referred visit) and per channel."""
    campaign_or_404(slug)
    flush_now()
    return jsonify(funnel(get_db(), slug))
