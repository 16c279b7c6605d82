"""Reading stored responses: filtered pages for the list, one response with its analysis for the detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, exists, func, select

from vocengine.store.analysis_rows import analysis_detail
from vocengine.store.tables import CommentResult, Response, sentence_result

RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ResponseQuery:
    date_from: datetime | None = None
    date_to: datetime | None = None
    source: str | None = None
    channel: str | None = None
    persona: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    status: str | None = None
    stage: str | None = None
    touchpoint: str | None = None
    segments: dict[str, str] = field(default_factory=dict)
    before_id: int | None = None  # the page after the one that ended with this id
    limit: int = 50


def _columns() -> list[Any]:
    return [*RESPONSE.c, COMMENT.c.sentiment.label("comment_sentiment")]


def _joined() -> Any:
    return RESPONSE.outerjoin(COMMENT, COMMENT.c.response_id == RESPONSE.c.id)


def list_responses(engine: Engine, q: ResponseQuery) -> tuple[list[Any], bool]:
    """Newest first: a page of rows (the response's columns and `comment_sentiment`), and whether more follow."""
    occurred = func.coalesce(RESPONSE.c.submitted_at, RESPONSE.c.received_at)
    conditions: list[Any] = []
    if q.date_from:
        conditions.append(occurred >= q.date_from)
    if q.date_to:
        conditions.append(occurred < q.date_to)
    for column in ("source", "channel", "persona", "account_id", "contact_id", "status"):
        value = getattr(q, column)
        if value is not None:
            conditions.append(RESPONSE.c[column] == value)
    for name, value in q.segments.items():
        conditions.append(RESPONSE.c.segments[name].as_string() == value)
    if q.stage or q.touchpoint:
        about = [sentence_result.c.response_id == RESPONSE.c.id]
        if q.stage:
            about.append(sentence_result.c.stage == q.stage)
        if q.touchpoint:
            about.append(sentence_result.c.touchpoint == q.touchpoint)
        conditions.append(exists().where(*about))
    if q.before_id is not None:
        conditions.append(RESPONSE.c.id < q.before_id)
    query = select(*_columns()).select_from(_joined()).where(*conditions).order_by(RESPONSE.c.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query.limit(q.limit + 1)).all()
    return list(rows[: q.limit]), len(rows) > q.limit


def sentences_about(
    engine: Engine, response_ids: list[int], stage: str | None, touchpoint: str | None
) -> dict[int, list[Any]]:
    """The sentences of `response_ids` at `stage` / `touchpoint`, per response in text order: what a list
    filtered by either was found for, so a reader sees the sentence that put each comment there."""
    if not response_ids or not (stage or touchpoint):
        return {}
    s = sentence_result.c
    conditions: list[Any] = [s.response_id.in_(response_ids)]
    if stage:
        conditions.append(s.stage == stage)
    if touchpoint:
        conditions.append(s.touchpoint == touchpoint)
    columns = (s.response_id, s.idx, s.text, s.start, s.end, s.sentiment, s.p_negative, s.p_neutral, s.p_positive,
               s.stage, s.touchpoint, s.touchpoint_score)  # fmt: skip
    query = select(*columns).where(*conditions).order_by(s.response_id, s.idx)
    found: dict[int, list[Any]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            found.setdefault(row.response_id, []).append(row)
    return found


def get_response(engine: Engine, response_id: int) -> tuple[Any, dict[str, Any] | None]:
    """The response's row (as in a list page) and its full analysis (None until it is scored)."""
    query = select(*_columns(), COMMENT.c.analysis).select_from(_joined()).where(RESPONSE.c.id == response_id)
    with engine.connect() as connection:
        row = connection.execute(query).first()
        if row is None:
            raise LookupError(f"No response has id {response_id}")
        if row.analysis is None:
            return row, None
        sentences = connection.execute(
            select(sentence_result).where(sentence_result.c.response_id == response_id)
        ).all()
    return row, analysis_detail(row.analysis, sentences)
