"""Sentiment on customer feedback the model never trained on: training/data/feedback_sentiment_check.jsonl.

    python -m training.evaluate_feedback [--model-dir models/default]

150 short B2B SaaS and retail feedback sentences written by the project team and labelled by hand
(50 per class). It is a sanity check of the domain shift from tweets and Reddit, not a benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.metrics import macro_f1_multiclass
from training.report import evaluation_main
from vocengine.model.predictor import Predictor

CHECK_FILE = Path(__file__).resolve().parent / "data" / "feedback_sentiment_check.jsonl"


def evaluate(model_dir: Path, base_path: Path | None = None) -> dict[str, object]:
    predictor = Predictor.load(model_dir, base_path)
    labels = predictor.config.sentiment_labels
    rows = [json.loads(line) for line in CHECK_FILE.read_text().splitlines() if line.strip()]
    probs = predictor.predict([r["text"] for r in rows]).sentiment
    report: dict[str, object] = {"examples": len(rows)}
    for domain in ("all", "saas", "retail"):
        idx = [i for i, r in enumerate(rows) if domain == "all" or r["domain"] == domain]
        truth = np.array([labels.index(rows[i]["sentiment"]) for i in idx])
        pred = probs[idx].argmax(1)
        macro, per_class = macro_f1_multiclass(truth, pred, len(labels))
        report[domain] = {
            "macro_f1": round(macro, 3),
            "accuracy": round(float((truth == pred).mean()), 3),
            "f1": dict(zip(labels, [round(x, 3) for x in per_class], strict=True)),
        }
    return report


def main(argv: list[str] | None = None) -> None:
    evaluation_main(__doc__ or "", evaluate, argv)


if __name__ == "__main__":
    main()
