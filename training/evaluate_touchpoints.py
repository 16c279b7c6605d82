"""Touchpoint assignment accuracy on hand-labelled sentences, base encoder against the fine-tuned one.

    python -m training.evaluate_touchpoints [--model-dir models/default]

Each default journey map has an evaluation file in training/data/touchpoint_eval/: sentences that are
not among the map's examples, labelled with their touchpoint or with none. The similarity threshold is
tuned on one map and reported on the other, so the figure for the second map is honest.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.report import evaluation_main
from vocengine.journey.assign import TouchpointAssigner
from vocengine.journey.maps import JourneyMap, load_journey_map
from vocengine.model.artifact import encode_base
from vocengine.model.base import resolve_base_model_path
from vocengine.model.predictor import Predictor
from vocengine.settings import MODELS_DIR

EVAL_DIR = Path(__file__).resolve().parent / "data" / "touchpoint_eval"
MAPS = ("b2b_saas", "retail_ecommerce")


def load_eval(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL_DIR / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def accuracy(assigner: TouchpointAssigner, embeddings: np.ndarray, rows: list[dict]) -> dict[str, float]:
    assigned = assigner.assign(embeddings)
    touchpoint_hits = stage_hits = 0
    none_true = none_found = none_right = 0
    for row, got in zip(rows, assigned, strict=True):
        got_tp = got.touchpoint if got else None
        got_stage = got.stage if got else None
        touchpoint_hits += got_tp == row["touchpoint"]
        stage_hits += got_stage == row["stage"]
        none_true += row["touchpoint"] is None
        none_found += got is None
        none_right += got is None and row["touchpoint"] is None
    on_map = [i for i, r in enumerate(rows) if r["touchpoint"] is not None]
    on_map_hits = sum(1 for i in on_map if assigned[i] is not None and assigned[i].touchpoint == rows[i]["touchpoint"])
    return {
        "touchpoint_accuracy": touchpoint_hits / len(rows),
        "stage_accuracy": stage_hits / len(rows),
        "on_map_touchpoint_accuracy": on_map_hits / len(on_map),
        "none_recall": none_right / max(none_true, 1),
        "none_precision": none_right / max(none_found, 1),
    }


def tune_threshold(journey: JourneyMap, embed, embeddings: np.ndarray, rows: list[dict], top_k: int) -> float:
    assigner = TouchpointAssigner.build(journey, embed, threshold=0.0, top_k=top_k)
    best, best_acc = 0.0, -1.0
    for threshold in np.arange(0.20, 0.71, 0.01):
        assigner.threshold = float(threshold)
        acc = accuracy(assigner, embeddings, rows)["touchpoint_accuracy"]
        if acc > best_acc:
            best, best_acc = float(threshold), acc
    return round(best, 2)


def evaluate(model_dir: Path, base_path: Path | None = None, tune_on: str = "b2b_saas") -> dict[str, object]:
    predictor = Predictor.load(model_dir, base_path)
    base = resolve_base_model_path(base_path)
    encoders = {
        "base_minilm": lambda texts: encode_base(texts, base).numpy(),
        "finetuned": predictor.embed,
    }
    journeys = {name: load_journey_map(MODELS_DIR / "journeys" / f"{name}.yaml") for name in MAPS}
    rows = {name: load_eval(name) for name in MAPS}
    report: dict[str, object] = {"tuned_on": tune_on}
    for encoder_name, embed in encoders.items():
        embedded = {name: embed([r["text"] for r in rows[name]]) for name in MAPS}
        results: dict[str, object] = {}
        for top_k in (1, 2, 3):
            threshold = tune_threshold(journeys[tune_on], embed, embedded[tune_on], rows[tune_on], top_k)
            per_map = {}
            for name in MAPS:
                assigner = TouchpointAssigner.build(journeys[name], embed, threshold, top_k)
                per_map[name] = {k: round(v, 3) for k, v in accuracy(assigner, embedded[name], rows[name]).items()}
            results[f"top_k={top_k}"] = {"threshold": threshold, **per_map}
        report[encoder_name] = results
    return report


def main(argv: list[str] | None = None) -> None:
    evaluation_main(__doc__ or "", evaluate, argv)


if __name__ == "__main__":
    main()
