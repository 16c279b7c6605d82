"""Comments (and contacts) as the unit of an insight: which stages and touchpoints each was negative or
positive about, as boolean matrices built from the in-memory sentence frame.

What depends on the frame alone (each sentence's comment and contact as dense numbers) is computed once
per frame and kept beside it (`per_frame`): a frame never changes, and an update makes a new one."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from vocengine.insights.filters import InsightFilter
from vocengine.insights.frame import Rows, SentenceFrame, take
from vocengine.model.labels import SENTIMENT_LABELS

NEGATIVE = SENTIMENT_LABELS.index("negative")
POSITIVE = SENTIMENT_LABELS.index("positive")

T = TypeVar("T")

_derived: weakref.WeakKeyDictionary[SentenceFrame, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_derived_lock = threading.Lock()


def per_frame(frame: SentenceFrame, key: Hashable, build: Callable[[], T]) -> T:
    """`build()`, computed once per frame and `key` and kept while the frame lives. `build` must depend on
    nothing that can change while the frame stays current (the frame's columns, or stored rows that only a
    deletion changes, which makes a new frame)."""
    with _derived_lock:
        values = _derived.setdefault(frame, {})
        if key in values:
            return values[key]  # type: ignore[no-any-return]
    value = build()  # outside the lock: two threads may build it once each, and either answer is right
    with _derived_lock:
        return values.setdefault(key, value)  # type: ignore[no-any-return]


def filter_key(f: InsightFilter) -> Hashable:
    """What tells filters apart, for a `per_frame` key (a resolved segment is its response ids)."""
    return f.model_dump_json(), f.response_ids


def _dense(values: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct.astype(np.int64), inverse.reshape(-1).astype(np.intp)


def comment_index(frame: SentenceFrame) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """The frame's comment ids (sorted) and, per sentence, the position of its comment among them."""
    return per_frame(frame, "comments", lambda: _dense(frame.response_id))


def contact_index(frame: SentenceFrame) -> tuple[int, NDArray[np.intp]]:
    """The number of contacts (account and contact id, where a contact id is given) in the frame and, per
    sentence, its contact's number (-1: no contact id)."""

    def build() -> tuple[int, NDArray[np.intp]]:
        account = frame.categorical["account_id"]
        contact = frame.categorical["contact_id"]
        named = contact.codes != contact.index.get(None, -1)
        key = account.codes.astype(np.int64) * max(len(contact.vocabulary), 1) + contact.codes
        distinct, inverse = _dense(key[named])
        out = np.full(len(frame), -1, dtype=np.intp)
        out[named] = inverse
        return len(distinct), out

    return per_frame(frame, "contacts", build)


def renumbered(codes: NDArray[np.intp], size: int) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Which of `size` numbers occur in `codes` (-1 ignored), and `codes` renumbered densely over those (-1
    stays -1), keeping their order."""
    present = np.zeros(size, dtype=np.bool_)
    present[codes[codes >= 0]] = True
    new = np.cumsum(present, dtype=np.intp) - 1
    return present, np.where(codes >= 0, new[np.maximum(codes, 0)] if size else codes, -1)


@dataclass(frozen=True)
class Comments:
    """The comments with at least one selected scored sentence, in response id order, and per selected
    sentence the position of its comment."""

    frame: SentenceFrame
    rows: Rows
    ids: NDArray[np.int64]
    of_row: NDArray[np.intp]

    @classmethod
    def of(cls, frame: SentenceFrame, rows: Rows) -> Comments:
        all_ids, of_sentence = comment_index(frame)
        if rows is None:
            return cls(frame, rows, all_ids, of_sentence)
        present, of_row = renumbered(of_sentence[rows], len(all_ids))
        return cls(frame, rows, all_ids[present], of_row)

    def contacts(self) -> tuple[int, NDArray[np.intp]]:
        """The contacts of the selected sentences: how many, and per selected sentence its contact's
        position (-1: none)."""
        size, of_sentence = contact_index(self.frame)
        present, of_row = renumbered(take(of_sentence, self.rows), size)
        return int(present.sum()), of_row

    def indicators(
        self, column: str, sentiment: int | None, unit_of_row: NDArray[np.intp] | None = None, units: int | None = None
    ) -> NDArray[np.bool_]:
        """(units, vocabulary of `column`): whether the unit has a sentence with that value (and with that
        sentiment code, unless None). Units are the comments unless `unit_of_row` maps each selected sentence
        to another unit (-1: none)."""
        unit = self.of_row if unit_of_row is None else unit_of_row
        size = len(self.ids) if units is None else units
        codes = take(self.frame.categorical[column].codes, self.rows)
        keep = unit >= 0
        if sentiment is not None:
            keep &= take(self.frame.sentiment, self.rows) == sentiment
        out = np.zeros((size, len(self.frame.categorical[column].vocabulary)), dtype=np.bool_)
        out[unit[keep], codes[keep]] = True
        return out
