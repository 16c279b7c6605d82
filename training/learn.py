"""`vocengine train`: labels -> candidate version -> evaluation gate -> registry (-> promotion).

    vocengine train [--no-promote] [--tolerance 0.02] [--public-limit N]

Reads the labels and the active model and journey map from the service's database
(VOCENGINE_DATABASE_URL, or the SQLite file in VOCENGINE_DATA_DIR), writes the candidate under
VOCENGINE_MODELS_DIR (default data/models/<version>/) with its evaluation report and model card, and
records it in the registry: promoted (and rescoring queued) only when the gate says it is better.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from training.datasets import DEFAULT_DATASET_DIR, load_goemotions, load_tweet_sentiment
from training.gate import GateSettings, PublicSets, decide, measure, report_table
from training.retrain import CandidateSummary, RetrainSettings, build_candidate
from vocengine.journey.maps import JourneyMap, load_journey_map
from vocengine.learning import registry
from vocengine.learning.labels import HOLDOUT, TRAIN, effective_labels, labels_hash
from vocengine.learning.training import NothingToLearn, Progress, TrainOutcome, TrainRequest
from vocengine.settings import Settings
from vocengine.store.journeys import active_version, as_journey_map
from vocengine.store.tables import ModelStatus, ModelVersion

log = logging.getLogger("training")


@dataclass
class LearnResult:
    version: ModelVersion
    promoted: bool
    table: str
    summary: CandidateSummary


def public_sets(dataset_dir: Path, limit: int | None, seed: int = 13) -> tuple[PublicSets, list[Any]]:
    """The public test sets the gate measures on (a seeded sample of `limit` each, or all), and the
    public training examples the fine-tuning mixes in."""
    go_test, tweets = load_goemotions(dataset_dir, "test"), load_tweet_sentiment(dataset_dir)
    tweet_test = tweets.test
    if limit:
        rng = random.Random(seed)
        go_test = rng.sample(go_test, min(limit, len(go_test)))
        tweet_test = rng.sample(tweet_test, min(limit, len(tweet_test)))
    training = load_goemotions(dataset_dir, "train") + tweets.train
    return PublicSets(goemotions=go_test, tweets=tweet_test), training


def active_journey(engine: Engine, settings: Settings) -> JourneyMap:
    version = active_version(engine)
    return as_journey_map(version) if version else load_journey_map(settings.journey_map)


def learn(
    engine: Engine,
    settings: Settings,
    *,
    dataset_dir: Path = DEFAULT_DATASET_DIR,
    public_limit: int | None = None,
    retrain: RetrainSettings | None = None,
    gate: GateSettings | None = None,
    promote: bool = True,
    version_id: str | None = None,
    progress: Progress | None = None,
) -> LearnResult:
    """Train a candidate on the labels in force, measure it and the active version the same way, register it
    with the gate's report, and promote it when the gate says better (and `promote`). `progress(stage)` after
    each of `vocengine.learning.training.STAGES`, so a job can show how far it is."""
    done = progress or (lambda stage: None)
    parent = registry.active_model(engine)
    if parent is None or parent.path is None:
        raise NothingToLearn("no active model version with files in the registry: start the service or a worker once")
    labels = effective_labels(engine)
    train_labels = [e for e in labels if e.split == TRAIN]
    holdout = [e for e in labels if e.split == HOLDOUT]
    if not train_labels:
        raise NothingToLearn(f"no training labels ({len(holdout)} held out): label sentences first")
    gate = gate or GateSettings(
        touchpoint_threshold=settings.touchpoint_threshold, touchpoint_top_k=settings.touchpoint_top_k
    )
    journey = active_journey(engine, settings)
    version_id = version_id or f"ft-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    out_dir = settings.resolved_models_dir() / version_id
    public, public_train = public_sets(dataset_dir, public_limit)
    base = settings.base_model_path
    summary = build_candidate(
        journey, Path(parent.path), base, train_labels, public_train, out_dir, version_id, retrain
    )
    done("candidate")
    log.info("measuring %s and %s on %d held-out labels and the public test sets", parent.id, version_id, len(holdout))
    current = measure(Path(parent.path), base, journey, holdout, public, gate)
    done("measure_current")
    candidate = measure(out_dir, base, journey, holdout, public, gate)
    done("measure_candidate")
    decision = decide(current, candidate, gate)
    table = report_table(parent.id, version_id, current, candidate, decision)
    report = {
        "decision": decision,
        "current": {"version": parent.id, **current},
        "candidate": {"version": version_id, **candidate},
        "journey_map": f"{journey.name}@{journey.fingerprint()}",
        "labels": {"train": len(train_labels), "holdout": len(holdout)},
        "training": asdict(summary),
        "public_limit": public_limit,
    }
    (out_dir / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "EVALUATION.md").write_text(table)
    (out_dir / "MODEL_CARD.md").write_text(model_card(version_id, parent.id, report, table))
    version = registry.register(
        engine,
        ModelVersion(
            id=version_id,
            parent_id=parent.id,
            path=str(out_dir.resolve()),
            status=(ModelStatus.candidate if decision["promote"] else ModelStatus.rejected).value,
            data_hash=labels_hash(train_labels),
            labels_used=len(train_labels),
            metrics={**_flat("holdout", candidate["holdout"]), **candidate["public"]},
            report=report,
        ),
    )
    promoted = bool(decision["promote"] and promote)
    if promoted:
        version = registry.promote(engine, version_id)
    done("register")
    return LearnResult(version=version, promoted=promoted, table=table, summary=summary)


def train(
    engine: Engine,
    settings: Settings,
    request: TrainRequest,
    *,
    dataset_dir: Path = DEFAULT_DATASET_DIR,
    progress: Progress | None = None,
) -> LearnResult:
    """One `learn` run from a request: what `vocengine train` and the train job both call."""
    return learn(
        engine,
        settings,
        dataset_dir=dataset_dir,
        public_limit=request.public_limit,
        retrain=RetrainSettings(epochs=request.epochs, public_examples=request.public_examples, seed=request.seed),
        gate=GateSettings(
            tolerance=request.tolerance,
            min_holdout=request.min_holdout,
            touchpoint_threshold=settings.touchpoint_threshold,
            touchpoint_top_k=settings.touchpoint_top_k,
        ),
        promote=request.promote,
        progress=progress,
    )


@dataclass
class JobTrainer:
    """The `vocengine.learning.training.Trainer` a worker runs train jobs with (`Runtime(trainer=...)`)."""

    dataset_dir: Path = DEFAULT_DATASET_DIR

    def __call__(self, engine: Engine, settings: Settings, request: TrainRequest, progress: Progress) -> TrainOutcome:
        result = train(engine, settings, request, dataset_dir=self.dataset_dir, progress=progress)
        return TrainOutcome(version=result.version, promoted=result.promoted)


def _flat(prefix: str, scores: dict[str, Any]) -> dict[str, float]:
    return {
        f"{prefix}_{task}_{k}": v for task, figures in scores.items() for k, v in figures.items() if k != "per_label"
    }


def model_card(version_id: str, parent_id: str, report: dict[str, Any], table: str) -> str:
    training = report["training"]
    return "\n".join(
        [
            f"# Model card: {version_id}",
            "",
            f"Trained by `vocengine train` from **{parent_id}** on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            "## Data",
            f"- {report['labels']['train']} labelled texts from CX leads (training part); "
            f"{report['labels']['holdout']} more held out for the gate, never trained on.",
            f"- {training['touchpoint_labels']} touchpoint labels, {training['classifier_labels']} sentiment/emotion labels.",
            f"- {training['public_examples']} public examples (GoEmotions train, tweets) mixed in so the classifiers do not forget.",
            f"- Journey map: {report['journey_map']}.",
            "",
            "## Method",
            "- Touchpoints: a logistic-regression head over the map's touchpoints (and \"none\") on this version's"
            " sentence embedding, trained on the labelled sentences and the map's descriptions; the labelled"
            " sentences also join the touchpoints' prototypes (learned_touchpoints.safetensors).",
            "- Sentiment and emotions: "
            + (
                f"fine-tuned from the parent ({training['settings']['epochs']} epochs, labels repeated "
                f"{training['settings']['label_repeats']}x, distillation to the parent's embeddings)."
                if training["fine_tuned"]
                else "the parent's weights unchanged (too few sentiment/emotion labels to fine-tune)."
            ),
            f"- Training took {training['training_seconds']} s.",
            "",
            "## Metrics (the evaluation gate)",
            "",
            table,
            "## Limits",
            "- Held-out figures rest on few labels: a change of one label moves them by 1/n.",
            "- Learnt touchpoints apply to the touchpoint ids they were labelled with; a renamed touchpoint loses them.",
            "- Public figures use the parent's thresholds; they are not re-tuned on the labels.",
            "",
        ]
    )
