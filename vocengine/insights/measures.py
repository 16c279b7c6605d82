"""The measures the insights share: SQL aggregate expressions over sentence_result and their result models.

Rows are read by name, whether they come from SQL or are computed from the in-memory frame (`frame.py`).

Each insight module selects the measures it needs next to its own grouping keys; reading a row back
goes through the helpers here so that every report rounds and shapes numbers the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Label, case, distinct, func

from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.analysis_rows import emotion_bit
from vocengine.store.tables import ekman_column, emotion_column, sentence_result

# A row read by name: a RowMapping from SQL, or a dict computed from the sentence frame.
Record = Mapping[Any, Any]

SHARE_DIGITS = 4
NET_DIGITS = 2

sr = sentence_result.c


class SentimentDistribution(BaseModel):
    """How many scored sentences fall in each sentiment class, and their shares of the total."""

    negative: int = Field(description="Number of negative sentences.")
    neutral: int = Field(description="Number of neutral sentences.")
    positive: int = Field(description="Number of positive sentences.")
    negative_share: float = Field(description="Negative sentences / all scored sentences (0..1; 0 when none).")
    neutral_share: float = Field(description="Neutral sentences / all scored sentences (0..1; 0 when none).")
    positive_share: float = Field(description="Positive sentences / all scored sentences (0..1; 0 when none).")

    @classmethod
    def of(cls, negative: int, neutral: int, positive: int) -> SentimentDistribution:
        total = negative + neutral + positive
        return cls(
            negative=negative,
            neutral=neutral,
            positive=positive,
            negative_share=share(negative, total),
            neutral_share=share(neutral, total),
            positive_share=share(positive, total),
        )

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive

    def net(self) -> float | None:
        """% positive − % negative (−100..100); None with no sentences, where 0 would claim a balance."""
        if self.total == 0:
            return None
        return round(100.0 * (self.positive - self.negative) / self.total, NET_DIGITS)


class EmotionScore(BaseModel):
    label: str = Field(description="A GoEmotions label.")
    mean: float = Field(description="Mean probability of the label over the sentences (0..1).")


def share(part: float, total: float) -> float:
    return round(part / total, SHARE_DIGITS) if total else 0.0


# -- the same numbers for many groups at once, for reports of thousands of rows (a daily trend of a year) ----


def rounded(values: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    """`round(value, digits)` of each value, as Python rounds it. np.round scales the value first, which can
    tip a value within a hair of a half the other way than Python's round of the exact binary value: those
    few are rounded one by one. NaN stays NaN."""
    out = np.round(values, digits)
    scaled = values * 10.0**digits
    for i in np.flatnonzero(np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6):
        out.flat[i] = round(float(values.flat[i]), digits)
    return out


def distributions(counts: NDArray[np.int64]) -> list[dict[str, Any]]:
    """Per row of (negative, neutral, positive) sentence counts, the fields of a SentimentDistribution."""
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.where(totals > 0, rounded(counts / np.maximum(totals, 1), SHARE_DIGITS), 0.0)
    names = (*SENTIMENT_LABELS, *(f"{label}_share" for label in SENTIMENT_LABELS))
    return [dict(zip(names, (*n, *s), strict=True)) for n, s in zip(counts.tolist(), shares.tolist(), strict=True)]


def nets(counts: NDArray[np.int64]) -> list[float | None]:
    """Per row of sentiment counts, SentimentDistribution.net(): None where a row has no sentences."""
    totals = counts.sum(axis=1)
    negative, positive = counts[:, SENTIMENT_LABELS.index("negative")], counts[:, SENTIMENT_LABELS.index("positive")]
    net = rounded(100.0 * (positive - negative) / np.maximum(totals, 1), NET_DIGITS)
    return [None if total == 0 else value for value, total in zip(net.tolist(), totals.tolist(), strict=True)]


def mean_dicts(means: NDArray[np.float64], labels: Iterable[str]) -> list[dict[str, float]]:
    """Per row of means (NaN where no sentence carried a score), label → mean as `means()` gives it."""
    values = rounded(np.nan_to_num(means, nan=0.0), SHARE_DIGITS).tolist()
    names = tuple(labels)
    return [dict(zip(names, row, strict=True)) for row in values]


def sentence_count() -> Label[int]:
    return func.count().label("sentences")


def comment_count() -> Label[int]:
    return func.count(distinct(sr.response_id)).label("comments")


def sentiment_counts() -> list[Label[int]]:
    # COUNT of a CASE without ELSE counts matches and is 0, never NULL, for a group with none.
    return [func.count(case((sr.sentiment == label, 1))).label(f"n_{label}") for label in SENTIMENT_LABELS]


def emotion_means() -> list[Label[float]]:
    return [func.avg(sr[emotion_column(label)]).label(emotion_column(label)) for label in EMOTION_LABELS]


def emotion_sums() -> list[Label[float]]:
    """Sums, not means, for groups that are added up afterwards; with `emotion_scored` they give exact means."""
    return [func.sum(sr[emotion_column(label)]).label(emotion_column(label)) for label in EMOTION_LABELS]


def emotion_scored() -> Label[int]:
    # The emotion head scores every label of a sentence or none, so one column counts the scored sentences.
    return func.count(sr[emotion_column(EMOTION_LABELS[0])]).label("with_emotions")


def ekman_means() -> list[Label[float]]:
    return [func.avg(sr[ekman_column(label)]).label(ekman_column(label)) for label in EKMAN_LABELS]


def has_emotion(index: int) -> ColumnElement[int]:
    """1 when the sentence's emotion_mask holds EMOTION_LABELS[index], else 0."""
    return case((sr.emotion_mask.bitwise_and(emotion_bit(index)) != 0, 1), else_=0)


def distribution(row: Record) -> SentimentDistribution:
    return SentimentDistribution.of(*(int(row[f"n_{label}"] or 0) for label in SENTIMENT_LABELS))


def means(row: Record, labels: Iterable[str], column: Callable[[str], str]) -> dict[str, float]:
    """Label → mean read from `row[column(label)]`; 0 where no sentence carried a score (AVG is NULL)."""
    return {label: round(float(row[column(label)] or 0.0), SHARE_DIGITS) for label in labels}


def emotions(row: Record) -> dict[str, float]:
    return means(row, EMOTION_LABELS, emotion_column)


def ekman(row: Record) -> dict[str, float]:
    return means(row, EKMAN_LABELS, ekman_column)


def top_emotions(mean_by_label: Mapping[str, float], n: int = 3) -> list[EmotionScore]:
    """The n strongest emotions by mean probability. "neutral" is left out: it says nothing of how it felt."""
    ranked = sorted(
        ((label, mean) for label, mean in mean_by_label.items() if label != "neutral" and mean > 0),
        key=lambda item: (-item[1], item[0]),
    )
    return [EmotionScore(label=label, mean=mean) for label, mean in ranked[:n]]
