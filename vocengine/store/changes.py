"""The change counters the database keeps in `data_change` (migration 0002), for in-memory copies of tables.

Triggers move them in the transaction that writes, whichever process or connection it is, so a reader
compares the values it last saw with the current ones in one indexed lookup instead of counting rows.
An INSERT moves no counter a reader needs: new rows have ids above the last one read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select

from vocengine.store.tables import data_change

SENTENCES_UPDATED = "sentence_result.updated"  # also stamped on each updated row's `changed` column
SENTENCES_DELETED = "sentence_result.deleted"
RESPONSES_REWRITTEN = "response.rewritten"  # a response deleted, or its segments rewritten


def counter(name: str) -> ColumnElement[Any]:
    """The counter's value, as a subquery to read next to other values in one statement (one snapshot)."""
    return func.coalesce(select(data_change.c.counter).where(data_change.c.name == name).scalar_subquery(), 0)
