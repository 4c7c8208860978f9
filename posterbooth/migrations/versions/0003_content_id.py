"""Public images carry a random content id (AIGC ProduceID) instead of the private public_id.

Revision ID: 0003_content_id
Revises: 0002_console
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_content_id"
down_revision = "0002_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add participations.content_id (empty for older rows: their images get a fresh random id)."""
    with op.batch_alter_table("participations") as batch:
        batch.add_column(sa.Column("content_id", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop participations.content_id."""
    with op.batch_alter_table("participations") as batch:
        batch.drop_column("content_id")
