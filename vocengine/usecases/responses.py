"""Storing responses, reading them back, putting failed ones back in the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vocengine.errors import QueueFull
from vocengine.ingest import Accepted, ResponseCreate, revise_response
from vocengine.ingest import store_responses as insert_responses
from vocengine.learning.labels import EffectiveLabel, effective_labels
from vocengine.runtime import Runtime
from vocengine.store import queue
from vocengine.store.db import write_transaction
from vocengine.store.responses import ResponseQuery, get_response, list_responses, sentences_about


def store_responses(
    runtime: Runtime, items: Sequence[ResponseCreate], *, respect_queue_limit: bool = True
) -> list[Accepted]:
    """Validated items (a `ResponseCreate` each) cleaned and redacted by the runtime's redactor (with its NER
    model when one is configured) and stored as pending, idempotently on (source, external_id); raises
    `DuplicateInBatch` when one batch names the same response twice, and `QueueFull`, storing nothing, when
    `max_pending` responses already wait to be scored (unless `respect_queue_limit` is false: `vocengine
    import`, an operator's deliberate bulk load)."""
    if respect_queue_limit:
        check_queue(runtime)
    return insert_responses(runtime.engine, items, runtime.redactor)


def store_or_revise(runtime: Runtime, item: ResponseCreate) -> tuple[int, bool, bool]:
    """`item` stored as `store_responses` stores it, or, when its (source, external_id) is stored already, that
    response revised to it (`vocengine.ingest.revise_response`: a changed text is redacted and scored again):
    for a source that sends the same response again as it changes. (id, whether new, whether revised)."""
    [accepted] = store_responses(runtime, [item])
    if not accepted.duplicate:
        return accepted.id, True, False
    return accepted.id, False, revise_response(runtime.engine, accepted.id, item, runtime.redactor)


def check_queue(runtime: Runtime) -> None:
    """`QueueFull` when the queue (as last counted, at most `queue_depth_cache_seconds` ago) is at its limit."""
    settings = runtime.settings
    if not settings.max_pending:
        return
    depth = runtime.queue_depth()
    if depth >= settings.max_pending:
        raise QueueFull("E501", depth=depth, limit=settings.max_pending, retry_after=settings.queue_retry_after_seconds)


@dataclass(frozen=True)
class ResponseView:
    row: Any  # the response's columns and `comment_sentiment`
    analysis: dict[str, Any] | None
    labels: list[EffectiveLabel]


def response_detail(runtime: Runtime, response_id: int) -> ResponseView:
    """One response with its analysis (touchpoints of the map in force) and the labels in force for it."""
    row, analysis = get_response(runtime.engine, response_id)
    return ResponseView(row, analysis, effective_labels(runtime.engine, response_id=response_id))


@dataclass(frozen=True)
class ResponsePageView:
    rows: list[Any]
    more: bool
    # Per response id, its sentences at the stage / touchpoint the page is filtered by (empty when it is not).
    about: dict[int, list[Any]]


def response_page(runtime: Runtime, query: ResponseQuery) -> ResponsePageView:
    rows, more = list_responses(runtime.engine, query)
    about = sentences_about(runtime.engine, [r.id for r in rows], query.stage, query.touchpoint)
    return ResponsePageView(rows=rows, more=more, about=about)


def requeue_failed(runtime: Runtime, since: datetime | None = None, source: str | None = None) -> int:
    """Failed responses (received since `since`, from `source`) back in the queue with their attempts reset;
    how many."""
    with write_transaction(runtime.engine) as connection:
        return queue.requeue_failed(connection, since, source)
