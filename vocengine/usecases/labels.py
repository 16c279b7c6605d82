"""Labels from CX leads: of a stored comment or sentence, of a text not stored, and imported from a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from vocengine.errors import message
from vocengine.ingest import storable_text
from vocengine.journey.maps import JourneyMap
from vocengine.learning import labels
from vocengine.learning.label_counts import LabelCounts, count_labels
from vocengine.runtime import Runtime
from vocengine.store.journeys import active_map
from vocengine.store.tables import Label

LabelError = labels.LabelError


def _active_map(runtime: Runtime) -> tuple[JourneyMap, int | None]:
    return active_map(runtime.engine, runtime.settings.journey_map)


def add_label(
    runtime: Runtime,
    values: labels.LabelValues,
    *,
    labelled_by: str,
    response_id: int | None = None,
    sentence_index: int | None = None,
    text: str | None = None,
) -> Label:
    """Label a stored comment (`response_id`), one of its sentences (and `sentence_index`), or a `text` that
    is not stored (cleaned and redacted first, as responses are). Refuses (`LabelError`, naming the field) a
    touchpoint the active map lacks and text in another language than English; `LookupError` when the
    response or sentence is not there."""
    if response_id is not None:
        stored = labels.response_text(runtime.engine, response_id, sentence_index)
    elif text is not None:
        stored = storable_text(text, runtime.redactor)
    else:
        raise ValueError("a label is of a stored response or of a text")
    journey, map_id = _active_map(runtime)
    labels.check_touchpoint(values, journey)
    labels.check_language(stored, runtime.language_detector)
    return labels.add_label(
        runtime.engine,
        values,
        text=stored,
        labelled_by=labelled_by,
        journey_map_id=map_id,
        holdout_percent=runtime.settings.holdout_percent,
        response_id=response_id,
        sentence_index=sentence_index,
    )


def label_counts(runtime: Runtime) -> tuple[LabelCounts, JourneyMap, int | None]:
    """The labels in force per touchpoint of the active journey map and per task; with the map and its id
    (None: the configured map, before any is stored)."""
    journey, map_id = _active_map(runtime)
    return count_labels(labels.effective_labels(runtime.engine), journey), journey, map_id


@dataclass
class LabelImport:
    imported: int = 0
    already_stored: int = 0
    refused: list[str] = field(default_factory=list)  # one message per refused line, with its number


def import_labels(runtime: Runtime, lines: Iterable[tuple[int, str]], source: str) -> LabelImport:
    """Labels from JSONL lines (numbered; blank ones skipped), as `GET /v1/labels` exports them: each text is
    cleaned and redacted as responses are, checked as the API checks labels, and stored once (a line that
    was imported before adds nothing). Bad lines are refused with their number; the others are stored."""
    journey, map_id = _active_map(runtime)
    report = LabelImport()
    for number, line in lines:
        if not line.strip():
            continue
        try:
            record = labels.LabelRecord.model_validate_json(line)
            record.text = storable_text(record.text, runtime.redactor)
            stored = labels.import_record(
                runtime.engine, record, journey, map_id, runtime.settings.holdout_percent, runtime.language_detector
            )
        except (ValidationError, LabelError) as exc:
            detail = str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)
            report.refused.append(message("E305", line=number, source=source, detail=detail))
            continue
        if stored:
            report.imported += 1
        else:
            report.already_stored += 1
    return report
