"""One lease mechanism for everything a worker takes on for a while: responses in the scoring queue and jobs.

A row is claimed by writing who holds it (`claimed_by`) and until when (`claim_expires_at`) while moving
its status to the held one, in a write transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL: workers never
wait on each other's rows and never take the same row twice; `BEGIN IMMEDIATE` on SQLite). A worker writes
its results only while the row is still its own (`still_mine`, which also locks the rows until the write
commits), in the same transaction as the results, so a worker that lost its claim counts nothing twice.

A worker that dies never releases its claims: they run out. `requeue_expired` puts such rows back in line
and counts it in `lease_expiries`, which is not a failed attempt (the row may be fine; its worker was
killed), but has a limit of its own: a row that kills every worker that takes it must still end, `failed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, select, update
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Leases:
    """Claims on the rows of `table`, which has `id`, `status`, `claimed_by`, `claim_expires_at`,
    `lease_expiries` and an error column."""

    table: Table
    free: str  # in line, claimable
    held: str  # claimed by a worker
    failed: str
    error_column: str

    @property
    def c(self) -> Any:
        return self.table.c

    def expired(self, now: datetime) -> ColumnElement[bool]:
        return and_(self.c.status == self.held, self.c.claim_expires_at < now)

    def mine(self, worker: str) -> ColumnElement[bool]:
        return and_(self.c.claimed_by == worker, self.c.status == self.held)

    def claim(
        self, connection: Connection, ids: Sequence[int], worker: str, now: datetime, seconds: float, **values: Any
    ) -> None:
        """Take `ids` (selected by the caller with `lock_free` in this same transaction) for `seconds`."""
        if ids:
            connection.execute(
                update(self.table)
                .where(self.c.id.in_(ids))
                .values(
                    status=self.held, claimed_by=worker, claim_expires_at=now + timedelta(seconds=seconds), **values
                )
            )

    def lock_free(self, connection: Connection, query: Any) -> Any:
        """`query` (a select of candidate rows) so that two claimers never get the same row on PostgreSQL."""
        if connection.dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query

    def still_mine(self, connection: Connection, worker: str, ids: Sequence[int]) -> set[int]:
        """Those of `ids` this worker still holds, locked until the transaction ends so no one takes them
        between this check and the write that follows it."""
        query = select(self.c.id).where(self.c.id.in_(ids), self.mine(worker))
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        return set(connection.execute(query).scalars())

    def renew(self, connection: Connection, worker: str, ids: Sequence[int], now: datetime, seconds: float) -> int:
        result = connection.execute(
            update(self.table)
            .where(self.c.id.in_(ids), self.mine(worker))
            .values(claim_expires_at=now + timedelta(seconds=seconds))
        )
        return int(result.rowcount)

    @staticmethod
    def released(**values: Any) -> dict[str, Any]:
        """The values that end a claim, with the row's new status and the rest in `values`."""
        return {"claimed_by": None, "claim_expires_at": None, **values}

    def requeue_expired(self, connection: Connection, now: datetime, max_expiries: int, reason: str) -> int:
        """Claims that ran out go back in line, counted in `lease_expiries`; after `max_expiries` of them the
        row is failed with `reason`. Rows another claimer is doing this to right now are left to it."""
        expired = select(self.c.id).where(self.expired(now))
        if connection.dialect.name == "postgresql":
            expired = expired.with_for_update(skip_locked=True)
        ids = list(connection.execute(expired).scalars())
        if not ids:
            return 0
        gives_up = self.c.lease_expiries + 1 >= max_expiries
        connection.execute(
            update(self.table)
            .where(self.c.id.in_(ids))
            .values(
                self.released(
                    status=case((gives_up, self.failed), else_=self.free),
                    lease_expiries=self.c.lease_expiries + 1,
                    **{self.error_column: case((gives_up, reason), else_=self.c[self.error_column])},
                )
            )
        )
        return len(ids)
