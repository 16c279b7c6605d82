"""The job table: work after the commit (rescoring, re-assignment, and what later features add), queued
idempotently, run in resumable steps by whichever worker holds the job's lease (`vocengine.store.leases`,
the same mechanism as the scoring queue).

What a kind of job does is `vocengine.jobs`' business; this module only stores jobs and moves them between
states:

  queued --claim--> running --step, step, ...--> done
                    running --a step raises--> queued (an attempt spent) ... failed after `max_attempts`
                    running --lease runs out--> queued (a lease expiry, not an attempt) ... failed after the limit
  queued/running --cancel--> cancelled (a later change made it pointless)

Each step's writes, the job's new cursor and its progress commit together, only while the job is still
the worker's (`JobClaim.step`); so a job taken over after its worker died resumes from the last step that
committed, and the dead worker's late step is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, case, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as select_model

from vocengine.store.db import write_transaction
from vocengine.store.leases import Leases
from vocengine.store.tables import OPEN_JOB_STATUSES, Job, JobStatus, utcnow

log = logging.getLogger(__name__)
JOB = Job.__table__  # type: ignore[attr-defined]
LEASES = Leases(
    JOB, free=JobStatus.queued.value, held=JobStatus.running.value, failed=JobStatus.failed.value,
    error_column="error",
)  # fmt: skip


class LeaseLost(RuntimeError):
    """The job is no longer this worker's (its lease ran out and another took it, or it was cancelled)."""


def enqueue(
    connection: Connection,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    total: int | None = None,
) -> tuple[int, bool]:
    """Queue a job in the caller's transaction (so it commits with the change that asks for it); with a
    `dedupe_key` that an open job has already, that job instead. (job id, whether it is new)."""
    if dedupe_key is not None:
        existing = _open_with_key(connection, dedupe_key)
        if existing is not None:
            return existing, False
    values = {
        "kind": kind, "params": params or {}, "status": JobStatus.queued.value, "dedupe_key": dedupe_key,
        "progress_done": 0, "progress_total": total, "attempts": 0, "lease_expiries": 0, "created_at": utcnow(),
    }  # fmt: skip
    if dedupe_key is None:
        key = connection.execute(insert(JOB).values(values)).inserted_primary_key
        assert key is not None
        return int(key[0]), True
    # Two requests at once: the unique index on open jobs' keys lets one insert; the other finds it.
    inserted = connection.execute(
        _insert(connection).values(values).on_conflict_do_nothing().returning(JOB.c.id)
    ).scalar()
    if inserted is not None:
        return int(inserted), True
    existing = _open_with_key(connection, dedupe_key)
    assert existing is not None
    return existing, False


def _insert(connection: Connection) -> Any:
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(JOB)


def _open_with_key(connection: Connection, dedupe_key: str) -> int | None:
    found = connection.execute(
        select(JOB.c.id).where(JOB.c.dedupe_key == dedupe_key, JOB.c.status.in_(OPEN_JOB_STATUSES))
    ).scalar()
    return None if found is None else int(found)


def finish_at_once(connection: Connection, job_id: int, result: dict[str, Any] | None = None) -> None:
    """A job found to have nothing to do when it was queued: done, with nothing to run."""
    connection.execute(
        update(JOB)
        .where(JOB.c.id == job_id, JOB.c.status == JobStatus.queued.value)
        .values(status=JobStatus.done.value, result=result, finished_at=utcnow())
    )


def cancel(connection: Connection, kind: str, *, keep: int | None = None, reason: str) -> int:
    """Cancel the open jobs of `kind` (but `keep`): a step running now is refused when it tries to commit."""
    conditions = [JOB.c.kind == kind, JOB.c.status.in_(OPEN_JOB_STATUSES)]
    if keep is not None:
        conditions.append(JOB.c.id != keep)
    result = connection.execute(
        update(JOB)
        .where(*conditions)
        .values(LEASES.released(status=JobStatus.cancelled.value, error=reason, finished_at=utcnow()))
    )
    return int(result.rowcount)


def get(engine: Engine, job_id: int) -> Job:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(Job, job_id)
    if job is None:
        raise LookupError(f"job {job_id} does not exist")
    return job


def list_jobs(
    engine: Engine, kind: str | None = None, status: str | None = None, limit: int = 50, before: int | None = None
) -> list[Job]:
    """Newest first."""
    query = select_model(Job)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status is not None:
        query = query.where(Job.status == status)
    if before is not None:
        query = query.where(col(Job.id) < before)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query.order_by(col(Job.id).desc()).limit(limit)).all())


def has_work(engine: Engine, kinds: Sequence[str]) -> bool:
    """Whether a job of these kinds is open: a cheap read before a worker takes the write lock to claim."""
    with engine.connect() as connection:
        return (
            connection.execute(
                select(JOB.c.id).where(JOB.c.kind.in_(kinds), JOB.c.status.in_(OPEN_JOB_STATUSES)).limit(1)
            ).first()
            is not None
        )


