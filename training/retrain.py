"""Build a candidate model version from the active one plus the CX leads' labels.

- The touchpoint assigner learns from labelled sentences of the active map's touchpoints (and "none of
  these"): a logistic-regression head on the candidate's sentence embedding, and the sentences as extra
  prototypes, stored with the candidate (`vocengine.journey.learned`).
- Sentiment and emotion heads and the encoder's transformer layers are fine-tuned on the labels mixed
  with a sample of the public training data (GoEmotions, tweets), so they do not forget what they knew,
  while a distillation loss keeps the sentence embedding close to the parent's (stored embeddings and
  touchpoint prototypes stay comparable). With fewer than `min_classifier_labels` sentiment/emotion
  labels the classifiers are left as they were: a handful of labels would only add noise.

Only the held-out part of the labels is never used here; `training.gate` compares on it.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from training.datasets import Example
from training.train_default import TrainSettings, predict, seed_everything, train
from vocengine.journey.assign import touchpoint_prototypes
from vocengine.journey.learned import NONE, LearnedTouchpoints, train_head
from vocengine.journey.maps import JourneyMap
from vocengine.learning.labels import EffectiveLabel
from vocengine.model.artifact import WEIGHTS_FILE, load_model, save_model
from vocengine.model.labels import EKMAN_GROUPS, EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS

log = logging.getLogger("training")


@dataclass
class RetrainSettings:
    epochs: float = 2.0  # passes over labels x repeats + the public sample
    label_repeats: int = 4  # labels are few next to the public sample: repeat them so they are heard
    public_examples: int = 2000
    min_classifier_labels: int = 20
    batch_size: int = 16
    encoder_lr: float = 2e-5
    head_lr: float = 5e-4
    distill_weight: float = 5.0
    max_length: int = 64
    seed: int = 13


@dataclass
class CandidateSummary:
    touchpoint_labels: int
    classifier_labels: int
    fine_tuned: bool
    public_examples: int
    training_seconds: float
    settings: dict[str, object]


def label_example(label: EffectiveLabel) -> Example:
    """A label as a training example; Ekman labels follow from the emotions (GoEmotions' own mapping)."""
    emotions = ekman = None
    if label.emotions is not None:
        emotions = [int(e in label.emotions) for e in EMOTION_LABELS]
        ekman = [int(any(e in label.emotions for e in EKMAN_GROUPS[k])) for k in EKMAN_LABELS]
    sentiment = SENTIMENT_LABELS.index(label.sentiment) if label.sentiment else None
    return Example(text=label.text, emotions=emotions, ekman=ekman, sentiment=sentiment, source="labels")


def known_touchpoints(journey: JourneyMap) -> set[str]:
    """Labels of touchpoints the active map no longer has are kept in the history but not learnt."""
    return {tp.id for _, tp in journey.touchpoints()} | {NONE}


def build_candidate(
    journey: JourneyMap,
    parent_dir: Path,
    base_path: Path | None,
    labels: list[EffectiveLabel],
    public: list[Example],
    out_dir: Path,
    model_version: str,
    cfg: RetrainSettings | None = None,
) -> CandidateSummary:
    """Write the candidate (config, weights, learnt touchpoints) to `out_dir`. `labels` must be the
    training part only."""
    cfg = cfg or RetrainSettings()
    seed_everything(cfg.seed)
    started = time.time()
    network, tokenizer, config = load_model(parent_dir, base_path)
    classifier = [label_example(e) for e in labels if e.sentiment is not None or e.emotions is not None]
    fine_tune = len(classifier) >= cfg.min_classifier_labels
    sample: list[Example] = []
    if fine_tune:
        rng = random.Random(cfg.seed)
        sample = rng.sample(public, min(cfg.public_examples, len(public)))
        examples = classifier * cfg.label_repeats + sample
        # The parent's own embeddings are the distillation targets: the candidate's embedding space
        # stays where the stored sentences and the map's prototypes already are.
        teacher = torch.from_numpy(
            predict(network, tokenizer, [e.text for e in examples], max_length=cfg.max_length)["embedding"]
        )
        log.info("fine-tuning on %d labels x %d + %d public examples", len(classifier), cfg.label_repeats, len(sample))
        train(
            network,
            tokenizer,
            examples,
            teacher,
            TrainSettings(
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                encoder_lr=cfg.encoder_lr,
                head_lr=cfg.head_lr,
                distill_weight=cfg.distill_weight,
                max_length=cfg.max_length,
                seed=cfg.seed,
            ),
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    new_config = config.model_copy(update={"model_version": model_version})
    if fine_tune:
        save_model(network, new_config, out_dir)
    else:
        # Same weights as the parent: copy the file rather than re-encode it (bit-identical).
        shutil.copyfile(parent_dir / WEIGHTS_FILE, out_dir / WEIGHTS_FILE)
        (out_dir / "config.json").write_text(new_config.model_dump_json(indent=2) + "\n")
    touchpoint_labels = [e for e in labels if e.touchpoint is not None and e.touchpoint in known_touchpoints(journey)]
    if touchpoint_labels:
        # Every training label in the database, not only the new ones: the parent's were learnt from a
        # subset of them, embedded by the parent's encoder.
        embeddings = predict(network, tokenizer, [e.text for e in touchpoint_labels])["embedding"]
        targets = [str(e.touchpoint) for e in touchpoint_labels]
        # The head also learns from the map's own descriptions and examples: a touchpoint nobody has
        # labelled yet still has a class.
        map_texts, owners = touchpoint_prototypes(journey)
        map_embeddings = predict(network, tokenizer, map_texts)["embedding"]
        ids = [tp.id for _, tp in journey.touchpoints()]
        head = train_head(np.vstack([embeddings, map_embeddings]), targets + [ids[o] for o in owners], ids)
        LearnedTouchpoints(embeddings, targets, head).save(out_dir)
    return CandidateSummary(
        touchpoint_labels=len(touchpoint_labels),
        classifier_labels=len(classifier),
        fine_tuned=fine_tune,
        public_examples=len(sample),
        training_seconds=round(time.time() - started, 1),
        settings=asdict(cfg),
    )
