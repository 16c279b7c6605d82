"""Durable jobs with one lease mechanism, and one copy of each fact.

- `job`: the generic job table (`vocengine.store.jobs`). Rescoring jobs move into it from `rescore_job`
  (dropped), and journey map re-assignment becomes a job of its own: the progress columns of
  `journey_map_version` (`reassign_status`, `reassigned_sentences`) become a job row each, and are dropped.
- `response.lease_expiries`: claims that ran out (the worker died) are counted apart from the failures that
  `attempts` counts.
- `comment_result.analysis` no longer repeats the sentence rows: its `sentences`, `touchpoints` and
  `primary_touchpoint` are removed (`vocengine.store.analysis_rows` builds them from `sentence_result`).

Downgrading brings the tables and columns back but not their data (the JSON's sentences, the jobs' rows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = "status IN ('queued', 'running')"


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(200)),
        sa.Column("cursor", sa.JSON),
        sa.Column("progress_done", sa.Integer, nullable=False),
        sa.Column("progress_total", sa.Integer),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_expiries", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        _ts("claim_expires_at"),
        _ts("created_at", nullable=False),
        _ts("started_at"),
        _ts("finished_at"),
    )
    op.create_index("ix_job_queue", "job", ["status", "claim_expires_at"])
    op.create_index("ix_job_kind", "job", ["kind", "id"])
    op.create_index(
        "uq_job_open_dedupe_key", "job", ["dedupe_key"], unique=True,
        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )  # fmt: skip

    bind = op.get_bind()
    stamp = sa.DateTime(timezone=True)
    job = sa.table(
        "job", sa.column("kind"), sa.column("params", sa.JSON), sa.column("status"), sa.column("dedupe_key"),
        sa.column("cursor", sa.JSON), sa.column("progress_done"), sa.column("progress_total"),
        sa.column("attempts"), sa.column("lease_expiries"), sa.column("created_at", stamp),
        sa.column("finished_at", stamp),
    )  # fmt: skip
    rescore_job = sa.table(
        "rescore_job", sa.column("id"), sa.column("model_version"), sa.column("since", stamp), sa.column("status"),
        sa.column("total"), sa.column("done"), sa.column("last_response_id"), sa.column("created_at", stamp),
        sa.column("finished_at", stamp),
    )  # fmt: skip
    maps = sa.table(
        "journey_map_version", sa.column("id"), sa.column("reassign_status"), sa.column("reassigned_sentences"),
        sa.column("created_at", stamp),
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for r in bind.execute(sa.select(rescore_job).order_by(rescore_job.c.id)).mappings():
        is_open = r["status"] in ("pending", "running")
        since = r["since"].replace(tzinfo=r["since"].tzinfo or UTC).isoformat() if r["since"] else None
        rows.append(
            {
                "kind": "rescore",
                "params": {"model_version": r["model_version"], "since": since},
                "status": "queued" if is_open else r["status"],
                "dedupe_key": f"rescore:{r['model_version']}:{since or 'all'}" if is_open else None,
                "cursor": {"last_response_id": r["last_response_id"]},
                "progress_done": r["done"],
                "progress_total": r["total"],
                "attempts": 0,
                "lease_expiries": 0,
                "created_at": r["created_at"],
                "finished_at": r["finished_at"],
            }
        )
    for r in bind.execute(sa.select(maps).order_by(maps.c.id)).mappings():
        status, done = r["reassign_status"], r["reassigned_sentences"]
        if status == "done" and not done:
            continue  # no re-assignment was ever needed: no job
        is_open = status in ("pending", "running")
        rows.append(
            {
                "kind": "reassign_map",
                "params": {"map_version_id": r["id"]},
                "status": "queued" if is_open else "done",
                "dedupe_key": f"reassign_map:{r['id']}" if is_open else None,
                # The old re-assignment went by the rows' map id alone: start from the first sentence again.
                "cursor": None,
                "progress_done": done,
                "progress_total": None,
                "attempts": 0,
                "lease_expiries": 0,
                "created_at": r["created_at"],
                "finished_at": None if is_open else r["created_at"],
            }
        )
    if rows:
        op.bulk_insert(job, rows)
    op.drop_table("rescore_job")
    op.execute("ALTER TABLE journey_map_version DROP COLUMN reassign_status")
    op.execute("ALTER TABLE journey_map_version DROP COLUMN reassigned_sentences")

    op.add_column("response", sa.Column("lease_expiries", sa.Integer, nullable=False, server_default="0"))

    if bind.dialect.name == "postgresql":
        op.execute(
            "UPDATE comment_result SET analysis = "
            "(analysis::jsonb - 'sentences' - 'touchpoints' - 'primary_touchpoint')::json"
        )
    else:
        op.execute(
            "UPDATE comment_result SET analysis = "
            "json_remove(analysis, '$.sentences', '$.touchpoints', '$.primary_touchpoint')"
        )


def downgrade() -> None:
    op.drop_column("response", "lease_expiries")
    op.add_column(
        "journey_map_version", sa.Column("reassign_status", sa.String(16), nullable=False, server_default="done")
    )
    op.add_column(
        "journey_map_version", sa.Column("reassigned_sentences", sa.Integer, nullable=False, server_default="0")
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
    op.drop_table("job")
