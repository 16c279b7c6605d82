"""The model registry: which model version scores now, which came before, and how each was measured.

Exactly one version is `active`. Promoting another retires the active one and starts a rescoring job;
rolling back promotes the version that was active before. Workers and the API look the active version up
before each batch (`worker.ActiveAnalyzer`), so a promotion takes effect without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from vocengine.learning.rescore import start_job
from vocengine.model.artifact import load_config
from vocengine.store.db import write_transaction
from vocengine.store.tables import ModelStatus, ModelVersion, utcnow

MODEL_TABLE = ModelVersion.__table__  # type: ignore[attr-defined]


class PromotionRefused(ValueError):
    """The version exists but may not become active (the gate rejected it, or its files are gone)."""


def active_model(engine: Engine) -> ModelVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.active.value)).first()


def get_version(engine: Engine, version_id: str) -> ModelVersion:
    with Session(engine, expire_on_commit=False) as session:
        version = session.get(ModelVersion, version_id)
    if version is None:
        raise LookupError(f"model version {version_id!r} is not in the registry")
    return version


def list_versions(engine: Engine) -> list[ModelVersion]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.created_at).desc())).all())


def ensure_registered(engine: Engine, model_version: str, path: Path | None, metrics: dict[str, Any]) -> ModelVersion:
    """On first start the bundled (or configured) model becomes the registry's first, active version."""
    current = active_model(engine)
    if current is not None:
        return current
    with Session(engine, expire_on_commit=False) as session:
        version = session.get(ModelVersion, model_version)
        if version is None:
            version = ModelVersion(
                id=model_version,
                path=str(Path(path).resolve()) if path else None,
                status=ModelStatus.active.value,
                metrics=dict(metrics),
                promoted_at=utcnow(),
            )
        else:
            version.status, version.promoted_at = ModelStatus.active.value, utcnow()
        session.add(version)
        session.commit()
        session.refresh(version)
    return version


def ensure_registered_dir(engine: Engine, model_dir: Path) -> ModelVersion:
    """As `ensure_registered`, from a model folder's config alone (no weights loaded)."""
    config = load_config(model_dir)
    return ensure_registered(engine, config.model_version, model_dir, config.metrics)


def register(engine: Engine, version: ModelVersion) -> ModelVersion:
    with Session(engine, expire_on_commit=False) as session:
        if session.get(ModelVersion, version.id) is not None:
            raise ValueError(f"model version {version.id!r} is registered already")
        session.add(version)
        session.commit()
        session.refresh(version)
    return version


def promote(engine: Engine, version_id: str, *, force: bool = False, rescore: bool = True) -> ModelVersion:
    """Make `version_id` the active version, retire the one before it, and (by default) queue the
    rescoring of stored responses with it. A version the gate rejected needs `force`."""
    version = get_version(engine, version_id)
    if version.status == ModelStatus.active.value:
        return version
    if version.status == ModelStatus.rejected.value and not force:
        raise PromotionRefused(
            f"model version {version_id!r} failed the evaluation gate; promote it anyway only on purpose (force)"
        )
    if version.path is None or not (Path(version.path) / "config.json").is_file():
        raise PromotionRefused(f"model version {version_id!r} has no model files at {version.path}")
    now = utcnow()
    with write_transaction(engine) as connection:
        connection.execute(
            update(MODEL_TABLE)
            .where(MODEL_TABLE.c.status == ModelStatus.active.value)
            .values(status=ModelStatus.retired.value)
        )
        connection.execute(
            update(MODEL_TABLE)
            .where(MODEL_TABLE.c.id == version_id)
            .values(status=ModelStatus.active.value, promoted_at=now)
        )
    if rescore:
        start_job(engine, version_id)
    return get_version(engine, version_id)


def rollback(engine: Engine, *, rescore: bool = True) -> ModelVersion:
    """Promote again the version that was active before the current one."""
    current = active_model(engine)
    with Session(engine, expire_on_commit=False) as session:
        previous = session.exec(
            select(ModelVersion)
            .where(ModelVersion.status == ModelStatus.retired.value)
            .where(col(ModelVersion.promoted_at).is_not(None))
            .order_by(col(ModelVersion.promoted_at).desc())
        ).first()
    if previous is None:
        raise PromotionRefused(
            f"there is no earlier active version to roll back to (active: {current.id if current else 'none'})"
        )
    return promote(engine, previous.id, force=True, rescore=rescore)
