"""Poster versions ("change it" edits): the versions table, and each participation's ChatId and chosen version.

Revision ID: 0007_poster_versions
Revises: 0006_campaign_versions
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_poster_versions"
down_revision = "0006_campaign_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add participations.chat_id and chosen_version, and create the poster_versions table."""
    op.add_column("participations", sa.Column("chat_id", sa.String(120), nullable=False, server_default=""))
    op.add_column("participations", sa.Column("chosen_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "poster_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participation_id", sa.Integer(), sa.ForeignKey("participations.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("parent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("chat_id", sa.String(120), nullable=False),
        sa.Column("provider_model", sa.String(80), nullable=False),
        sa.Column("provider_job_id", sa.String(120), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=False),
        sa.Column("error_detail", sa.Text(), nullable=False),
        sa.Column("image_path", sa.String(200), nullable=False),
        sa.Column("poster_path", sa.String(200), nullable=False),
        sa.Column("share_card_path", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_poster_versions_participation_id", "poster_versions", ["participation_id"])
    op.create_index("ux_poster_versions_number", "poster_versions", ["participation_id", "number"], unique=True)


def downgrade() -> None:
    """Drop the poster_versions table and the two participation columns."""
    op.drop_table("poster_versions")
    op.drop_column("participations", "chosen_version")
    op.drop_column("participations", "chat_id")
