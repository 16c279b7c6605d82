"""Synchronous analysis without storing anything, for a tool that wants the answer at once."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnalyzeKey, AnalyzerDep
from api.examples import example
from vocengine.schemas import CommentAnalysis
from vocengine.validation import FreeText

router = APIRouter(prefix="/analyze", tags=["analyze"])
MAX_TEXTS = 100


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"texts": ["Sales were great. Onboarding was a nightmare."]}]},
    )
    # Not stored, but the analysis echoes the text: a lone surrogate could not be encoded in the answer.
    texts: list[FreeText] = Field(min_length=1, max_length=MAX_TEXTS, description=f"1 to {MAX_TEXTS} comments")


class AnalyzeResponse(BaseModel):
    results: list[CommentAnalysis]


@router.post("", response_model=AnalyzeResponse, responses=example("analyze"), summary="Score text now, store nothing")
def analyze(request: AnalyzeRequest, analyzer: AnalyzerDep, _key: AnalyzeKey) -> AnalyzeResponse:
    """Sentiment, emotions and touchpoints (active journey map) of each text, as `vocengine analyze`
    writes them; the text comes back redacted. Needs the `ingest` or the `read` scope."""
    engine, _ = analyzer.current()
    return AnalyzeResponse(results=engine.analyze(request.texts))
