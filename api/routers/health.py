"""Liveness and the queue at a glance; the only endpoint without a key."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import StateDep
from vocengine.store import queue

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    model_version: str
    journey_map: str
    queue: dict[str, int] = Field(description="responses by status", examples=[{"pending": 3, "done": 120}])
    worker: bool = Field(description="whether this process runs a scoring worker")


@router.get("/health", response_model=Health)
def health(state: StateDep) -> Health:
    analyzer, _ = state.runtime.active.current()
    with state.runtime.engine.connect() as connection:
        counts = queue.counts(connection)
    return Health(
        status="ok",
        model_version=analyzer.model_version,
        journey_map=analyzer.journey_label,
        queue=counts,
        worker=state.worker is not None,
    )
