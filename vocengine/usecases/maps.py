"""Journey map versions: adopt a new one (stored sentences are re-assigned by a job), list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vocengine.journey.maps import JourneyMap, parse_journey_map
from vocengine.runtime import Runtime
from vocengine.store.journeys import list_versions, put_version, reassignments
from vocengine.store.tables import Job, JourneyMapVersion


def adopt_map_version(
    runtime: Runtime, definition: JourneyMap | dict[str, Any], source: str = "the request body"
) -> JourneyMapVersion:
    """Make the map active at once for new responses, and queue the re-assignment of stored sentences to its
    touchpoints (a job, leased: one worker does each batch once). An invalid map raises `JourneyMapError`
    naming the field; the active map again changes nothing."""
    journey = definition if isinstance(definition, JourneyMap) else parse_journey_map(definition, source=source)
    return put_version(runtime.engine, journey)


@dataclass(frozen=True)
class MapVersionView:
    version: JourneyMapVersion
    reassignment: Job | None  # the job re-assigning stored sentences to it, if it had one


def map_versions(runtime: Runtime) -> list[MapVersionView]:
    """Newest first, each with its re-assignment job."""
    jobs = reassignments(runtime.engine)
    return [MapVersionView(v, jobs.get(v.id or 0)) for v in list_versions(runtime.engine)]
