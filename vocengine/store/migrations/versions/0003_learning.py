"""Learning from labels: label history, the model registry, rescoring jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "label",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("response_id", sa.Integer, sa.ForeignKey("response.id", ondelete="SET NULL")),
        sa.Column("sentence_index", sa.Integer),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sentiment", sa.String(16)),
        sa.Column("emotions", sa.JSON),
        sa.Column("touchpoint", sa.String(64)),
        sa.Column("journey_map_id", sa.Integer, sa.ForeignKey("journey_map_version.id")),
        sa.Column("split", sa.String(8), nullable=False),
        sa.Column("labelled_by", sa.String(200), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_label_target", "label", ["target", "id"])
    op.create_index("ix_label_response", "label", ["response_id"])

    op.create_table(
        "model_version",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("parent_id", sa.String(100)),
        sa.Column("path", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data_hash", sa.String(64)),
        sa.Column("labels_used", sa.Integer, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON),
        _ts("created_at", nullable=False),
        _ts("promoted_at"),
    )

    op.create_table(
        "rescore_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_version", sa.String(100), nullable=False),
        _ts("since"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("last_response_id", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        _ts("claim_expires_at"),
        _ts("created_at", nullable=False),
        _ts("finished_at"),
    )


def downgrade() -> None:
    for table in ("rescore_job", "model_version", "label"):
        op.drop_table(table)
