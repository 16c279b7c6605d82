"""Which responses carry a segment value, held in memory: segments never change after ingest, so each
response's are read once, and a segment filter costs a set lookup instead of a JSON scan of every response.

Only string values match, as `InsightFilter.segment` documents (JSON numbers compare differently in SQLite
and PostgreSQL, so they are left out on both paths alike).
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import Connection, func, select

from vocengine.insights.connection import PerEngine
from vocengine.insights.frame import write_watch
from vocengine.store.tables import Response

RESPONSE = Response.__table__  # type: ignore[attr-defined]


class SegmentIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._seen_up_to = 0
        self._count = 0
        self._marker: tuple[object, ...] | None = None
        self._ids: defaultdict[tuple[str, str], list[int]] = defaultdict(list)

    def matching(self, connection: Connection, segment: dict[str, str]) -> frozenset[int]:
        with self._lock:
            self._catch_up(connection)
            found: set[int] | None = None
            for key, value in segment.items():
                ids = set(self._ids.get((key, value), ()))
                found = ids if found is None else found & ids
            return frozenset(found or ())

    def _catch_up(self, connection: Connection) -> None:
        """Read the responses stored since the last call. Responses are only ever added by the service;
        anything else (rows deleted, ids reused after a delete, which SQLite does) shows in the marker
        without new ids, or in a count that new ids do not explain, and rebuilds the index."""
        # The frame's watch on this engine counts deletions made in this process (tests empty tables).
        writes = write_watch(connection.engine).generation
        marker = (
            *connection.execute(select(func.max(RESPONSE.c.id), func.count(), func.max(RESPONSE.c.received_at))).one(),
            writes,
        )
        if self._marker is not None and writes != self._marker[-1]:
            self._reset()
        if marker == self._marker:
            return
        new = self._read_after(connection, self._seen_up_to)
        if not new or self._count + len(new) != marker[1]:
            self._reset()
            new = self._read_after(connection, 0)
        for response_id, segments in new:
            for key, value in (segments or {}).items():
                if isinstance(value, str):
                    self._ids[(key, value)].append(response_id)
        self._count += len(new)
        self._seen_up_to = new[-1][0] if new else self._seen_up_to
        self._marker = marker

    @staticmethod
    def _read_after(connection: Connection, after: int) -> list[tuple[int, dict[str, object]]]:
        query = select(RESPONSE.c.id, RESPONSE.c.segments).where(RESPONSE.c.id > after).order_by(RESPONSE.c.id)
        return [(r.id, r.segments) for r in connection.execute(query)]


segment_index = PerEngine(lambda _engine: SegmentIndex())
