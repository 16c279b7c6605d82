"""Where to label next: the stored sentences the active model is least sure of, spread over touchpoints.

A label helps most where the model hesitates: two sentiments almost tied, an emotion probability next to
its threshold, a sentence almost as close to a second touchpoint as to the first, or just under the
similarity threshold (unassigned, where a map's own words are often missing). Picking round-robin over
the predicted touchpoints keeps one noisy touchpoint from taking the whole queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, select

from vocengine.analyzer import Analyzer
from vocengine.learning.labels import Task, effective_labels
from vocengine.model.labels import EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.tables import emotion_column, sentence_result

sr = sentence_result.c
# Unassigned sentences count as less sure than their margin says: they are where a map lacks words.
UNASSIGNED_WEIGHT = 0.5


@dataclass(frozen=True)
class QueueItem:
    response_id: int
    sentence_index: int
    text: str
    stage: str | None
    touchpoint: str | None
    margin: float  # smaller: less sure
    reason: str


def label_queue(
    engine: Engine, analyzer: Analyzer, task: Task, limit: int = 20, window: int = 20_000
) -> list[QueueItem]:
    """Up to `limit` sentences to label for `task`, among the `window` most recently scored ones that
    have no label for it yet."""
    labelled = {
        (e.response_id, e.sentence_index) for e in effective_labels(engine) if e.response_id is not None and e.has(task)
    }
    columns = [sr.response_id, sr.idx, sr.text, sr.stage, sr.touchpoint, sr.p_negative, sr.p_neutral, sr.p_positive]
    if task == "emotion":
        columns += [sr[emotion_column(label)] for label in EMOTION_LABELS]
    if task == "touchpoint":
        columns.append(sr.embedding)
    with engine.connect() as connection:
        rows = connection.execute(
            select(*columns).where(sr.p_negative.is_not(None)).order_by(sr.id.desc()).limit(window)
        ).all()
    rows = [r for r in rows if (r.response_id, r.idx) not in labelled]
    if not rows:
        return []
    if task == "sentiment":
        margins, reasons = _sentiment(rows)
    elif task == "emotion":
        margins, reasons = _emotion(rows, analyzer)
    else:
        rows = [r for r in rows if r.embedding is not None]
        margins, reasons = _touchpoint(rows, analyzer)
    by_touchpoint: dict[str | None, list[int]] = defaultdict(list)
    for i in np.argsort(margins, kind="stable"):
        by_touchpoint[rows[i].touchpoint].append(int(i))
    picked: list[int] = []
    queues = list(by_touchpoint.values())
    while len(picked) < limit and any(queues):
        for q in queues:
            if q and len(picked) < limit:
                picked.append(q.pop(0))
    picked.sort(key=lambda i: margins[i])
    return [
        QueueItem(
            response_id=rows[i].response_id,
            sentence_index=rows[i].idx,
            text=rows[i].text,
            stage=rows[i].stage,
            touchpoint=rows[i].touchpoint,
            margin=round(float(margins[i]), 4),
            reason=reasons[i],
        )
        for i in picked
    ]


def _sentiment(rows: list) -> tuple[np.ndarray, list[str]]:  # type: ignore[type-arg]
    probs = np.array([[r.p_negative, r.p_neutral, r.p_positive] for r in rows], dtype=np.float32)
    order = np.argsort(-probs, axis=1)
    top, second = order[:, 0], order[:, 1]
    index = np.arange(len(rows))
    margins = probs[index, top] - probs[index, second]
    reasons = [
        f"sentiment {SENTIMENT_LABELS[t]} {probs[i, t]:.2f} vs {SENTIMENT_LABELS[s]} {probs[i, s]:.2f}"
        for i, (t, s) in enumerate(zip(top, second, strict=True))
    ]
    return margins, reasons


def _emotion(rows: list, analyzer: Analyzer) -> tuple[np.ndarray, list[str]]:  # type: ignore[type-arg]
    probs = np.array([[getattr(r, emotion_column(label)) or 0.0 for label in EMOTION_LABELS] for r in rows])
    distance = np.abs(probs - analyzer.predictor.emotion_thresholds[None, :])
    nearest = distance.argmin(1)
    margins = distance[np.arange(len(rows)), nearest]
    reasons = [
        f"emotion {EMOTION_LABELS[j]} {probs[i, j]:.2f} at threshold {analyzer.predictor.emotion_thresholds[j]:.2f}"
        for i, j in enumerate(nearest)
    ]
    return margins, reasons


def _touchpoint(rows: list, analyzer: Analyzer) -> tuple[np.ndarray, list[str]]:  # type: ignore[type-arg]
    if not rows:
        return np.zeros(0), []
    embeddings = np.stack([np.frombuffer(r.embedding, dtype=np.float16) for r in rows]).astype(np.float32)
    assigner = analyzer.assigner
    scores = assigner.scores(embeddings)
    margins = assigner.margins(embeddings)
    unassigned = np.array([r.touchpoint is None for r in rows])
    margins = np.where(unassigned, margins * UNASSIGNED_WEIGHT, margins)
    pairs = assigner.journey.touchpoints()
    order = np.argsort(-scores, axis=1)
    reasons = []
    for i in range(len(rows)):
        ranked = [f"{pairs[t][1].id} {scores[i, t]:.2f}" for t in order[i, :2]]
        reasons.append(f"touchpoint {' vs '.join(ranked)}")
    return margins, reasons
