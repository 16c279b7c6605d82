"""Repair free attributes (`response.segments`) stored before input was checked.

Until then a segment could hold a lone surrogate (kept as a \\ud800 escape) or NaN/Infinity (kept as bare
words on SQLite). Such a row broke every read that met it: SQLite's json functions call NaN malformed JSON and
PostgreSQL's cannot turn the escape into text, so every segment-filtered list answered 500. Each lone
surrogate becomes U+FFFD and each non-finite number null, as the API serves them; the checks at the door
(`vocengine.validation`) keep new ones out. Only rows whose JSON text could hold one are read.

Downgrading leaves the repaired values as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from vocengine.validation import servable

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    as_text = "segments::text" if postgres else "segments"
    find = "strpos" if postgres else "instr"
    candidates = connection.execute(
        sa.text(
            f"SELECT id, {as_text} AS segments FROM response "
            f"WHERE {find}({as_text}, '\\u') > 0 OR {find}({as_text}, 'NaN') > 0 OR {find}({as_text}, 'Infinity') > 0"
        )
    )
    update = sa.text(
        "UPDATE response SET segments = " + ("CAST(:segments AS json)" if postgres else ":segments") + " WHERE id = :id"
    )
    for row in candidates.all():
        stored = json.loads(row.segments)
        repaired = servable(stored)
        if json.dumps(repaired) != json.dumps(stored):
            connection.execute(update, {"id": row.id, "segments": json.dumps(repaired)})


def downgrade() -> None:
    pass
