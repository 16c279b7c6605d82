"""Labels: CX leads correct sentiment, emotions and touchpoints; the queue says where a label helps most."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import AnalyzerDep, EngineDep, LabelKey, RuntimeDep, who
from api.errors import NOT_FOUND, ApiError, ErrorDetail
from api.examples import example
from vocengine.learning import labels
from vocengine.learning.label_queue import label_queue
from vocengine.store.tables import ApiKey, Label
from vocengine.usecases.labels import add_label, label_counts
from vocengine.validation import Id, Index

router = APIRouter(tags=["labels"])


class LabelPublic(BaseModel):
    id: int
    target: str = Field(description='"r<response>/s<sentence>", "r<response>" or "t<hash of a text>"')
    response_id: int | None
    sentence_index: int | None
    text: str = Field(description="the redacted text the label is about")
    sentiment: str | None
    emotions: list[str] | None
    touchpoint: str | None
    journey_map_id: int | None = Field(description="the journey map version active when it was labelled")
    split: str = Field(description="train, or holdout: kept for the evaluation gate, never trained on")
    labelled_by: str
    created_at: datetime


def _public(label: Label) -> LabelPublic:
    public = LabelPublic.model_validate(label, from_attributes=True)
    public.created_at = labels.utc(public.created_at)
    return public


def _store(runtime: RuntimeDep, values: labels.LabelValues, key: ApiKey, **target: Any) -> LabelPublic:
    try:
        label = add_label(runtime, values, labelled_by=who(key), **target)
    except labels.LabelError as exc:
        raise ApiError(422, f"Invalid label: {exc}", [ErrorDetail(field=exc.field, message=exc.message)]) from exc
    return _public(label)


@router.put(
    "/responses/{response_id}/labels",
    response_model=LabelPublic,
    responses={404: NOT_FOUND},
    summary="Label a whole comment",
)
def label_response(
    response_id: Annotated[Id, Path()], values: labels.LabelValues, runtime: RuntimeDep, key: LabelKey
) -> LabelPublic:
    """The correct sentiment, emotions or touchpoint of the comment as a whole. Stored as a new row with
    who and when; earlier labels stay in the history. Fields left out keep their earlier label."""
    return _store(runtime, values, key, response_id=response_id)


@router.put(
    "/responses/{response_id}/sentences/{index}/labels",
    response_model=LabelPublic,
    responses={404: NOT_FOUND},
    summary="Label one sentence of a comment",
)
def label_sentence(
    response_id: Annotated[Id, Path()],
    index: Annotated[Index, Path()],
    values: labels.LabelValues,
    runtime: RuntimeDep,
    key: LabelKey,
) -> LabelPublic:
    """Sentences are numbered from 0 as `GET /v1/responses/{id}` lists them; the response must be scored."""
    return _store(runtime, values, key, response_id=response_id, sentence_index=index)


@router.post(
    "/labels", status_code=status.HTTP_201_CREATED, response_model=LabelPublic, summary="Label a text not stored"
)
def label_text(body: labels.TextLabel, runtime: RuntimeDep, key: LabelKey) -> LabelPublic:
    """A sentence with its labels, not stored as a response: e.g. examples that seed a new journey map's
    touchpoints. The text is cleaned and redacted before it is stored, as responses are."""
    return _store(runtime, body, key, text=body.text)


@router.get(
    "/labels",
    summary="Export labels as JSONL",
    response_class=StreamingResponse,
    responses=example("labels_export", "application/x-ndjson"),
)
def export_labels(
    engine: EngineDep,
    _key: LabelKey,
    effective: Annotated[
        bool, Query(description="one line per target with the labels in force, not the history")
    ] = False,
) -> StreamingResponse:
    """Every label row in the order given (the full history), or with `effective=true` the labels in force
    per sentence or text. `vocengine labels import` reads either back."""

    def lines() -> Iterator[str]:
        if effective:
            for entry in labels.effective_labels(engine):
                yield json.dumps(entry.__dict__, ensure_ascii=False) + "\n"
        else:
            for label in labels.history(engine):
                yield json.dumps(labels.export_record(label), ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


class QueueEntry(BaseModel):
    response_id: int
    sentence_index: int
    text: str
    stage: str | None = Field(description="as the active model assigns it now")
    touchpoint: str | None
    margin: float = Field(description="how sure the model is (0 = a coin toss); the queue starts with the least sure")
    reason: str
    label_url: str = Field(description="where to PUT the label")


class LabelQueue(BaseModel):
    task: str
    items: list[QueueEntry]


@router.get(
    "/labels/queue", response_model=LabelQueue, responses=example("labels_queue"), summary="Sentences to label next"
)
def queue(
    engine: EngineDep,
    analyzer: AnalyzerDep,
    _key: LabelKey,
    task: Literal["touchpoint", "sentiment", "emotion"],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> LabelQueue:
    """The stored sentences the active model is least sure of for `task` (small margin between two
    answers, a probability next to its threshold, or just under the touchpoint threshold), not labelled
    for it yet, taken in turn from each predicted touchpoint so the effort spreads over the map."""
    current, _ = analyzer.current()
    items = label_queue(engine, current, task, limit)
    return LabelQueue(
        task=task,
        items=[
            QueueEntry(
                **item.__dict__, label_url=f"/v1/responses/{item.response_id}/sentences/{item.sentence_index}/labels"
            )
            for item in items
        ],
    )


class LabelCount(BaseModel):
    labels: int = Field(description="texts or sentences with a label in force")
    holdout: int = Field(description="of those, the ones kept for the evaluation gate (never trained on)")


class TouchpointLabelCount(LabelCount):
    stage: str
    touchpoint: str
    name: str


class MapRef(BaseModel):
    id: int | None = Field(description="the stored version (GET /v1/journey-maps); null: the configured map")
    name: str


class LabelCounts(BaseModel):
    journey_map: MapRef
    touchpoints: list[TouchpointLabelCount] = Field(description="every touchpoint of the map in journey order")
    none: LabelCount = Field(description='labelled "none" (none of these touchpoints)')
    other_touchpoints: LabelCount = Field(description="labelled with a touchpoint the active map no longer has")
    tasks: dict[str, LabelCount] = Field(description="per task: sentiment, emotion, touchpoint")


@router.get(
    "/labels/counts",
    response_model=LabelCounts,
    responses=example("labels_counts"),
    summary="How many labels each touchpoint has",
)
def counts(runtime: RuntimeDep, _key: LabelKey) -> LabelCounts:
    """The labels in force (a relabelled text counts once) per touchpoint of the active journey map, and per
    task, with how many of them are held out for the evaluation gate."""
    found, journey, map_id = label_counts(runtime)
    return LabelCounts(
        journey_map=MapRef(id=map_id, name=journey.name),
        touchpoints=[TouchpointLabelCount(**tp.__dict__) for tp in found.touchpoints],
        none=LabelCount(**found.none.__dict__),
        other_touchpoints=LabelCount(**found.other_touchpoints.__dict__),
        tasks={task: LabelCount(**count.__dict__) for task, count in found.tasks.items()},
    )
