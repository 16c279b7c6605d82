"""The model registry: promote a version, roll back, rescore stored responses with the active one."""

from __future__ import annotations

from datetime import datetime

from vocengine.learning import registry, rescore
from vocengine.runtime import Runtime
from vocengine.store import jobs
from vocengine.store.tables import Job, ModelVersion


class NoActiveModel(LookupError):
    pass


def _registry(runtime: Runtime) -> None:
    """The configured model is the registry's first version, even before any process has loaded it."""
    registry.ensure_registered_dir(runtime.engine, runtime.settings.model_dir)


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
