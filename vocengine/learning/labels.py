"""Labels that CX leads give: the correct sentiment, emotions and touchpoint of a sentence or comment.

Labels are history: a correction is a new row, never an update. For each target (a stored sentence, a
stored comment, or a text given with its labels) and each task, the label in force is the latest row
that set that task (`effective`): one lead may fix the touchpoint and another the sentiment.

Every label belongs to the training or the held-out part for good, fixed by a hash of its text: the
evaluation gate compares models on held-out labels that no version ever trained on, and the same
sentence labelled twice never lands on both sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from sqlmodel import select as select_model

from vocengine.journey.learned import NONE
from vocengine.journey.maps import JourneyMap
from vocengine.model.labels import EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.tables import CommentResult, Label, Response, as_utc, sentence_result, utcnow
from vocengine.text.language import LanguageDetector
from vocengine.validation import FreeText, Text

Task = Literal["sentiment", "emotion", "touchpoint"]
TASKS: tuple[Task, ...] = ("sentiment", "emotion", "touchpoint")
HOLDOUT, TRAIN = "holdout", "train"


class LabelValues(BaseModel):
    """What a CX lead says is right. Fields left out are not labelled by this row."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"sentiment": "negative", "emotions": ["annoyance"], "touchpoint": "data_import"}]
        },
    )

    sentiment: str | None = Field(None, description="negative, neutral or positive")
    emotions: list[str] | None = Field(
        None, max_length=28, description='GoEmotions labels that apply; ["neutral"] for none'
    )
    touchpoint: Text | None = Field(
        None, max_length=64, description=f'a touchpoint id of the active journey map, or "{NONE}" for none of these'
    )

    @field_validator("sentiment")
    @classmethod
    def _known_sentiment(cls, value: str | None) -> str | None:
        if value is not None and value not in SENTIMENT_LABELS:
            raise ValueError(f"sentiment must be one of {', '.join(SENTIMENT_LABELS)}, not {value!r}")
        return value

    @field_validator("emotions")
    @classmethod
    def _known_emotions(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        unknown = [v for v in values if v not in EMOTION_LABELS]
        if unknown:
            raise ValueError(f"unknown emotion {unknown[0]!r}: use the 28 GoEmotions labels")
        if not values:
            raise ValueError('emotions is empty: give ["neutral"] for a sentence with no emotion')
        return sorted(set(values), key=EMOTION_LABELS.index)

    @model_validator(mode="after")
    def _something_labelled(self) -> LabelValues:
        if self.sentiment is None and self.emotions is None and self.touchpoint is None:
            raise ValueError("a label needs at least one of sentiment, emotions, touchpoint")
        return self


class TextLabel(LabelValues):
    """A text that is not stored as a response, with its labels: e.g. examples to seed a new journey map."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "The Paw Plan renewal letter came a month late.", "touchpoint": "renewal"}]
        },
    )
    text: FreeText = Field(min_length=1, max_length=2000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text is empty")
        return text.replace("\x00", "").strip()


class LabelError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class EffectiveLabel:
    """The labels in force for one target: what training and the gate read."""

    target: str
    text: str
    split: str
    sentiment: str | None
    emotions: list[str] | None
    touchpoint: str | None
    response_id: int | None
    sentence_index: int | None

    def has(self, task: Task) -> bool:
        value = {"sentiment": self.sentiment, "emotion": self.emotions, "touchpoint": self.touchpoint}[task]
        return value is not None


def split_of(text: str, holdout_percent: int) -> str:
    """Held out or training, for good: a hash of the whitespace- and case-normalised text."""
    digest = hashlib.sha256(" ".join(text.lower().split()).encode()).digest()
    return HOLDOUT if int.from_bytes(digest[:4], "big") % 100 < holdout_percent else TRAIN


def target_of(text: str, response_id: int | None, sentence_index: int | None) -> str:
    """What a label is about: a stored sentence, a stored comment, or a text by a hash of it."""
    if response_id is None:
        return "t" + hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:24]
    return f"r{response_id}" + ("" if sentence_index is None else f"/s{sentence_index}")


def check_touchpoint(values: LabelValues, journey: JourneyMap) -> None:
    if values.touchpoint is None or values.touchpoint == NONE:
        return
    known = [tp.id for _, tp in journey.touchpoints()]
    if values.touchpoint not in known:
        raise LabelError(
            "touchpoint",
            f"{values.touchpoint!r} is not a touchpoint of the active journey map ({journey.name}); "
            f'use one of {", ".join(known)} or "{NONE}"',
        )


def check_language(text: str, detector: LanguageDetector) -> None:
    """The models read English only: a label of text in another language would teach them noise."""
    language = detector.detect(text)
    if language not in ("en", "und"):
        raise LabelError("text", f"the text reads as {language!r}; the models are trained on English only")


def response_text(engine: Engine, response_id: int, sentence_index: int | None) -> str:
    """The stored (redacted) text that a label of this response or sentence is about."""
    with Session(engine) as session:
        response = session.get(Response, response_id)
        if response is None:
            raise LookupError(f"response {response_id} does not exist")
        if sentence_index is None:
            return response.text
        text = (
            session.connection()
            .execute(
                select(sentence_result.c.text).where(
                    sentence_result.c.response_id == response_id, sentence_result.c.idx == sentence_index
                )
            )
            .scalar()
        )
        if text is None:
            scored = session.get(CommentResult, response_id) is not None
            raise LookupError(
                f"response {response_id} has no sentence {sentence_index}"
                if scored
                else f"response {response_id} is not scored yet, so its sentences are not known"
            )
        return str(text)


def add_label(
    engine: Engine,
    values: LabelValues,
    *,
    text: str,
    labelled_by: str,
    journey_map_id: int | None,
    holdout_percent: int,
    response_id: int | None = None,
    sentence_index: int | None = None,
    created_at: datetime | None = None,
) -> Label:
    label = Label(
        target=target_of(text, response_id, sentence_index),
        response_id=response_id,
        sentence_index=sentence_index,
        text=text,
        sentiment=values.sentiment,
        emotions=values.emotions,
        touchpoint=values.touchpoint,
        journey_map_id=journey_map_id,
        split=split_of(text, holdout_percent),
        labelled_by=labelled_by,
        created_at=created_at or utcnow(),
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(label)
        session.commit()
        session.refresh(label)
    return label


def history(engine: Engine, since_id: int = 0, response_id: int | None = None) -> Iterator[Label]:
    """Every label row (of one response, if given) in the order given, in pages (the export streams it)."""
    last = since_id
    while True:
        query = select_model(Label).where(col(Label.id) > last)
        if response_id is not None:
            query = query.where(Label.response_id == response_id)
        with Session(engine, expire_on_commit=False) as session:
            page = session.exec(query.order_by(col(Label.id)).limit(1000)).all()
        if not page:
            return
        yield from page
        last = page[-1].id or last


def effective(labels: Iterable[Label]) -> list[EffectiveLabel]:
    """Per target, the latest value of each task; rows come in id (= time) order."""
    merged: dict[str, dict[str, Any]] = {}
    for label in labels:
        entry = merged.setdefault(
            label.target,
            {
                "target": label.target,
                "text": label.text,
                "split": label.split,
                "sentiment": None,
                "emotions": None,
                "touchpoint": None,
                "response_id": label.response_id,
                "sentence_index": label.sentence_index,
            },
        )
        for field in ("sentiment", "emotions", "touchpoint"):
            value = getattr(label, field)
            if value is not None:
                entry[field] = value
    return [EffectiveLabel(**entry) for entry in merged.values()]


def effective_labels(engine: Engine, response_id: int | None = None) -> list[EffectiveLabel]:
    return effective(history(engine, response_id=response_id))


def labels_hash(labels: Iterable[EffectiveLabel]) -> str:
    """sha256 of the training labels, recorded with the model version trained on them."""
    canonical = sorted(json.dumps([e.text, e.sentiment, e.emotions, e.touchpoint], ensure_ascii=False) for e in labels)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


# -- JSONL import / export -------------------------------------------------------------------------


class LabelRecord(LabelValues):
    """One line of the JSONL export, and of an import file: the text with its labels, and where from."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field(min_length=1, max_length=20_000)
    response_id: int | None = None
    sentence_index: int | None = Field(None, ge=0)
    labelled_by: str | None = Field(None, max_length=200)
    created_at: datetime | None = None


def export_record(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "target": label.target,
        "response_id": label.response_id,
        "sentence_index": label.sentence_index,
        "text": label.text,
        "sentiment": label.sentiment,
        "emotions": label.emotions,
        "touchpoint": label.touchpoint,
        "journey_map_id": label.journey_map_id,
        "split": label.split,
        "labelled_by": label.labelled_by,
        "created_at": utc(label.created_at).isoformat(),
    }


def already_stored(engine: Engine, record: LabelRecord, target: str) -> bool:
    """An import of a file exported before (or imported twice) adds no second copy of a row."""
    with Session(engine) as session:
        rows = session.exec(select_model(Label).where(Label.target == target)).all()
    return any(
        (r.sentiment, r.emotions, r.touchpoint, r.labelled_by)
        == (record.sentiment, record.emotions, record.touchpoint, record.labelled_by or "import")
        and record.created_at is not None
        and abs((utc(r.created_at) - utc(record.created_at)).total_seconds()) < 1e-3
        for r in rows
    )


def import_record(
    engine: Engine,
    record: LabelRecord,
    journey: JourneyMap,
    journey_map_id: int | None,
    holdout_percent: int,
    detector: LanguageDetector,
) -> bool:
    """Store one imported label; False when it was there already. A label of a stored response keeps
    that link only where this database holds the same text at that id; else it is a text label."""
    check_touchpoint(record, journey)
    check_language(record.text, detector)
    response_id, sentence_index = record.response_id, record.sentence_index
    if response_id is not None:
        try:
            if response_text(engine, response_id, sentence_index) != record.text:
                response_id = sentence_index = None
        except LookupError:
            response_id = sentence_index = None
    else:
        sentence_index = None
    if already_stored(engine, record, target_of(record.text, response_id, sentence_index)):
        return False
    add_label(
        engine,
        record,
        text=record.text,
        labelled_by=record.labelled_by or "import",
        journey_map_id=journey_map_id,
        holdout_percent=holdout_percent,
        response_id=response_id,
        sentence_index=sentence_index,
        created_at=record.created_at,
    )
    return True


def utc(value: datetime) -> datetime:
    zoned = as_utc(value)
    assert zoned is not None
    return zoned
