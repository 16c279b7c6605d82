"""Rescoring stored responses with the active model version: what to rescore, and how new analysis replaces
the old. The work itself is a job (`vocengine.jobs.rescore`) that a worker runs batch by batch when the
scoring queue is empty: each batch's new analysis and the job's cursor (the last response id) commit in one
transaction, so after a crash the job goes on from the last batch that committed and never counts one twice.

Sentence rows are updated in place, matched by (response, index): the text handling that splits a comment
into sentences does not depend on the model, so a rescored comment has the same sentences; the row ids
stay, and the in-memory query columns see updates, not a table rewritten.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update

from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.queue import Claimed
from vocengine.store.tables import CommentResult, Response, Status, sentence_result

log = logging.getLogger(__name__)
RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
KIND = "rescore"


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


def dedupe_key(model_version: str, since: datetime | None) -> str:
    return f"{KIND}:{model_version}:{since.isoformat() if since else 'all'}"


def start_job(engine: Engine, model_version: str, since: datetime | None = None) -> int:
    """Queue rescoring with `model_version` (the same request while it is open is that job); an open
    rescoring for anything else is cancelled: its model is no longer the active one. The job's id."""
    key = dedupe_key(model_version, since)
    with write_transaction(engine) as connection:
        total = connection.execute(
            select(func.count()).select_from(_stale_query(model_version, since).subquery())
        ).scalar_one()
        params = {"model_version": model_version, "since": since.isoformat() if since else None}
        job_id, new = jobs.enqueue(connection, KIND, params, dedupe_key=key, total=total)
        if new:
            jobs.cancel(connection, KIND, keep=job_id, reason=f"replaced by rescoring with {model_version}")
            if not total:
                jobs.finish_at_once(connection, job_id)
    return job_id


def next_batch(engine: Engine, model_version: str, since: datetime | None, after: int, limit: int) -> list[Claimed]:
    """The next `limit` responses to rescore, in id order after response `after` (the job's cursor)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(RESPONSE)
            .select_from(RESPONSE.join(COMMENT, COMMENT.c.response_id == RESPONSE.c.id))
            .where(_stale(model_version, since), RESPONSE.c.id > after)
            .order_by(RESPONSE.c.id)
            .limit(limit)
        ).all()
    return [Claimed.of(r) for r in rows]


def replace_analysis(connection: Connection, comments: list[dict[str, Any]], sentences: list[dict[str, Any]]) -> None:
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
