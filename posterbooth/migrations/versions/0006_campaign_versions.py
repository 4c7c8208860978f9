"""Campaign versions: each participation's campaign version, and each version's definition.

Revision ID: 0006_campaign_versions
Revises: 0005_wall
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_campaign_versions"
down_revision = "0005_wall"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the campaign_version column to participations and create the campaign_versions table."""
    op.add_column("participations",
                  sa.Column("campaign_version", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "campaign_versions",
        sa.Column("campaign", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the campaign_versions table and the campaign_version column."""
    op.drop_table("campaign_versions")
    op.drop_column("participations", "campaign_version")
