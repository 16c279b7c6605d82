"""Journey map versions: read them; put a new one, which re-assigns stored sentences in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import AdminKey, EngineDep, ReadKey, SessionDep
from api.examples import example
from vocengine.journey.maps import parse_journey_map
from vocengine.store.journeys import put_version
from vocengine.store.tables import JourneyMapVersion

router = APIRouter(prefix="/journey-maps", tags=["journey maps"])


class JourneyMapVersionPublic(BaseModel):
    id: int
    name: str
    fingerprint: str
    active: bool
    created_at: datetime
    reassign_status: str = Field(description="pending, running or done: re-assigning stored sentences to this map")
    reassigned_sentences: int
    definition: dict[str, Any]


class JourneyMapList(BaseModel):
    active: JourneyMapVersionPublic | None
    versions: list[JourneyMapVersionPublic] = Field(description="newest first")


def _public(version: JourneyMapVersion) -> JourneyMapVersionPublic:
    return JourneyMapVersionPublic.model_validate(version, from_attributes=True)


@router.get(
    "",
    response_model=JourneyMapList,
    responses=example("journey_maps"),
    summary="The active journey map and its earlier versions",
)
def list_maps(session: SessionDep, _key: ReadKey) -> JourneyMapList:
    versions = [_public(v) for v in session.exec(select(JourneyMapVersion).order_by(col(JourneyMapVersion.id).desc()))]
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
def put_map(definition: dict[str, Any], engine: EngineDep, _key: AdminKey) -> JourneyMapVersionPublic:
    """The map becomes active at once for new responses; stored sentences are re-assigned to its
    touchpoints in the background from their stored embeddings (no classifier is re-run). An invalid
    map is refused with 422 naming the field. Putting the active map again changes nothing."""
    journey = parse_journey_map(definition, source="the request body")
    return _public(put_version(engine, journey))
