"""The scoring queue is the response table itself: `pending` rows wait, a worker claims a micro-batch
for a lease, and writes the results and `done` in one transaction, only while the claim is still its own.

A worker that dies mid-batch simply never finishes: its lease expires and the next claim takes the rows
again. A row that keeps failing (or keeps killing its worker) is marked `failed` after
`worker_max_attempts`, with the reason, so one bad row never blocks the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, delete, func, insert, or_, select, update

from vocengine.store.db import write_transaction
from vocengine.store.tables import CommentResult, Response, Status, sentence_result, utcnow

RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]


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


def _claimable(now: datetime, max_attempts: int) -> Any:
    expired = and_(RESPONSE.c.status == Status.processing.value, RESPONSE.c.claim_expires_at < now)
    return and_(or_(RESPONSE.c.status == Status.pending.value, expired), RESPONSE.c.attempts < max_attempts)


def claim(engine: Engine, worker: str, limit: int, lease_seconds: float, max_attempts: int) -> list[Claimed]:
    now = utcnow()
    with write_transaction(engine) as connection:
        _give_up_on_abandoned(connection, now, max_attempts)
        candidates = select(RESPONSE.c.id).where(_claimable(now, max_attempts)).order_by(RESPONSE.c.id).limit(limit)
        if engine.dialect.name == "postgresql":
            # Workers never wait on each other's rows, and never take the same row twice.
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(connection.execute(candidates).scalars())
        if not ids:
            return []
        connection.execute(
            update(RESPONSE)
            .where(RESPONSE.c.id.in_(ids))
            .values(
                status=Status.processing.value,
                claimed_by=worker,
                claim_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=RESPONSE.c.attempts + 1,
            )
        )
        rows = connection.execute(select(RESPONSE).where(RESPONSE.c.id.in_(ids)).order_by(RESPONSE.c.id)).all()
    return [Claimed.of(r) for r in rows]


def _give_up_on_abandoned(connection: Connection, now: datetime, max_attempts: int) -> None:
    """Rows whose every attempt ended with the worker gone (a lease expiring) fail instead of looping."""
    connection.execute(
        update(RESPONSE)
        .where(
            RESPONSE.c.status == Status.processing.value,
            RESPONSE.c.claim_expires_at < now,
            RESPONSE.c.attempts >= max_attempts,
        )
        .values(
            status=Status.failed.value,
            claimed_by=None,
            claim_expires_at=None,
            last_error=f"gave up after {max_attempts} attempts: the worker stopped before finishing each time",
        )
    )


def _still_ours(connection: Connection, worker: str, ids: Sequence[int], postgres: bool) -> set[int]:
    query = select(RESPONSE.c.id).where(
        RESPONSE.c.id.in_(ids), RESPONSE.c.claimed_by == worker, RESPONSE.c.status == Status.processing.value
    )
    if postgres:
        query = query.with_for_update()
    return set(connection.execute(query).scalars())


def complete(
    engine: Engine,
    worker: str,
    comments: Sequence[dict[str, Any]],
    sentences: Sequence[dict[str, Any]],
    languages: dict[int, str],
) -> set[int]:
    """Write the analysis of the claimed rows that are still this worker's and mark them done, in one
    transaction. Rows whose lease ran out and were taken by another worker are skipped: counted once."""
    ids = [c["response_id"] for c in comments]
    with write_transaction(engine) as connection:
        ours = _still_ours(connection, worker, ids, engine.dialect.name == "postgresql")
        if not ours:
            return ours
        # A response scored before (its lease ran out mid-write, say) has an analysis to replace; on first
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
                status=Status.done.value,
                language=bindparam("lang"),
                processed_at=utcnow(),
                claimed_by=None,
                claim_expires_at=None,
                last_error=None,
            ),
            [{"rid": rid, "lang": languages.get(rid)} for rid in ours],
        )
    return ours


def fail(engine: Engine, worker: str, errors: dict[int, str], max_attempts: int) -> None:
    """Put failed rows back in the queue, or mark them failed for good once they used their attempts."""
    with write_transaction(engine) as connection:
        ours = _still_ours(connection, worker, list(errors), engine.dialect.name == "postgresql")
        if not ours:
            return
        connection.execute(
            update(RESPONSE)
            .where(RESPONSE.c.id == bindparam("rid"))
            .values(
                status=case((RESPONSE.c.attempts >= max_attempts, Status.failed.value), else_=Status.pending.value),
                claimed_by=None,
                claim_expires_at=None,
                last_error=bindparam("error"),
            ),
            [{"rid": rid, "error": errors[rid][:2000]} for rid in ours],
        )


def counts(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(RESPONSE.c.status, func.count()).group_by(RESPONSE.c.status)).all()
    return {status.value: 0 for status in Status} | {r[0]: r[1] for r in rows}
