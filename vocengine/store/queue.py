"""The scoring queue is the response table itself: `pending` rows wait, a worker claims a micro-batch
for a lease (`vocengine.store.leases`), and writes the results and `done` in one transaction, only while
the claim is still its own.

Attempts. A failure a worker records (the engine raised on the text) is an attempt: after
`worker_max_attempts` of them the row is `failed`, with the reason. A worker that dies mid-batch records
nothing: its lease runs out and the rows go back in line without spending an attempt, counted in
`lease_expiries` instead. The row that killed the worker may be among them, so rows back from a lease that
ran out are claimed alone: a row that kills every worker that takes it takes no other row down with it, and
after `worker_max_lease_expiries` (higher than the attempts, since most expiries are not the row's fault)
it is `failed` too. `requeue_failed` puts failed rows back with both counts reset.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, delete, func, insert, select, update

from vocengine.store.db import write_transaction
from vocengine.store.leases import Leases
from vocengine.store.tables import CommentResult, Response, Status, sentence_result, utcnow

RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
LEASES = Leases(
    RESPONSE, free=Status.pending.value, held=Status.processing.value, failed=Status.failed.value,
    error_column="last_error",
)  # fmt: skip


@dataclass(frozen=True)
class Claimed:
    id: int
    text: str
    source: str
    occurred_at: datetime
    channel: str | None
    persona: str | None
    account_id: str | None
    contact_id: str | None
    attempts: int

    @classmethod
    def of(cls, row: Any) -> Claimed:
        """From a row of the response table."""
        return cls(
            id=row.id,
            text=row.text,
            source=row.source,
            occurred_at=row.submitted_at or row.received_at,
            channel=row.channel,
            persona=row.persona,
            account_id=row.account_id,
            contact_id=row.contact_id,
            attempts=row.attempts,
        )


def abandoned_reason(max_lease_expiries: int) -> str:
    return (
        f"gave up after {max_lease_expiries} claims ran out: the worker stopped before finishing each time "
        "(this text may crash it); `vocengine requeue` tries again"
    )


def claim(engine: Engine, worker: str, limit: int, lease_seconds: float, max_lease_expiries: int) -> list[Claimed]:
    """Up to `limit` pending responses for this worker, oldest first; a response back from a lease that ran
    out comes alone."""
    now = utcnow()
    with write_transaction(engine) as connection:
        LEASES.requeue_expired(connection, now, max_lease_expiries, abandoned_reason(max_lease_expiries))
        candidates = (
            select(RESPONSE.c.id, RESPONSE.c.lease_expiries)
            .where(RESPONSE.c.status == Status.pending.value)
            .order_by(RESPONSE.c.id)
            .limit(limit)
        )
        rows = connection.execute(LEASES.lock_free(connection, candidates)).all()
        if not rows:
            return []
        if rows[0].lease_expiries:
            ids = [rows[0].id]
        else:
            ids = []
            for row in rows:
                if row.lease_expiries:
                    break
                ids.append(row.id)
        LEASES.claim(connection, ids, worker, now, lease_seconds)
        claimed = connection.execute(select(RESPONSE).where(RESPONSE.c.id.in_(ids)).order_by(RESPONSE.c.id)).all()
    return [Claimed.of(r) for r in claimed]


def complete(
    engine: Engine,
    worker: str,
    comments: Sequence[dict[str, Any]],
    sentences: Sequence[dict[str, Any]],
    languages: dict[int, str],
    after: Callable[[Connection, set[int]], object] | None = None,
) -> set[int]:
    """Write the analysis of the claimed rows that are still this worker's and mark them done, in one
    transaction. Rows whose lease ran out and were taken by another worker are skipped: counted once.
    `after(connection, ids)` runs last in that transaction (the alerts of the batch commit with it)."""
    ids = [c["response_id"] for c in comments]
    with write_transaction(engine) as connection:
        ours = LEASES.still_mine(connection, worker, ids)
        if not ours:
            return ours
        # A response scored before (put back in the queue by hand, say) has an analysis to replace; on first
        # scoring these delete nothing, and a DELETE that deletes nothing moves no change counter.
        connection.execute(delete(sentence_result).where(sentence_result.c.response_id.in_(ours)))
        connection.execute(delete(COMMENT).where(COMMENT.c.response_id.in_(ours)))
        connection.execute(insert(COMMENT), [c for c in comments if c["response_id"] in ours])
        kept = [s for s in sentences if s["response_id"] in ours]
        if kept:
            connection.execute(insert(sentence_result), kept)
        connection.execute(
            update(RESPONSE)
            .where(RESPONSE.c.id == bindparam("rid"))
            .values(
                LEASES.released(
                    status=Status.done.value, language=bindparam("lang"), processed_at=utcnow(), last_error=None
                )
            ),
            [{"rid": rid, "lang": languages.get(rid)} for rid in ours],
        )
        if after is not None:
            after(connection, ours)
    return ours


def fail(engine: Engine, worker: str, errors: dict[int, str], max_attempts: int) -> None:
    """Record a failed attempt of each row: back in the queue, or failed for good once it used its attempts."""
    with write_transaction(engine) as connection:
        ours = LEASES.still_mine(connection, worker, list(errors))
        if not ours:
            return
        used = RESPONSE.c.attempts + 1 >= max_attempts
        connection.execute(
            update(RESPONSE)
            .where(RESPONSE.c.id == bindparam("rid"))
            .values(
                LEASES.released(
                    status=case((used, Status.failed.value), else_=Status.pending.value),
                    attempts=RESPONSE.c.attempts + 1,
                    last_error=bindparam("error"),
                )
            ),
            [{"rid": rid, "error": errors[rid][:2000]} for rid in ours],
        )


def requeue_failed(connection: Connection, since: datetime | None = None, source: str | None = None) -> int:
    """Failed responses (received since `since`, of `source`) back to pending with their attempts and lease
    expiries reset; the number put back."""
    conditions = [RESPONSE.c.status == Status.failed.value]
    if since is not None:
        conditions.append(RESPONSE.c.received_at >= since)
    if source is not None:
        conditions.append(RESPONSE.c.source == source)
    result = connection.execute(
        update(RESPONSE)
        .where(*conditions)
        .values(LEASES.released(status=Status.pending.value, attempts=0, lease_expiries=0, last_error=None))
    )
    return int(result.rowcount)


def counts(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(RESPONSE.c.status, func.count()).group_by(RESPONSE.c.status)).all()
    return {status.value: 0 for status in Status} | {r[0]: r[1] for r in rows}


def depth(connection: Connection) -> int:
    """Responses stored and not yet scored: pending, and claimed by a worker (on the queue's index)."""
    waiting = RESPONSE.c.status.in_([Status.pending.value, Status.processing.value])
    return int(connection.execute(select(func.count()).select_from(RESPONSE).where(waiting)).scalar_one())


class DepthGauge:
    """`depth` counted at most once per `max_age` seconds per process: ingest asks before every call, and a
    COUNT per request is what a big queue can least afford. The answer may be `max_age` old, so the limit
    it guards is soft by what arrives in that time."""

    def __init__(self, engine: Engine, max_age: float) -> None:
        self.engine, self.max_age = engine, max_age
        self._lock = threading.Lock()
        self._value = 0
        self._counted_at = -math.inf

    def __call__(self) -> int:
        with self._lock:
            now = time.monotonic()
            if now - self._counted_at >= self.max_age:
                with self.engine.connect() as connection:
                    self._value = depth(connection)
                self._counted_at = now
            return self._value