@dataclass
class Step:
    connection: Connection
    cursor: dict[str, Any] | None
    advance: int


@dataclass
class JobClaim:
    """A job this worker holds, with what its steps need: parameters, cursor, progress."""

    engine: Engine
    worker: str
    lease_seconds: float
    id: int
    kind: str
    params: dict[str, Any]
    cursor: dict[str, Any] | None
    done: int
    total: int | None
    result: dict[str, Any] | None = field(default=None)

    @contextmanager
    def step(self, *, cursor: dict[str, Any] | None = None, advance: int = 0) -> Iterator[Step]:
        """A transaction for one step's writes (`step.connection`) that also moves the job's cursor and
        progress (set them here, or on `step` once the writes show them) and renews its lease. It commits only
        while the job is still this worker's: `LeaseLost` before anything is written otherwise."""
        now = utcnow()
        with write_transaction(self.engine) as connection:
            if not LEASES.still_mine(connection, self.worker, [self.id]):
                raise LeaseLost(f"job {self.id} is no longer held by {self.worker}")
            step = Step(connection, cursor, advance)
            yield step
            connection.execute(
                update(JOB)
                .where(JOB.c.id == self.id)
                .values(cursor=step.cursor, progress_done=JOB.c.progress_done + step.advance)
            )
            LEASES.renew(connection, self.worker, [self.id], now, self.lease_seconds)
        self.cursor, self.done = step.cursor, self.done + step.advance

    def finish(self) -> bool:
        """Done, with `self.result`; False when the job was no longer this worker's."""
        return self._end(status=JobStatus.done.value, result=self.result, finished_at=utcnow())

    def cancel(self, reason: str) -> bool:
        return self._end(status=JobStatus.cancelled.value, error=reason, finished_at=utcnow())

    def fail(self, error: str, max_attempts: int) -> str | None:
        """Record a failed attempt: back in line, or failed for good after `max_attempts`. The new status."""
        with write_transaction(self.engine) as connection:
            if not LEASES.still_mine(connection, self.worker, [self.id]):
                return None
            attempts = connection.execute(select(JOB.c.attempts).where(JOB.c.id == self.id)).scalar_one() + 1
            status = JobStatus.failed.value if attempts >= max_attempts else JobStatus.queued.value
            values = LEASES.released(status=status, attempts=attempts, error=error[:4000])
            if status == JobStatus.failed.value:
                values["finished_at"] = utcnow()
            connection.execute(update(JOB).where(JOB.c.id == self.id).values(values))
        return status

    def _end(self, **values: Any) -> bool:
        with write_transaction(self.engine) as connection:
            if not LEASES.still_mine(connection, self.worker, [self.id]):
                return False
            connection.execute(update(JOB).where(JOB.c.id == self.id).values(LEASES.released(**values)))
        return True


def claim(
    engine: Engine,
    worker: str,
    kinds: Sequence[str],
    lease_seconds: float,
    max_lease_expiries: int,
    *,
    one_at_a_time: Sequence[str] = (),
    job_id: int | None = None,
) -> JobClaim | None:
    """The job this worker holds already, else the oldest queued one of `kinds` (or job `job_id` only);
    none of a kind in `one_at_a_time` while another job of that kind is running."""
    now = utcnow()
    with write_transaction(engine) as connection:
        LEASES.requeue_expired(connection, now, max_lease_expiries, abandoned_reason(max_lease_expiries))
        query = select(JOB.c.id).where(
            JOB.c.kind.in_(kinds),
            (JOB.c.status == JobStatus.queued.value) | LEASES.mine(worker),
        )
        if job_id is not None:
            query = query.where(JOB.c.id == job_id)
        if one_at_a_time:
            other = aliased(JOB)
            busy = exists().where(
                other.c.kind == JOB.c.kind, other.c.status == JobStatus.running.value, other.c.id != JOB.c.id
            )
            query = query.where(~(JOB.c.kind.in_(one_at_a_time) & busy))
        mine_first = case((JOB.c.claimed_by == worker, 0), else_=1)
        chosen = connection.execute(
            LEASES.lock_free(connection, query.order_by(mine_first, JOB.c.id).limit(1))
        ).scalar()
        if chosen is None:
            return None
        LEASES.claim(connection, [chosen], worker, now, lease_seconds)
        connection.execute(update(JOB).where(JOB.c.id == chosen, JOB.c.started_at.is_(None)).values(started_at=now))
        row = connection.execute(select(JOB).where(JOB.c.id == chosen)).one()
    return JobClaim(
        engine=engine, worker=worker, lease_seconds=lease_seconds, id=row.id, kind=row.kind, params=dict(row.params),
        cursor=row.cursor, done=row.progress_done, total=row.progress_total, result=row.result,
    )  # fmt: skip


def abandoned_reason(max_lease_expiries: int) -> str:
    return f"gave up after {max_lease_expiries} leases ran out: the worker stopped before finishing each time"
