"""Baseline: the participations and events tables as Posterbooth 0.1 created them.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the participations and events tables."""
    op.create_table(
        "participations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("share_token", sa.String(32), nullable=False, unique=True),
        sa.Column("referral_code", sa.String(16), nullable=False, unique=True),
        sa.Column("submission_key", sa.String(64), nullable=False, unique=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("style", sa.String(40), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("provider_model", sa.String(80), nullable=False),
        sa.Column("provider_job_id", sa.String(120), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_submissions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("retries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("submitted_at", TIME, nullable=True),
        sa.Column("error_code", sa.String(40), nullable=False),
        sa.Column("error_detail", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False, server_default="{}"),
        sa.Column("inputs_deleted_at", TIME, nullable=True),
        sa.Column("poster_deleted_at", TIME, nullable=True),
        sa.Column("image_path", sa.String(200), nullable=False),
        sa.Column("poster_path", sa.String(200), nullable=False),
        sa.Column("share_card_path", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(200), nullable=False),
        sa.Column("referrer_id", sa.Integer(), sa.ForeignKey("participations.id"), nullable=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
    )
    op.create_index("ix_participations_campaign", "participations", ["campaign"])
    op.create_index("ix_participations_device_id", "participations", ["device_id"])
    op.create_index("ix_participations_status", "participations", ["status"])
    op.create_index("ix_participations_referrer_id", "participations", ["referrer_id"])
    op.create_index("ix_participations_campaign_device", "participations", ["campaign", "device_id", "created_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("stream_id", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("participation_id", sa.Integer(), nullable=True),
        sa.Column("ref_code", sa.String(16), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_events_referrer_id", "events", ["referrer_id"])
    op.create_index("ix_events_campaign_kind_created", "events", ["campaign", "kind", "created_at"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("events")
    op.drop_table("participations")
