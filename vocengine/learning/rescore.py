"""Rescoring stored responses with the active model version, batch by batch, resumable.

A job walks the scored responses in id order. Each batch's new analysis and the job's cursor
(`last_response_id`) commit in one transaction, so after a crash the job goes on from the last batch that
committed and never counts one twice. One worker holds a job at a time, for a lease it renews each batch
(the same rule as the scoring queue): a worker that dies hands the job on when its lease expires.

Sentence rows are updated in place, matched by (response, index): the text handling that splits a comment
into sentences does not depend on the model, so a rescored comment has the same sentences; the row ids
stay, and the in-memory query columns see updates, not a table rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_model

from vocengine.store.db import write_transaction
from vocengine.store.queue import Claimed
from vocengine.store.tables import CommentResult, RescoreJob, Response, Status, sentence_result, utcnow

log = logging.getLogger(__name__)
RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
JOB = RescoreJob.__table__  # type: ignore[attr-defined]
OPEN = ("pending", "running")

# (claimed responses) -> (comment rows, sentence rows) scored by the active model: the worker's own code.
Scorer = Callable[[list[Claimed]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def _occurred() -> Any:
    return func.coalesce(RESPONSE.c.submitted_at, RESPONSE.c.received_at)


def _stale(model_version: str, since: datetime | None) -> Any:
    """Scored responses whose analysis another model version made (and, with `since`, recent enough)."""
    condition = and_(RESPONSE.c.status == Status.done.value, COMMENT.c.model_version != model_version)
    return and_(condition, _occurred() >= since) if since is not None else condition


def _stale_query(model_version: str, since: datetime | None) -> Any:
    return (
        select(RESPONSE.c.id)
        .select_from(RESPONSE.join(COMMENT, COMMENT.c.response_id == RESPONSE.c.id))
        .where(_stale(model_version, since))
    )


def start_job(engine: Engine, model_version: str, since: datetime | None = None) -> RescoreJob:
    """A new job for `model_version`; any open job for another version is cancelled (its model is gone)."""
    with write_transaction(engine) as connection:
        connection.execute(update(JOB).where(JOB.c.status.in_(OPEN)).values(status="cancelled", finished_at=utcnow()))
        total = connection.execute(
            select(func.count()).select_from(_stale_query(model_version, since).subquery())
        ).scalar_one()
        job_id = connection.execute(
            insert(JOB).values(
                model_version=model_version,
                since=since,
                status="pending" if total else "done",
                total=total,
                done=0,
                last_response_id=0,
                created_at=utcnow(),
                finished_at=None if total else utcnow(),
            )
        ).inserted_primary_key[0]
    return get_job(engine, job_id)


def get_job(engine: Engine, job_id: int) -> RescoreJob:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(RescoreJob, job_id)
    if job is None:
        raise LookupError(f"rescore job {job_id} does not exist")
    return job


def list_jobs(engine: Engine, limit: int = 20) -> list[RescoreJob]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select_model(RescoreJob).order_by(col(RescoreJob.id).desc()).limit(limit)).all())


def claim_job(engine: Engine, worker: str, active_version: str, lease_seconds: float) -> RescoreJob | None:
    """The open job of the active version, if no other worker holds it now."""
    now = utcnow()
    with write_transaction(engine) as connection:
        query = select(JOB.c.id).where(
            JOB.c.status.in_(OPEN),
            JOB.c.model_version == active_version,
            or_(JOB.c.claimed_by.is_(None), JOB.c.claimed_by == worker, JOB.c.claim_expires_at < now),
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job_id = connection.execute(query.order_by(JOB.c.id).limit(1)).scalar()
        if job_id is None:
            return None
        connection.execute(
            update(JOB)
            .where(JOB.c.id == job_id)
            .values(status="running", claimed_by=worker, claim_expires_at=now + timedelta(seconds=lease_seconds))
        )
    return get_job(engine, job_id)


def next_batch(engine: Engine, job: RescoreJob, limit: int) -> list[Claimed]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(RESPONSE)
            .select_from(RESPONSE.join(COMMENT, COMMENT.c.response_id == RESPONSE.c.id))
            .where(_stale(job.model_version, job.since), RESPONSE.c.id > job.last_response_id)
            .order_by(RESPONSE.c.id)
            .limit(limit)
        ).all()
    return [Claimed.of(r) for r in rows]


def run_batch(engine: Engine, job: RescoreJob, worker: str, scorer: Scorer, batch_size: int, lease: float) -> int:
    """Rescore the job's next batch; 0 when the job is finished (or no longer this worker's)."""
    batch = next_batch(engine, job, batch_size)
    if not batch:
        with write_transaction(engine) as connection:
            connection.execute(
                update(JOB)
                .where(JOB.c.id == job.id, JOB.c.claimed_by == worker, JOB.c.status == "running")
                .values(status="done", finished_at=utcnow(), claimed_by=None, claim_expires_at=None)
            )
        return 0
    comments, sentences = scorer(batch)
    with write_transaction(engine) as connection:
        if not _still_ours(connection, job, worker):
            log.info("rescore job %s was cancelled or taken over; this batch is dropped", job.id)
            return 0
        if comments:  # none when every response of the batch failed to score: they keep their analysis
            _replace_analysis(connection, comments, sentences)
        last = max(item.id for item in batch)
        connection.execute(
            update(JOB)
            .where(JOB.c.id == job.id)
            .values(
                done=JOB.c.done + len(batch),
                last_response_id=last,
                claim_expires_at=utcnow() + timedelta(seconds=lease),
            )
        )
    job.last_response_id = last
    job.done += len(batch)
    return len(batch)


def _still_ours(connection: Connection, job: RescoreJob, worker: str) -> bool:
    query = select(JOB.c.id).where(JOB.c.id == job.id, JOB.c.claimed_by == worker, JOB.c.status == "running")
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).scalar() is not None


def _replace_analysis(connection: Connection, comments: list[dict[str, Any]], sentences: list[dict[str, Any]]) -> None:
    ids = [c["response_id"] for c in comments]
    connection.execute(
        update(COMMENT)
        .where(COMMENT.c.response_id == bindparam("rid"))
        .values({k: bindparam(f"v_{k}") for k in comments[0] if k != "response_id"}),
        [{"rid": c["response_id"], **{f"v_{k}": v for k, v in c.items() if k != "response_id"}} for c in comments],
    )
    stored: dict[int, int] = dict(
        connection.execute(
            select(sentence_result.c.response_id, func.count())
            .where(sentence_result.c.response_id.in_(ids))
            .group_by(sentence_result.c.response_id)
        ).all()
    )
    new_counts: dict[int, int] = {}
    for s in sentences:
        new_counts[s["response_id"]] = new_counts.get(s["response_id"], 0) + 1
    same = [s for s in sentences if stored.get(s["response_id"], 0) == new_counts[s["response_id"]]]
    changed = {rid for rid, n in new_counts.items() if stored.get(rid, 0) != n} | (set(stored) - set(new_counts))
    if same:
        columns = [k for k in same[0] if k not in ("response_id", "idx")]
        connection.execute(
            update(sentence_result)
            .where(sentence_result.c.response_id == bindparam("rid"), sentence_result.c.idx == bindparam("ridx"))
            .values({k: bindparam(f"v_{k}") for k in columns}),
            [{"rid": s["response_id"], "ridx": s["idx"], **{f"v_{k}": s[k] for k in columns}} for s in same],
        )
    if changed:
        # Only if the text handling itself changed between versions: the sentences differ, so replace them.
        connection.execute(delete(sentence_result).where(sentence_result.c.response_id.in_(changed)))
        fresh = [s for s in sentences if s["response_id"] in changed]
        if fresh:
            connection.execute(insert(sentence_result), fresh)


def run_job(
    engine: Engine,
    job: RescoreJob,
    worker: str,
    scorer: Scorer,
    batch_size: int,
    lease: float,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RescoreJob:
    """Run a claimed job to its end (or until `stop()` says so)."""
    while not (stop and stop()):
        n = run_batch(engine, job, worker, scorer, batch_size, lease)
        if n == 0:
            break
        if progress:
            progress(n)
    return get_job(engine, job.id or 0)
