"""Caps and budgets: who a participation counts for, its day and cost, and the charges table.

Revision ID: 0004_caps_and_budget
Revises: 0003_content_id
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_caps_and_budget"
down_revision = "0003_content_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the cap columns to participations and create the charges table."""
    op.add_column("participations", sa.Column("attendee", sa.String(80), nullable=False, server_default=""))
    op.add_column("participations", sa.Column("cap_day", sa.String(10), nullable=False, server_default=""))
    op.add_column("participations", sa.Column("cost_milli", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_participations_campaign_attendee", "participations", ["campaign", "attendee"])
    op.create_index("ix_participations_campaign_day", "participations", ["campaign", "cap_day"])
    op.create_table(
        "charges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("participation_id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("amount_milli", sa.Integer(), nullable=False),
        sa.Column("campaign_day", sa.String(10), nullable=False),
        sa.Column("account_day", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_charges_participation_id", "charges", ["participation_id"])
    op.create_index("ix_charges_campaign_day", "charges", ["campaign", "campaign_day"])
    op.create_index("ix_charges_provider_day", "charges", ["provider", "account_day"])


def downgrade() -> None:
    """Drop the charges table and the cap columns."""
    op.drop_table("charges")
    op.drop_index("ix_participations_campaign_day", "participations")
    op.drop_index("ix_participations_campaign_attendee", "participations")
    for name in ("cost_milli", "cap_day", "attendee"):
        op.drop_column("participations", name)
