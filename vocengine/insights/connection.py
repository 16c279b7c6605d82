"""Insights take either a Connection (the API's per-request one) or an Engine (scripts, the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Select

# A select of any columns; the insight modules read rows back by name, not by position.
AnySelect = Select[*tuple[Any, ...]]


@contextmanager
def reading(conn: Connection | Engine) -> Iterator[Connection]:
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            yield connection
    else:
        yield conn
