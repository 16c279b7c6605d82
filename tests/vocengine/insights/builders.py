"""Synthetic analysed feedback written straight into `response` and `sentence_result`, and a small map."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert

from vocengine.insights.filters import response
from vocengine.journey.maps import JourneyMap, Stage, Touchpoint
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS
from vocengine.store.analysis_rows import emotion_mask
from vocengine.store.tables import ekman_column, emotion_column, sentence_result

DEFAULT_TIME = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
# p(negative), p(neutral), p(positive) a sentence gets for its label unless a test sets p_negative.
PROBABILITIES = {"negative": (0.8, 0.15, 0.05), "neutral": (0.1, 0.8, 0.1), "positive": (0.05, 0.15, 0.8)}


def _touchpoint(id_: str) -> Touchpoint:
    return Touchpoint(id=id_, name=id_.title(), description=f"the {id_} touchpoint")


JOURNEY = JourneyMap(
    name="test journey",
    stages=[
        Stage(id="onboarding", name="Onboarding", touchpoints=[_touchpoint("setup"), _touchpoint("training")]),
        Stage(id="support", name="Support", touchpoints=[_touchpoint("tickets"), _touchpoint("billing")]),
        Stage(id="renewal", name="Renewal", touchpoints=[_touchpoint("contract")]),
    ],
)
STAGE_OF = {tp.id: stage.id for stage, tp in JOURNEY.touchpoints()}
# JOURNEY with owners and targets: onboarding should be a moment of delight.
PLANNED = JourneyMap.model_validate(
    {
        "name": "planned",
        "stages": [
            {"id": "onboarding", "name": "Onboarding", "owner": "cs", "target": {"moment": "positive"},
             "touchpoints": [
                 {"id": "setup", "name": "Setup", "description": "d", "target": {"moment": "positive", "min_net_sentiment": 30}},
                 {"id": "training", "name": "Training", "description": "d", "owner": "enablement",
                  "target": {"min_net_sentiment": 0}},
             ]},
            {"id": "support", "name": "Support", "owner": "support",
             "touchpoints": [
                 {"id": "tickets", "name": "Tickets", "description": "d", "target": {"moment": "neutral"}},
                 {"id": "billing", "name": "Billing", "description": "d", "owner": "finance",
                  "target": {"moment": "mixed", "min_net_sentiment": -10}},
             ]},
            {"id": "renewal", "name": "Renewal", "touchpoints": [{"id": "contract", "name": "C", "description": "d"}]},
        ],
    }
)  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    """One analysed sentence. `at` names a touchpoint of JOURNEY and sets the stage too (`stage` beside it
    places a touchpoint of another map); `stage` alone places it in a stage with no touchpoint. `shown` are the emotions whose emotion_mask bit is set."""

    sentiment: str | None = "neutral"
    at: str | None = None
    stage: str | None = None
    emotions: Mapping[str, float] = field(default_factory=dict)
    ekman: Mapping[str, float] = field(default_factory=dict)
    shown: tuple[str, ...] = ()
    p_negative: float | None = None
    text: str = "a sentence"
    embedding: Sequence[float] | None = None  # stored as float16, as the worker stores it


def s(sentiment: str | None = "neutral", **fields: Any) -> Sentence:
    return Sentence(sentiment=sentiment, **fields)


class Feedback:
    """Writes one response per `add`, with its sentences carrying the response's filter fields."""

    _ids = itertools.count()

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        *sentences: Sentence,
        occurred_at: datetime = DEFAULT_TIME,
        source: str = "survey",
        channel: str | None = None,
        persona: str | None = None,
        account_id: str | None = None,
        contact_id: str | None = None,
        segments: Mapping[str, Any] | None = None,
        score: float | None = None,
        score_type: str | None = None,
    ) -> int:
        shared = {
            "source": source,
            "channel": channel,
            "persona": persona,
            "account_id": account_id,
            "contact_id": contact_id,
        }
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(response).values(
                    external_id=f"ext-{next(self._ids)}",
                    text=" ".join(sentence.text for sentence in sentences),
                    submitted_at=occurred_at,
                    received_at=occurred_at,
                    segments=dict(segments or {}),
                    score=score,
                    score_type=score_type,
                    status="done",
                    attempts=1,
                    **shared,
                )
            )
            assert result.inserted_primary_key is not None
            response_id = int(result.inserted_primary_key[0])
            if sentences:
                rows = [_row(response_id, i, sentence, occurred_at, shared) for i, sentence in enumerate(sentences)]
                connection.execute(insert(sentence_result), rows)
        return response_id


def _row(
    response_id: int, idx: int, sentence: Sentence, occurred_at: datetime, shared: dict[str, Any]
) -> dict[str, Any]:
    scored = sentence.sentiment is not None
    p_neg, p_neu, p_pos = PROBABILITIES[sentence.sentiment] if sentence.sentiment else (None, None, None)
    if sentence.p_negative is not None:
        p_neg = sentence.p_negative
    row: dict[str, Any] = {
        "response_id": response_id,
        "idx": idx,
        "text": sentence.text,
        "start": 0,
        "end": len(sentence.text),
        "sentiment": sentence.sentiment,
        "p_negative": p_neg,
        "p_neutral": p_neu,
        "p_positive": p_pos,
        "emotion_mask": emotion_mask(sentence.shown),
        "stage": sentence.stage or (STAGE_OF[sentence.at] if sentence.at else None),
        "touchpoint": sentence.at,
        "touchpoint_score": 0.9 if sentence.at else None,
        "occurred_at": occurred_at,
        "embedding": None if sentence.embedding is None else np.asarray(sentence.embedding, np.float16).tobytes(),
        **shared,
    }
    row.update({emotion_column(lb): sentence.emotions.get(lb, 0.0) if scored else None for lb in EMOTION_LABELS})
    row.update({ekman_column(lb): sentence.ekman.get(lb, 0.0) if scored else None for lb in EKMAN_LABELS})
    return row
