"""How an analysis is stored, and read back: the one mapping between the engine's `CommentAnalysis` and the
`comment_result` / `sentence_result` rows, and the emotion bit mask.

Each fact is stored once. A sentence's text, offsets, scores, emotions and touchpoint live in its
`sentence_result` row (which the CX queries aggregate, a journey map re-assignment rewrites, and a rescoring
updates in place); the comment's JSON (`comment_result.analysis`) holds only what is the comment's own: its
text after cleaning and redaction, language, roll-up scores, flags, redactions, model and map. The detail
that `GET /v1/responses/{id}` shows, in the shape `POST /v1/analyze` answers, is built from both
(`analysis_detail`), so it always shows the touchpoints of the map in force.

Used by the worker and rescoring (writing), the response detail (reading) and the insights (the mask).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from vocengine.analyzer import distinct_touchpoints
from vocengine.journey.assign import Assignment
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.schemas import CommentAnalysis
from vocengine.store.tables import ekman_column, emotion_column, utcnow

# Bit i of `sentence_result.emotion_mask` is set when EMOTION_LABELS[i] is among the sentence's top emotions.
EMOTION_BIT = {label: 1 << i for i, label in enumerate(EMOTION_LABELS)}
# What the comment's JSON leaves to the sentence rows (and what is rebuilt from them on reading).
FROM_SENTENCE_ROWS = ("sentences", "touchpoints", "primary_touchpoint")


def emotion_bit(index: int) -> int:
    """The mask bit of EMOTION_LABELS[index]."""
    return 1 << index


def emotion_mask(labels: Iterable[str]) -> int:
    return sum(EMOTION_BIT[label] for label in set(labels))


def mask_labels(mask: int) -> list[str]:
    return [label for label, bit in EMOTION_BIT.items() if mask & bit]


class ResponseFields(Protocol):
    """What a sentence row copies from its response (never changed after ingest): `queue.Claimed`."""

    @property
    def id(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def source(self) -> str: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def persona(self) -> str | None: ...
    @property
    def account_id(self) -> str | None: ...
    @property
    def contact_id(self) -> str | None: ...


def comment_row(response_id: int, result: CommentAnalysis, map_id: int) -> dict[str, Any]:
    scores = result.sentiment.scores if result.sentiment else {}
    analysis = result.to_json_dict()
    for key in FROM_SENTENCE_ROWS:
        analysis.pop(key, None)
    return {
        "response_id": response_id,
        "model_version": result.model_version,
        "journey_map_id": map_id,
        "scored": result.scored,
        "language": result.language,
        "sentiment": result.sentiment.label if result.sentiment else None,
        "p_negative": scores.get("negative"),
        "p_neutral": scores.get("neutral"),
        "p_positive": scores.get("positive"),
        "analysis": analysis,
        "created_at": utcnow(),
    }


def sentence_rows(
    response: ResponseFields, result: CommentAnalysis, embeddings: np.ndarray, map_id: int
) -> list[dict[str, Any]]:
    rows = []
    for i, sentence in enumerate(result.sentences):
        scores = sentence.sentiment.scores if sentence.sentiment else {}
        emotions = sentence.emotions or {}
        ekman = sentence.ekman or {}
        row: dict[str, Any] = {
            "response_id": response.id,
            "idx": i,
            "text": sentence.text,
            "start": sentence.start,
            "end": sentence.end,
            "sentiment": sentence.sentiment.label if sentence.sentiment else None,
            "p_negative": scores.get("negative"),
            "p_neutral": scores.get("neutral"),
            "p_positive": scores.get("positive"),
            "emotion_mask": emotion_mask(sentence.top_emotions),
            "stage": sentence.stage,
            "touchpoint": sentence.touchpoint,
            "touchpoint_score": sentence.touchpoint_score,
            "journey_map_id": map_id,
            "embedding": embeddings[i].astype(np.float16).tobytes() if i < len(embeddings) else None,
            "occurred_at": response.occurred_at,
            "source": response.source,
            "channel": response.channel,
            "persona": response.persona,
            "account_id": response.account_id,
            "contact_id": response.contact_id,
        }
        row.update({emotion_column(label): emotions.get(label) for label in EMOTION_LABELS})
        row.update({ekman_column(label): ekman.get(label) for label in EKMAN_LABELS})
        rows.append(row)
    return rows


def _probabilities(row: Any, labels: Sequence[str], column: Any) -> dict[str, float] | None:
    values = {label: getattr(row, column(label)) for label in labels}
    return None if all(v is None for v in values.values()) else values


def sentence_json(row: Any) -> dict[str, Any]:
    """A stored sentence in the engine's output shape (`SentenceAnalysis`)."""
    emotions = _probabilities(row, EMOTION_LABELS, emotion_column)
    sentiment = None
    if row.sentiment is not None:
        scores = {"negative": row.p_negative, "neutral": row.p_neutral, "positive": row.p_positive}
        sentiment = {"label": row.sentiment, "scores": {k: scores[k] for k in SENTIMENT_LABELS}, "method": "model"}
    probabilities = emotions or {}
    # Strongest first, as the engine ranks them; ties (equal once rounded) in label order.
    top = sorted(mask_labels(row.emotion_mask or 0), key=lambda label: -probabilities.get(label, 0.0))
    return {
        "text": row.text,
        "start": row.start,
        "end": row.end,
        "sentiment": sentiment,
        "top_emotions": top,
        "emotions": emotions,
        "ekman": _probabilities(row, EKMAN_LABELS, ekman_column),
        "stage": row.stage,
        "touchpoint": row.touchpoint,
        "touchpoint_score": row.touchpoint_score,
    }


def analysis_detail(analysis: dict[str, Any], rows: Sequence[Any]) -> dict[str, Any]:
    """The full analysis of a stored comment: its own JSON with the sentences, touchpoints and primary
    touchpoint built from its sentence rows (`rows`, any order)."""
    ordered = sorted(rows, key=lambda r: r.idx)
    assignments = [
        Assignment(stage=r.stage, touchpoint=r.touchpoint, score=r.touchpoint_score or 0.0)
        if r.stage is not None and r.touchpoint is not None
        else None
        for r in ordered
    ]
    touchpoints = distinct_touchpoints(assignments)
    merged = {
        **analysis,
        "sentences": [sentence_json(r) for r in ordered],
        "touchpoints": touchpoints,
        "primary_touchpoint": max(touchpoints, key=lambda t: t.score) if touchpoints else None,
    }
    return CommentAnalysis.model_validate(merged).to_json_dict()
