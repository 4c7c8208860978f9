"""The marketer console: operators, the audit log, campaign pause switches, entry channels; answer steps.

Revision ID: 0002_console
Revises: 0001_baseline
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_console"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the console's tables and the events' step column."""
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_campaign", "audit_log", ["campaign"])
    op.create_table(
        "campaign_controls",
        sa.Column("campaign", sa.String(64), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("caption", sa.String(120), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_channels_campaign", "channels", ["campaign"])
    op.create_index("ux_channels_campaign_code", "channels", ["campaign", "code"], unique=True)
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("step", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("events") as batch:
        batch.drop_column("step")
    op.drop_table("channels")
    op.drop_table("campaign_controls")
    op.drop_table("audit_log")
    op.drop_table("operators")
