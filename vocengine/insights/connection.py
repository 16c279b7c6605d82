"""Insights take either a Connection (the API's per-request one) or an Engine (scripts, the CLI)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, Select

T = TypeVar("T")

# A select of any columns; the insight modules read rows back by name, not by position.
AnySelect = Select[*tuple[Any, ...]]


@contextmanager
def reading(conn: Connection | Engine) -> Iterator[Connection]:
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            yield connection
    else:
        yield conn


class PerEngine(Generic[T]):
    """One T per engine, made on first use and dropped with the engine (held weakly), for the in-memory
    state the insights keep beside a database: each test's fresh engine gets its own."""

    def __init__(self, make: Callable[[Engine], T]) -> None:
        self._make = make
        self._items: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> T:
        with self._lock:
            if engine not in self._items:
                self._items[engine] = self._make(engine)
            return self._items[engine]
