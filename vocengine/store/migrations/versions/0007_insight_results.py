"""Insight results computed by jobs (themes, gaps in the journey map), cached per request and data state.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insight_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("map_version_id", sa.Integer),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_insight_result_key", "insight_result", ["key"], unique=True)
    op.create_index("ix_insight_result_scope", "insight_result", ["scope"])
    op.create_index("ix_insight_result_kind_map", "insight_result", ["kind", "map_version_id", "id"])


def downgrade() -> None:
    op.drop_table("insight_result")
