"""Responses: pushed one at a time or in batches (idempotent), listed with filters, read with their analysis."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import AdminKey, IngestKey, ReadKey, RuntimeDep
from api.errors import ApiError, ErrorDetail, ErrorResponse
from api.examples import example
from api.filters import parse_segments
from vocengine.ingest import DuplicateInBatch, ResponseCreate
from vocengine.store.responses import ResponseQuery
from vocengine.store.tables import Source, Status, as_utc
from vocengine.usecases import responses as usecase
from vocengine.validation import INT32_MAX, Id, Servable, Text, UtcDateTime

router = APIRouter(prefix="/responses", tags=["responses"])


class ResponseBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"items": ResponseCreate.model_json_schema()["examples"]}]}
    )
    items: list[ResponseCreate] = Field(min_length=1, description="at most VOCENGINE_MAX_BATCH_ITEMS (1,000)")


class IngestItem(BaseModel):
    index: int
    id: int
    status: Literal["accepted", "duplicate"] = Field(description="duplicate: already stored, nothing changed")


class IngestResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 1,
                    "duplicates": 1,
                    "items": [
                        {"index": 0, "id": 41, "status": "duplicate"},
                        {"index": 1, "id": 57, "status": "accepted"},
                    ],
                }
            ]
        }
    )
    accepted: int
    duplicates: int
    items: list[IngestItem]


class SentenceAbout(BaseModel):
    index: int
    text: str = Field(description="redacted")
    start: int
    end: int
    sentiment: str | None
    scores: dict[str, float] | None = Field(description="negative, neutral, positive")
    stage: str | None
    touchpoint: str | None
    touchpoint_score: float | None

    @classmethod
    def of(cls, row: Any) -> SentenceAbout:
        scores = None
        if row.p_negative is not None:
            scores = {"negative": row.p_negative, "neutral": row.p_neutral, "positive": row.p_positive}
        return cls(index=row.idx, text=row.text, start=row.start, end=row.end, sentiment=row.sentiment,
                   scores=scores, stage=row.stage, touchpoint=row.touchpoint,
                   touchpoint_score=row.touchpoint_score)  # fmt: skip


class ResponseSummary(BaseModel):
    id: int = Field(examples=[57])
    source: str
    external_id: str
    text: str = Field(description="redacted")
    submitted_at: datetime | None
    received_at: datetime
    channel: str | None
    persona: str | None
    account_id: str | None
    contact_id: str | None
    # Served, not trusted: a row stored before input was checked may hold a lone surrogate or NaN here.
    segments: Annotated[dict[str, Any], Servable]
    score: Annotated[float | None, Servable]
    score_type: str | None
    language: str | None
    status: str = Field(description="pending, processing, done or failed")
    attempts: int
    last_error: str | None = Field(description="why scoring failed, when it did")
    sentiment: str | None = Field(description="the comment's sentiment once scored")
    about: list[SentenceAbout] | None = Field(
        None, description="with a stage or touchpoint filter: the comment's sentences there, that put it in the list"
    )

    @field_validator("submitted_at", "received_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": 57, "source": "survey", "external_id": "qualtrics-R_3kP9",
    "text": "Sales were great. Onboarding was a nightmare: write to [EMAIL].",
    "submitted_at": "2026-11-20T09:30:00Z", "received_at": "2026-11-20T09:30:02Z", "channel": "email",
    "persona": "admin", "account_id": "acme", "contact_id": "jane", "segments": {"region": "EMEA"},
    "score": 6, "score_type": "nps", "language": "en", "status": "done", "attempts": 1, "last_error": None,
    "sentiment": "negative",
}  # fmt: skip


class ResponsePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [SUMMARY_EXAMPLE], "next_cursor": "NTc="}]})
    items: list[ResponseSummary]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last one")


class LabelInForce(BaseModel):
    sentence_index: int | None = Field(description="null: a label of the whole comment")
    sentiment: str | None
    emotions: list[str] | None
    touchpoint: str | None


class ResponseDetail(ResponseSummary):
    analysis: dict[str, Any] | None = Field(
        description="the engine's analysis (see POST /v1/analyze), touchpoints as of the active journey map"
    )
    labels: list[LabelInForce] = Field(
        default_factory=list, description="CX leads' corrections in force for the comment and its sentences"
    )


BAD_BATCH: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "the body or the batch is over its limit"},
    422: {"model": ErrorResponse, "description": "an item is invalid; details name its index and field"},
}


def _ingest(runtime: RuntimeDep, items: list[ResponseCreate]) -> IngestResult:
    try:
        accepted = usecase.store_responses(runtime, items)
    except DuplicateInBatch as exc:
        raise ApiError(
            422,
            str(exc),
            [ErrorDetail(field=f"items.{exc.index}.external_id", index=exc.index, message=str(exc))],
            code="duplicate_in_batch",
        ) from exc
    rows = [IngestItem(index=a.index, id=a.id, status="duplicate" if a.duplicate else "accepted") for a in accepted]
    duplicates = sum(1 for a in accepted if a.duplicate)
    return IngestResult(accepted=len(rows) - duplicates, duplicates=duplicates, items=rows)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestResult,
    responses={200: {"model": IngestResult, "description": "already stored: nothing changed"}, **BAD_BATCH},
    summary="Push one response",
)
def push_one(item: ResponseCreate, runtime: RuntimeDep, _key: IngestKey) -> Any:
    """Stored (redacted) at once and scored by the worker; re-sending the same (source, external_id)
    changes nothing and answers 200 with status `duplicate`."""
    result = _ingest(runtime, [item])
    if result.duplicates:
        return JSONResponse(result.model_dump(mode="json"), status_code=200)
    return result


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestResult,
    responses=BAD_BATCH,
    summary="Push up to 1,000 responses",
)
def push_batch(batch: ResponseBatch, runtime: RuntimeDep, _key: IngestKey) -> IngestResult:
    """All or nothing: an invalid item refuses the whole batch (422 naming its index), so a tool can
    fix it and re-send; items already stored come back as `duplicate`."""
    limit = runtime.settings.max_batch_items
    if len(batch.items) > limit:
        raise ApiError(413, f"A batch holds at most {limit} items; this one has {len(batch.items)}")
    return _ingest(runtime, batch.items)


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        last_id = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        last_id = 0
    # A response id is an `integer` column: anything else was not given out here (and a too large one
    # would overflow SQLite's binding).
    if not 1 <= last_id <= INT32_MAX + 1:
        raise ApiError(422, "cursor is not one this API gave out", [ErrorDetail(field="cursor", message="invalid")])
    return last_id


def _summary(row: Any) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in ResponseSummary.model_fields if name not in ("sentiment", "about")}
    data["sentiment"] = row.comment_sentiment
    return data


class RequeueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"since": "2026-11-20T00:00:00Z"}]})
    since: UtcDateTime | None = Field(None, description="only responses received since then")
    source: Source | None = Field(None, description="only responses of this source")


class RequeueResult(BaseModel):
    requeued: int = Field(description="failed responses put back in the queue, their attempts reset")


@router.post("/requeue", response_model=RequeueResult, summary="Put failed responses back in the queue (admin)")
def requeue(body: RequeueRequest, runtime: RuntimeDep, _key: AdminKey) -> RequeueResult:
    """Every failed response (received since `since`, of `source`) goes back to `pending` with its attempts
    and lease expiries reset, for the worker to try again; `vocengine requeue` does the same."""
    source = body.source.value if body.source else None
    return RequeueResult(requeued=usecase.requeue_failed(runtime, since=body.since, source=source))


@router.get(
    "", response_model=ResponsePage, responses=example("responses_about"), summary="List responses, newest first"
)
def list_responses(
    runtime: RuntimeDep,
    _key: ReadKey,
    date_from: UtcDateTime | None = None,
    date_to: UtcDateTime | None = None,
    source: Text | None = None,
    channel: Text | None = None,
    persona: Text | None = None,
    account_id: Text | None = None,
    contact_id: Text | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    stage: Text | None = None,
    touchpoint: Text | None = None,
    segment: Annotated[list[Text], Query(description="name:value, repeatable")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Text | None = None,
) -> ResponsePage:
    query = ResponseQuery(
        date_from=date_from, date_to=date_to, source=source, channel=channel, persona=persona,
        account_id=account_id, contact_id=contact_id, status=status_.value if status_ else None, stage=stage,
        touchpoint=touchpoint, segments=parse_segments(segment), before_id=_decode_cursor(cursor) if cursor else None,
        limit=limit,
    )  # fmt: skip
    view = usecase.response_page(runtime, query)
    about = stage is not None or touchpoint is not None
    page = [
        ResponseSummary(**_summary(r), about=[SentenceAbout.of(s) for s in view.about.get(r.id, [])] if about else None)
        for r in view.rows
    ]
    return ResponsePage(items=page, next_cursor=_encode_cursor(page[-1].id) if view.more else None)


@router.get(
    "/{response_id}",
    response_model=ResponseDetail,
    responses={**example("response"), 404: {"model": ErrorResponse}},
    summary="One response with its full analysis",
)
def get_response(response_id: Annotated[Id, Path()], runtime: RuntimeDep, _key: ReadKey) -> ResponseDetail:
    view = usecase.response_detail(runtime, response_id)
    in_force = [
        LabelInForce(
            sentence_index=e.sentence_index, sentiment=e.sentiment, emotions=e.emotions, touchpoint=e.touchpoint
        )
        for e in view.labels
    ]
    return ResponseDetail(**_summary(view.row), analysis=view.analysis, labels=in_force)
