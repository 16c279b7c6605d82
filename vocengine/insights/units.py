"""Comments (and contacts) as the unit of an insight: which stages and touchpoints each was negative or
positive about, as boolean matrices built from the in-memory sentence frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vocengine.insights.frame import Rows, SentenceFrame, take
from vocengine.model.labels import SENTIMENT_LABELS

NEGATIVE = SENTIMENT_LABELS.index("negative")
POSITIVE = SENTIMENT_LABELS.index("positive")


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
        ids, of_row = np.unique(take(frame.response_id, rows), return_inverse=True)
        return cls(frame, rows, ids.astype(np.int64), of_row.reshape(-1).astype(np.intp))

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
