"""The model registry (admin): versions with their metrics and gate reports, training, promotion, rollback,
rescoring."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, EngineDep, RuntimeDep
from api.errors import CONFLICT, NOT_FOUND, ApiError
from api.examples import example
from api.routers.jobs import JobPublic, public
from vocengine.learning import registry, training
from vocengine.store.tables import Job, ModelVersion, as_utc
from vocengine.usecases import models
from vocengine.validation import Text, UtcDateTime

router = APIRouter(prefix="/models", tags=["models"])


class _Utc(BaseModel):
    @field_validator("created_at", "promoted_at", "since", "finished_at", mode="after", check_fields=False)
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)


class ModelVersionPublic(_Utc):
    id: str
    parent_id: str | None
    status: str = Field(description="active, candidate, retired (was active) or rejected (failed the gate)")
    data_hash: str | None = Field(description="sha256 of the training labels")
    labels_used: int
    metrics: dict[str, Any]
    gate: dict[str, Any] | None = Field(description="the evaluation gate's decision and reasons")
    created_at: datetime
    promoted_at: datetime | None


class ModelVersionDetail(ModelVersionPublic):
    report: dict[str, Any] | None = Field(description="the full evaluation report, per label")


class ModelList(BaseModel):
    active: ModelVersionPublic | None
    versions: list[ModelVersionPublic] = Field(description="newest first")


class RescoreJobPublic(_Utc):
    id: int = Field(description="the job in GET /v1/jobs/{id}")
    model_version: str
    since: datetime | None
    status: str = Field(description="queued, running, done, failed or cancelled (a newer promotion replaced it)")
    total: int
    done: int
    percent: float
    created_at: datetime
    finished_at: datetime | None


class RescoreRequest(BaseModel):
    since: UtcDateTime | None = Field(None, description="only responses submitted since then")


def _public(version: ModelVersion) -> ModelVersionPublic:
    gate = (version.report or {}).get("decision")
    return ModelVersionPublic(**version.model_dump(exclude={"path", "report"}), gate=gate)


def _job(job: Job) -> RescoreJobPublic:
    total, done = job.progress_total or 0, job.progress_done
    since = job.params.get("since")
    return RescoreJobPublic(
        id=job.id or 0,
        model_version=job.params["model_version"],
        since=datetime.fromisoformat(since) if since else None,
        status=job.status,
        total=total,
        done=done,
        percent=100.0 if total == 0 else round(100.0 * min(done, total) / total, 1),
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


@router.get("", response_model=ModelList, responses=example("models"), summary="Model versions, newest first")
def list_models(runtime: RuntimeDep, _key: AdminKey) -> ModelList:
    versions = [_public(v) for v in models.list_models(runtime)]
    return ModelList(active=next((v for v in versions if v.status == "active"), None), versions=versions)


@router.get(
    "/rescore",
    response_model=list[RescoreJobPublic],
    responses=example("rescore_jobs"),
    summary="Rescoring jobs and their progress",
)
def rescore_jobs(runtime: RuntimeDep, _key: AdminKey) -> list[RescoreJobPublic]:
    return [_job(j) for j in models.rescore_jobs(runtime)]


@router.post(
    "/rescore",
    response_model=RescoreJobPublic,
    status_code=202,
    responses={409: CONFLICT},
    summary="Rescore stored responses",
)
def start_rescore(body: RescoreRequest, runtime: RuntimeDep, _key: AdminKey) -> RescoreJobPublic:
    """Rescore stored responses that another model version scored, with the active version, in the
    background (a job the worker runs when the queue is empty); asking again while it is open answers the
    same job."""
    try:
        return _job(models.start_rescore(runtime, body.since))
    except models.NoActiveModel as exc:
        raise ApiError(409, str(exc)) from exc


@router.post(
    "/train",
    response_model=JobPublic,
    status_code=202,
    responses={409: CONFLICT},
    summary="Train a new model version from the labels",
)
def start_training(body: training.TrainRequest, runtime: RuntimeDep, _key: AdminKey) -> JobPublic:
    """Train a candidate on the labels in force, in the background (a `train` job: follow it in
    `GET /v1/jobs/{id}`), judge it against the active version with the evaluation gate, register it, and
    promote it when the gate says better (unless `promote` is false). When it is done, the job's `result`
    holds the verdict: the version, whether it was promoted, the gate's reasons, both versions' figures per
    task and the labels it rests on. One run at a time: 409, naming the open job, while another is queued
    or running; 409 too with no training labels yet."""
    try:
        return public(models.start_training(runtime, body))
    except (models.TrainingBusy, models.NoActiveModel, training.NothingToLearn) as exc:
        raise ApiError(409, str(exc)) from exc


@router.post(
    "/rollback",
    response_model=ModelVersionPublic,
    responses={409: CONFLICT},
    summary="Go back to the version active before",
)
def rollback(runtime: RuntimeDep, _key: AdminKey) -> ModelVersionPublic:
    try:
        return _public(models.rollback_model(runtime))
    except registry.PromotionRefused as exc:
        raise ApiError(409, str(exc)) from exc


@router.get(
    "/{version_id}",
    response_model=ModelVersionDetail,
    responses={404: NOT_FOUND, **example("model")},
    summary="One version with its evaluation report",
)
def get_model(version_id: Text, engine: EngineDep, _key: AdminKey) -> ModelVersionDetail:
    version = registry.get_version(engine, version_id)
    return ModelVersionDetail(**_public(version).model_dump(), report=version.report)


@router.post(
    "/{version_id}/promote",
    response_model=ModelVersionPublic,
    responses={404: NOT_FOUND, 409: CONFLICT},
    summary="Make a version active",
)
def promote(
    version_id: Text,
    runtime: RuntimeDep,
    _key: AdminKey,
    force: Annotated[bool, Query(description="promote even a version the evaluation gate rejected")] = False,
) -> ModelVersionPublic:
    """The service and every worker switch to it before their next batch, without a restart, and stored
    responses are rescored with it in the background (`GET /v1/models/rescore`)."""
    try:
        return _public(models.promote_model(runtime, version_id, force=force))
    except registry.PromotionRefused as exc:
        raise ApiError(409, str(exc)) from exc
