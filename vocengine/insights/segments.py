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
from vocengine.store.changes import RESPONSES_REWRITTEN, counter
from vocengine.store.tables import Response

RESPONSE = Response.__table__  # type: ignore[attr-defined]


class SegmentIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._seen_up_to = 0
        self._rewritten: int | None = None
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
        a deletion or a rewrite of segments (which moves the database's `response.rewritten` counter, from
        any process) rebuilds the index, as does a max id gone back (a table emptied and made again)."""
        max_id, rewritten = connection.execute(
            select(func.coalesce(func.max(RESPONSE.c.id), 0), counter(RESPONSES_REWRITTEN))
        ).one()
        if rewritten != self._rewritten or max_id < self._seen_up_to:
            self._reset()
        if max_id == self._seen_up_to and self._rewritten is not None:
            return
        for response_id, segments in self._read(connection, self._seen_up_to, max_id):
            for key, value in (segments or {}).items():
                if isinstance(value, str):
                    self._ids[(key, value)].append(response_id)
        self._seen_up_to = max_id
        self._rewritten = rewritten

    @staticmethod
    def _read(connection: Connection, after: int, up_to: int) -> list[tuple[int, dict[str, object]]]:
        # Up to the max id read with the counter: the index then reflects one moment of the table.
        query = select(RESPONSE.c.id, RESPONSE.c.segments).where(RESPONSE.c.id > after, RESPONSE.c.id <= up_to)
        return [(r.id, r.segments) for r in connection.execute(query.order_by(RESPONSE.c.id))]


segment_index = PerEngine(lambda _engine: SegmentIndex())
