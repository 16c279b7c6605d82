"""Initial tables: responses (and their queue state), analysis, journey map versions, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies: a migration must create the same columns whatever the label lists say later.
EMOTIONS = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip
EKMAN = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "response",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        _ts("submitted_at"),
        _ts("received_at", nullable=False),
        sa.Column("channel", sa.String(100)),
        sa.Column("persona", sa.String(100)),
        sa.Column("account_id", sa.String(200)),
        sa.Column("contact_id", sa.String(200)),
        sa.Column("segments", sa.JSON, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("score_type", sa.String(8)),
        sa.Column("language", sa.String(8)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        _ts("claim_expires_at"),
        sa.Column("last_error", sa.Text),
        _ts("processed_at"),
        sa.UniqueConstraint("source", "external_id", name="uq_response_source_external_id"),
    )
    op.create_index("ix_response_queue", "response", ["status", "claim_expires_at"])
    op.create_index("ix_response_account", "response", ["account_id", "contact_id"])

    op.create_table(
        "journey_map_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("reassign_status", sa.String(16), nullable=False),
        sa.Column("reassigned_sentences", sa.Integer, nullable=False),
    )
    op.create_index("ix_journey_map_version_fingerprint", "journey_map_version", ["fingerprint"])

    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        _ts("created_at", nullable=False),
        _ts("revoked_at"),
    )
    op.create_index("ix_api_key_prefix", "api_key", ["prefix"], unique=True)

    op.create_table(
        "comment_result",
        sa.Column("response_id", sa.Integer, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("journey_map_id", sa.Integer, sa.ForeignKey("journey_map_version.id")),
        sa.Column("scored", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("sentiment", sa.String(16)),
        sa.Column("p_negative", sa.Float),
        sa.Column("p_neutral", sa.Float),
        sa.Column("p_positive", sa.Float),
        sa.Column("analysis", sa.JSON, nullable=False),
        _ts("created_at", nullable=False),
    )

    op.create_table(
        "sentence_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("response_id", sa.Integer, sa.ForeignKey("response.id", ondelete="CASCADE"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("sentiment", sa.String(16)),
        sa.Column("p_negative", sa.Float),
        sa.Column("p_neutral", sa.Float),
        sa.Column("p_positive", sa.Float),
        *[sa.Column(f"e_{label}", sa.Float) for label in EMOTIONS],
        *[sa.Column(f"k_{label}", sa.Float) for label in EKMAN],
        sa.Column("emotion_mask", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(64)),
        sa.Column("touchpoint", sa.String(64)),
        sa.Column("touchpoint_score", sa.Float),
        sa.Column("journey_map_id", sa.Integer, sa.ForeignKey("journey_map_version.id")),
        sa.Column("embedding", sa.LargeBinary),
        _ts("occurred_at", nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(100)),
        sa.Column("persona", sa.String(100)),
        sa.Column("account_id", sa.String(200)),
        sa.Column("contact_id", sa.String(200)),
        sa.UniqueConstraint("response_id", "idx", name="uq_sentence_result_response_idx"),
    )
    op.create_index("ix_sentence_result_occurred_at", "sentence_result", ["occurred_at"])
    op.create_index("ix_sentence_result_stage_touchpoint", "sentence_result", ["stage", "touchpoint"])
    op.create_index("ix_sentence_result_account", "sentence_result", ["account_id", "contact_id"])


def downgrade() -> None:
    for table in ("sentence_result", "comment_result", "api_key", "journey_map_version", "response"):
        op.drop_table(table)
