"""Training a new model version from the labels as a background job: what a run is asked for, what the job
keeps of it, and the seam through which a worker reaches the training code.

The training code (`training/`) sits above the library: only the command line may import it (the layering
test enforces this). So the library names what it needs from it (`Trainer`), and the command line that
starts a worker (`vocengine serve`, `vocengine worker`) passes one in: `Runtime(trainer=...)`. A worker
without one leaves training jobs to a worker that has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from vocengine.learning.labels import TRAIN, effective_labels
from vocengine.settings import Settings
from vocengine.store.tables import ModelVersion

KIND = "train"
# Only one run at a time: the open job with this key is the one a second request is refused for.
DEDUPE_KEY = "train"
# The points a run reports, in order: the job's progress counts them (see `training.learn.learn`).
STAGES = ("candidate", "measure_current", "measure_candidate", "register")


class NothingToLearn(ValueError):
    """No active model with files, or no training labels: a run would have nothing to start from."""


class TrainRequest(BaseModel):
    """How to train and judge a candidate: the settings of `vocengine train`."""

    model_config = ConfigDict(extra="forbid")

    promote: bool = Field(True, description="promote the candidate when the evaluation gate says it is better")
    tolerance: float = Field(0.02, ge=0, le=1, description="largest allowed fall of a metric")
    min_holdout: int = Field(5, ge=1, le=100_000, description="held-out labels a task needs to count")
    public_limit: int | None = Field(
        2000, ge=1, le=1_000_000, description="public test examples per set the gate measures on (null: all)"
    )
    public_examples: int = Field(2000, ge=0, le=1_000_000, description="public training examples mixed in")
    epochs: float = Field(2.0, gt=0, le=50)
    seed: int = Field(13, ge=0, le=2**31 - 1)


@dataclass
class TrainOutcome:
    version: ModelVersion
    promoted: bool


Progress = Callable[[str], None]


class Trainer(Protocol):
    """Train, gate and register a candidate (`training.learn.JobTrainer`); `progress(stage)` at each of
    STAGES. Raises `NothingToLearn` when there is nothing to train on."""

    def __call__(
        self, engine: Engine, settings: Settings, request: TrainRequest, progress: Progress
    ) -> TrainOutcome: ...


def has_training_labels(engine: Engine) -> bool:
    return any(entry.split == TRAIN for entry in effective_labels(engine))


def job_result(outcome: TrainOutcome) -> dict[str, Any]:
    """What a finished run keeps in its job: the verdict with its reasons, both versions' figures per task
    and the labels it rests on; the version's full report stays in the registry (`GET /v1/models/{id}`)."""
    version = outcome.version
    report = version.report or {}
    return {
        "version": version.id,
        "parent": version.parent_id,
        "status": version.status,
        "promoted": outcome.promoted,
        "decision": report.get("decision"),
        "current": report.get("current"),
        "candidate": report.get("candidate"),
        "labels": {**report.get("labels", {}), "data_hash": version.data_hash},
        "journey_map": report.get("journey_map"),
    }
