"""Background jobs (admin): rescoring, journey map re-assignment and the rest, with their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, EngineDep
from api.errors import ErrorResponse
from api.examples import example
from vocengine.store import jobs
from vocengine.store.tables import Job, JobStatus, as_utc
from vocengine.validation import INT32_MAX, Text

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a job's id")]


class JobProgress(BaseModel):
    done: int
    total: int | None = Field(description="null while not known")
    percent: float | None


class JobPublic(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3, "kind": "rescore", "params": {"model_version": "ft-20261122-101500", "since": None},
                    "status": "running", "progress": {"done": 128, "total": 400, "percent": 32.0}, "result": None,
                    "error": None, "attempts": 0, "lease_expiries": 0, "claimed_by": "host:4121:7", "created_at":
                    "2026-11-22T10:15:02Z", "started_at": "2026-11-22T10:15:03Z", "finished_at": None,
                }
            ]
        }
    }  # fmt: skip
    id: int
    kind: str = Field(description="rescore, reassign_map, ...")
    params: dict[str, Any]
    status: str = Field(description="queued, running, done, failed or cancelled")
    progress: JobProgress
    result: dict[str, Any] | None
    error: str | None = Field(description="why it failed or was cancelled, or its last failed step")
    attempts: int = Field(description="failed steps so far")
    lease_expiries: int = Field(description="times its worker stopped while holding it")
    claimed_by: str | None = Field(description="the worker holding it now")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @field_validator("created_at", "started_at", "finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


def public(job: Job) -> JobPublic:
    total = job.progress_total
    percent = (
        None if total is None else 100.0 if total == 0 else round(100.0 * min(job.progress_done, total) / total, 1)
    )
    return JobPublic(
        **job.model_dump(exclude={"progress_done", "progress_total", "cursor", "claim_expires_at", "dedupe_key"}),
        progress=JobProgress(done=job.progress_done, total=total, percent=percent),
    )


@router.get(
    "", response_model=list[JobPublic], responses=example("jobs"), summary="Background jobs, newest first (admin)"
)
def list_jobs(
    engine: EngineDep,
    _key: AdminKey,
    kind: Text | None = None,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="only jobs with a smaller id (the next page)")
    ] = None,
) -> list[JobPublic]:
    found = jobs.list_jobs(engine, kind=kind, status=status.value if status else None, limit=limit, before=before)
    return [public(j) for j in found]


@router.get(
    "/{job_id}",
    response_model=JobPublic,
    responses={404: {"model": ErrorResponse, "description": "no job has this id"}, **example("job")},
    summary="One background job with its progress (admin)",
)
def get_job(job_id: JobId, engine: EngineDep, _key: AdminKey) -> JobPublic:
    return public(jobs.get(engine, job_id))
