"""The model registry: train a new version, promote a version, roll back, rescore stored responses with the
active one."""

from __future__ import annotations

from datetime import datetime

from vocengine.learning import registry, rescore, training
from vocengine.runtime import Runtime
from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.tables import Job, ModelVersion


class NoActiveModel(LookupError):
    pass


def _registry(runtime: Runtime) -> None:
    """The configured model is the registry's first version, even before any process has loaded it."""
    registry.ensure_registered_dir(runtime.engine, runtime.settings.model_dir)


class TrainingBusy(RuntimeError):
    """A training run is queued or running already: one at a time."""

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"Training job {job.id} is {job.status} already (GET /v1/jobs/{job.id}); one run at a time: "
            "start another when it has finished"
        )
        self.job = job


def start_training(runtime: Runtime, request: training.TrainRequest) -> Job:
    """Queue a training run (a `train` job that a worker with the training code runs): train a candidate on
    the labels in force, judge it with the evaluation gate, register it, and promote it when the gate says
    better and `request.promote`. `TrainingBusy` while another run is open; `NoActiveModel` or
    `training.NothingToLearn` when a run could not start from anything."""
    _registry(runtime)
    if registry.active_model(runtime.engine) is None:
        raise NoActiveModel("No model version is active yet")
    if not training.has_training_labels(runtime.engine):
        raise training.NothingToLearn("No training labels yet: label sentences first (GET /v1/labels/queue)")
    with write_transaction(runtime.engine) as connection:
        # The open job's dedupe key (a unique index) makes two requests at once queue one run, not two.
        job_id, new = jobs.enqueue(
            connection, training.KIND, request.model_dump(), dedupe_key=training.DEDUPE_KEY,
            total=len(training.STAGES),
        )  # fmt: skip
    job = jobs.get(runtime.engine, job_id)
    if not new:
        raise TrainingBusy(job)
    return job


def list_models(runtime: Runtime) -> list[ModelVersion]:
    _registry(runtime)
    return registry.list_versions(runtime.engine)


def promote_model(runtime: Runtime, version_id: str, *, force: bool = False) -> ModelVersion:
    """Make a version active (the API and every worker switch before their next batch) and queue the
    rescoring of stored responses with it. `PromotionRefused` for a version the gate rejected (without
    `force`) or whose files are gone; `LookupError` for an unknown one."""
    _registry(runtime)
    return registry.promote(runtime.engine, version_id, force=force)


def rollback_model(runtime: Runtime) -> ModelVersion:
    _registry(runtime)
    return registry.rollback(runtime.engine)


def start_rescore(runtime: Runtime, since: datetime | None = None) -> Job:
    """Queue rescoring of the responses another version scored (submitted since `since`) with the active one;
    the same request while it is open is that job."""
    _registry(runtime)
    active = registry.active_model(runtime.engine)
    if active is None:
        raise NoActiveModel("No model version is active yet")
    return jobs.get(runtime.engine, rescore.start_job(runtime.engine, active.id, since))


def rescore_jobs(runtime: Runtime, limit: int = 20) -> list[Job]:
    return jobs.list_jobs(runtime.engine, kind=rescore.KIND, limit=limit)
