"""Reports computed by jobs (themes, gaps), kept in `insight_result` per what was asked and the data it saw.

A result's `scope` is a hash of what was asked (its kind, the journey map version, its parameters); its `key`
adds the sentences' change marker (`vocengine.insights.frame.read_marker`: the highest sentence id and the
counters of updates and deletions that database triggers keep). So a request finds a fresh result with one
indexed lookup, and any sentence scored, re-assigned, rescored or deleted since makes it stale. Writing a
result replaces the older ones of its scope.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from vocengine.insights.frame import Marker, read_marker
from vocengine.store.tables import InsightResult, utcnow

RESULT = InsightResult.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Ask:
    """What a request asks for: a kind of report on a map version with its parameters (JSON-able)."""

    kind: str
    map_version_id: int
    params: dict[str, Any]

    @property
    def scope(self) -> str:
        return _hash({"kind": self.kind, "map": self.map_version_id, "params": self.params})

    def key(self, marker: Marker) -> str:
        return _hash({"scope": self.scope, "data": list(marker)})

    def job_params(self) -> dict[str, Any]:
        return {"kind": self.kind, "map_version_id": self.map_version_id, "params": self.params}

    @classmethod
    def of_job(cls, params: dict[str, Any]) -> Ask:
        return cls(str(params["kind"]), int(params["map_version_id"]), dict(params["params"]))


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def fresh(connection: Connection, ask: Ask) -> tuple[str, dict[str, Any] | None]:
    """The key for the data as it is now, and the result stored under it (None: none is fresh)."""
    key = ask.key(read_marker(connection))
    payload = connection.execute(select(RESULT.c.payload).where(RESULT.c.key == key)).scalar()
    return key, payload


def store(connection: Connection, ask: Ask, key: str, payload: dict[str, Any]) -> None:
    connection.execute(delete(RESULT).where(RESULT.c.scope == ask.scope))
    connection.execute(
        insert(RESULT).values(
            kind=ask.kind, scope=ask.scope, key=key, map_version_id=ask.map_version_id, params=ask.params,
            payload=payload, created_at=utcnow(),
        )
    )  # fmt: skip


def latest(connection: Connection, kind: str, map_version_id: int) -> list[dict[str, Any]]:
    """The payloads of `kind` computed on a map version, newest first, fresh or not."""
    rows = connection.execute(
        select(RESULT.c.payload)
        .where(RESULT.c.kind == kind, RESULT.c.map_version_id == map_version_id)
        .order_by(RESULT.c.id.desc())
    ).scalars()
    return list(rows)
