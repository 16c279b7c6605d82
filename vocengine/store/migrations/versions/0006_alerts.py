"""Alerts and webhooks: rules, the alerts they fire, webhook endpoints and the delivery outbox.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("condition", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.Integer, nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(400), nullable=False),
        sa.Column("owner", sa.String(100)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_alert_rule", "alert", ["rule_id", "id"])
    op.create_index("ix_alert_dedupe_key", "alert", ["dedupe_key"], unique=True)
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(100)),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("description", sa.String(500)),
        _ts("created_at", nullable=False),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("endpoint_id", sa.Integer, sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alert.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_expiries", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        _ts("claim_expires_at"),
        _ts("next_attempt_at", nullable=False),
        _ts("give_up_at", nullable=False),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        _ts("created_at", nullable=False),
        _ts("delivered_at"),
        sa.UniqueConstraint("endpoint_id", "alert_id", name="uq_webhook_delivery_endpoint_alert"),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_delivery_endpoint", "webhook_delivery", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
    op.drop_table("alert")
    op.drop_table("alert_rule")
