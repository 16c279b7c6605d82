"""Turning probabilities into labels, shared by inference and by the training metrics."""

from __future__ import annotations

import numpy as np


def multilabel_predictions(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Labels at or above their threshold. A row with none gets its relatively strongest label,
    because every GoEmotions comment carries at least one label (neutral included)."""
    pred = (probs >= thresholds).astype(float)
    empty = pred.sum(1) == 0
    if empty.any():
        strongest = (probs[empty] / thresholds).argmax(1)
        pred[np.flatnonzero(empty), strongest] = 1.0
    return pred


def ranked_labels(probs: np.ndarray, thresholds: np.ndarray, labels: tuple[str, ...] | list[str]) -> list[str]:
    """The predicted labels of one row, strongest first."""
    chosen = np.flatnonzero(multilabel_predictions(probs[None, :], thresholds)[0])
    return [labels[i] for i in sorted(chosen, key=lambda i: -probs[i])]
