"""Synchronous analysis without storing anything, for a tool that wants the answer at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnalyzeKey, AnalyzerDep, SettingsDep, StateDep
from api.errors import ApiError, ErrorDetail, ErrorResponse
from api.examples import example
from api.limits import abandoned
from vocengine.active import ActiveAnalyzer
from vocengine.schemas import CommentAnalysis
from vocengine.validation import FreeText

router = APIRouter(prefix="/analyze", tags=["analyze"])
# Texts analysed between two looks at whether the request was abandoned: a few encoder batches.
CHUNK = 16


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"texts": ["Sales were great. Onboarding was a nightmare."]}]},
    )
    # Not stored, but the analysis echoes the text: a lone surrogate could not be encoded in the answer.
    texts: list[FreeText] = Field(
        min_length=1,
        description="1 to VOCENGINE_MAX_ANALYZE_TEXTS (100) comments of at most VOCENGINE_MAX_ANALYZE_CHARS "
        "(20,000) characters each",
    )


class AnalyzeResponse(BaseModel):
    results: list[CommentAnalysis]


class Abandoned(Exception):
    pass


def _analyze(analyzer: ActiveAnalyzer, texts: Sequence[str], stop: threading.Event) -> list[CommentAnalysis]:
    engine, _ = analyzer.current()
    results: list[CommentAnalysis] = []
    for start in range(0, len(texts), CHUNK):
        if stop.is_set():
            raise Abandoned
        results += engine.analyze(texts[start : start + CHUNK])
    return results


def _check_size(texts: list[str], max_texts: int, max_chars: int) -> None:
    if len(texts) > max_texts:
        message = f"at most {max_texts} texts in one request; this one has {len(texts)}"
        raise ApiError(422, f"Invalid request at texts: {message}", [ErrorDetail(field="texts", message=message)])
    details = [
        ErrorDetail(field=f"texts.{i}", index=i, message=f"{len(text)} characters, over the limit of {max_chars}")
        for i, text in enumerate(texts)
        if len(text) > max_chars
    ]
    if details:
        raise ApiError(422, f"Invalid request at {details[0].field}: {details[0].message}", details)


@router.post(
    "",
    response_model=AnalyzeResponse,
    responses={**example("analyze"), 422: {"model": ErrorResponse, "description": "too many texts, or one too long"}},
    summary="Score text now, store nothing",
)
async def analyze(
    request: Request,
    body: AnalyzeRequest,
    analyzer: AnalyzerDep,
    settings: SettingsDep,
    state: StateDep,
    _key: AnalyzeKey,
) -> AnalyzeResponse:
    """Sentiment, emotions and touchpoints (active journey map) of each text, as `vocengine analyze`
    writes them; the text comes back redacted. Needs the `ingest` or the `read` scope."""
    _check_size(body.texts, settings.max_analyze_texts, settings.max_analyze_chars)
    # Off the event loop, on the model calls' own threads (api.limits.HeavyWork).
    stop = abandoned(request)
    try:
        return AnalyzeResponse(results=await state.heavy.run(_analyze, analyzer, body.texts, stop))
    except asyncio.CancelledError:
        stop.set()  # the client went away, or the time limit passed: the thread stops after its chunk
        raise
