"""Themes inside a touchpoint or stage, and the gaps in the journey map: computed by a background job from the
stored sentence embeddings and cached per question and data state (`vocengine.usecases.themes`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import AdminKey, ReadKey, RuntimeDep
from api.errors import ErrorResponse
from api.examples import example
from api.filters import FilterDep
from api.routers.journey_maps import JourneyMapVersionPublic, _view
from vocengine.insights.themes import GapsReport, Polarity, ThemesReport
from vocengine.journey.maps import ID_PATTERN
from vocengine.usecases import themes
from vocengine.usecases.maps import map_versions

router = APIRouter(tags=["insights"])


class Computing(BaseModel):
    """No fresh report yet: the job computing it. Ask again (the same query) to get the report when it is done."""

    status: str = Field(description="the job's status: queued or running (failed: asking again queues a new one)")
    job_id: int = Field(description="admins follow it at GET /v1/jobs/{id}")
    progress_done: int


COMPUTING: dict[int | str, dict[str, Any]] = {
    202: {"model": Computing, "description": "no fresh report: the job computing it (ask again)"}
}


def _answer(answer: themes.Answer) -> Response:
    if answer.report is not None:
        return Response(content=_dump(answer.report), media_type="application/json")
    job = answer.job
    assert job is not None and job.id is not None
    body = Computing(status=job.status, job_id=job.id, progress_done=job.progress_done)
    return Response(content=body.model_dump_json(), media_type="application/json", status_code=202)


def _dump(report: dict[str, object]) -> str:
    return json.dumps(report, ensure_ascii=False)


@router.get(
    "/themes",
    response_model=ThemesReport,
    responses={**COMPUTING, **example("themes")},
    summary="Pain-point themes of a touchpoint or stage, clustered from the stored embeddings",
)
def get_themes(
    runtime: RuntimeDep,
    f: FilterDep,
    _key: ReadKey,
    polarity: Annotated[Polarity, Query(description="cluster the negative sentences, or all")] = "negative",
) -> Response:
    """Themes of the selected sentences (filter by `touchpoint` or `stage`, dates and the rest): HDBSCAN over
    the stored embeddings, each theme labelled by its distinctive words (c-TF-IDF), with its size, net sentiment,
    trend and example sentences. Computed by a job and kept until the data changes: 202 with the job while it
    runs, then 200 with the report. Nothing is clustered under the minimum volume."""
    return _answer(themes.themes(runtime, f, polarity))


@router.get(
    "/journey/gaps",
    response_model=GapsReport,
    responses={**COMPUTING, **example("gaps")},
    summary="Coverage of the journey map, and touchpoints proposed from the unassigned sentences",
)
def get_gaps(runtime: RuntimeDep, f: FilterDep, _key: ReadKey) -> Response:
    """The share of sentences a touchpoint took, per source, week and stage, and the unassigned sentences
    clustered into proposed touchpoints (id, name, description, examples, likely stage). A job, cached like
    /v1/themes: 202 while it runs."""
    return _answer(themes.gaps(runtime, f))


@router.post(
    "/journey/gaps/{proposal_id}/adopt",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JourneyMapVersionPublic,
    responses={404: {"model": ErrorResponse, "description": "no gaps report of the active map proposes it"}},
    summary="Add a proposed touchpoint to the journey map: a new version (admin)",
)
def adopt_gap(
    runtime: RuntimeDep,
    _key: AdminKey,
    proposal_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a proposal's id")],
) -> JourneyMapVersionPublic:
    """The active map with the proposed touchpoint added to its likely stage becomes the new active version;
    stored sentences are re-assigned to it in the background, as after PUT /v1/journey-maps."""
    version = themes.adopt_proposal(runtime, proposal_id)
    return next(_view(v) for v in map_versions(runtime) if v.version.id == version.id)
