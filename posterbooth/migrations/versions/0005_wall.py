"""The event wall: its moderation state on participations, and the indexes of its feed.

Revision ID: 0005_wall
Revises: 0004_caps_and_budget
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_wall"
down_revision = "0004_caps_and_budget"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the wall's moderation columns and the indexes of its feed."""
    op.add_column("participations", sa.Column("wall_status", sa.String(10), nullable=False, server_default=""))
    op.add_column("participations", sa.Column("wall_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_participations_wall", "participations", ["campaign", "status", "finished_at"])
    op.create_index("ix_participations_wall_approved", "participations",
                    ["campaign", "wall_status", "wall_decided_at"])
    op.create_index("ix_participations_content_id", "participations", ["content_id"])


def downgrade() -> None:
    """Drop the wall's indexes and columns."""
    op.drop_index("ix_participations_content_id", "participations")
    op.drop_index("ix_participations_wall_approved", "participations")
    op.drop_index("ix_participations_wall", "participations")
    op.drop_column("participations", "wall_decided_at")
    op.drop_column("participations", "wall_status")
