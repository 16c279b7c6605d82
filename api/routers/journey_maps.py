"""Journey map versions: read them; put a new one, which re-assigns stored sentences in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, ReadKey, RuntimeDep
from api.examples import example
from vocengine.store.tables import Job, JourneyMapVersion, as_utc
from vocengine.usecases.maps import MapVersionView, adopt_map_version, map_versions

router = APIRouter(prefix="/journey-maps", tags=["journey maps"])


class JourneyMapVersionPublic(BaseModel):
    id: int
    name: str
    fingerprint: str
    active: bool
    created_at: datetime
    reassign_status: str = Field(
        description="re-assigning stored sentences to this map, a job: queued, running, done, failed or cancelled "
        "(a newer map replaced it); done when there was nothing to re-assign"
    )
    reassigned_sentences: int
    reassign_job_id: int | None = Field(description="the job in GET /v1/jobs/{id}, if there was one")
    definition: dict[str, Any]

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value) or value


class JourneyMapList(BaseModel):
    active: JourneyMapVersionPublic | None
    versions: list[JourneyMapVersionPublic] = Field(description="newest first")


def _public(version: JourneyMapVersion, job: Job | None) -> JourneyMapVersionPublic:
    return JourneyMapVersionPublic(
        **version.model_dump(include={"id", "name", "fingerprint", "active", "created_at", "definition"}),
        reassign_status=job.status if job else "done",
        reassigned_sentences=job.progress_done if job else 0,
        reassign_job_id=job.id if job else None,
    )


def _view(view: MapVersionView) -> JourneyMapVersionPublic:
    return _public(view.version, view.reassignment)


@router.get(
    "",
    response_model=JourneyMapList,
    responses=example("journey_maps"),
    summary="The active journey map and its earlier versions",
)
def list_maps(runtime: RuntimeDep, _key: ReadKey) -> JourneyMapList:
    versions = [_view(v) for v in map_versions(runtime)]
    return JourneyMapList(active=next((v for v in versions if v.active), None), versions=versions)


EXAMPLE_MAP = {
    "name": "B2B SaaS",
    "stages": [
        {
            "id": "onboarding",
            "name": "Onboarding",
            "touchpoints": [
                {
                    "id": "kickoff",
                    "name": "Kick-off and setup",
                    "description": "First calls, account setup, data import, training of the customer's team.",
                    "examples": ["The onboarding call was a mess", "Setup took us three weeks"],
                }
            ],
        }
    ],
}


@router.put(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JourneyMapVersionPublic,
    summary="Put a new journey map version (admin)",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": EXAMPLE_MAP}}}},
)
def put_map(definition: dict[str, Any], runtime: RuntimeDep, _key: AdminKey) -> JourneyMapVersionPublic:
    """The map becomes active at once for new responses; stored sentences are re-assigned to its
    touchpoints in the background from their stored embeddings (no classifier is re-run), by a job. An
    invalid map is refused with 422 naming the field. Putting the active map again changes nothing."""
    version = adopt_map_version(runtime, definition)
    return next(_view(v) for v in map_versions(runtime) if v.version.id == version.id)
