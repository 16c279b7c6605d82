"""The scored sentences held in memory as numpy columns, so that the CX queries scan arrays, not the table.

At 100,000 comments (~200,000 sentences) one SQL aggregation over `sentence_result` takes 0.5-3 s on a
small machine; the same aggregation over columns in memory takes milliseconds. A `FrameCache` keeps one
`SentenceFrame` per engine and brings it up to date on every call, through the caller's connection, from
the change counters that database triggers keep (`vocengine.store.changes`, migration 0002):

  - one statement reads max(id) of `sentence_result` and the counters of its updates and deletions;
  - all as cached: the frame is current;
  - a higher max id: the rows with an id above the cached one are appended;
  - a higher update counter: the rows whose `changed` stamp is above the cached counter are read again and
    patched in, by id (a journey map re-assignment or a rescoring rewrites a few thousand rows per batch;
    re-reading those costs milliseconds, a full reload seconds);
  - deletions, or a counter or max id gone back (a table emptied, re-created): a full reload.
The counters move in the writing transaction, whichever process writes, and they order the writers (see
the migration), so the promise is: a query answers from every sentence committed before its check began.
The frame may hold changes committed during the check as well; the next check reads those again.

The frame holds the scored sentences only (every insight leaves unscored ones out), in id order. It has no
segments: those live in JSON on `response`; a segment condition is resolved to response ids first.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, Connection, Engine, Row, String, cast, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from vocengine.insights.connection import reading
from vocengine.insights.filters import InsightFilter
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.analysis_rows import emotion_bit
from vocengine.store.changes import SENTENCES_DELETED, SENTENCES_UPDATED, counter
from vocengine.store.tables import ekman_column, emotion_column, sentence_result

log = logging.getLogger(__name__)

CATEGORICAL: tuple[str, ...] = ("stage", "touchpoint", "persona", "source", "channel", "account_id", "contact_id")
FILTERABLE: tuple[str, ...] = ("source", "channel", "persona", "stage", "touchpoint", "account_id")
# Sentiment codes: SENTIMENT_LABELS by position, then any other label a model might write.
OTHER_SENTIMENT = len(SENTIMENT_LABELS)
_SENTIMENT_CODE: dict[str | None, int] = {label: i for i, label in enumerate(SENTIMENT_LABELS)} | {None: -1}
LOAD_CHUNK = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)

sr = sentence_result.c

Ints = NDArray[np.int64]
Rows = NDArray[np.intp] | None  # selected row positions; None is every row


def micros(value: datetime) -> int:
    """Microseconds since the epoch, UTC; naive means UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return (aware - EPOCH) // ONE_MICROSECOND


@dataclass(frozen=True)
class Categorical:
    """A string column as integer codes; None is a value with its own code."""

    codes: NDArray[np.int32]
    vocabulary: tuple[str | None, ...]

    @cached_property
    def index(self) -> dict[str | None, int]:
        return {value: code for code, value in enumerate(self.vocabulary)}


class Marker(NamedTuple):
    """What the frame reflects: every sentence with an id up to `max_id`, with the updates up to the
    `updated` counter's value and the deletions up to the `deleted` counter's."""

    max_id: int
    updated: int
    deleted: int


@dataclass(frozen=True, eq=False)
class SentenceFrame:
    """The scored sentences as columns, in id order. Never changed once built: an update makes a new one,
    so a query that holds a frame reads it without locks."""

    ids: Ints
    response_id: Ints
    occurred_at: Ints  # microseconds since the epoch, UTC
    sentiment: NDArray[np.int8]  # position in SENTIMENT_LABELS, or OTHER_SENTIMENT
    categorical: Mapping[str, Categorical]
    emotion_mask: Ints
    p_negative: NDArray[np.float64]  # NULL as 0, as the examples rank it; float64 so ties rank as in SQL
    # Emotion and Ekman probabilities transposed, one contiguous row per label; NULL stored as 0.
    emotions_t: NDArray[np.float32]
    ekman_t: NDArray[np.float32]
    # Whether a sentence's first emotion (Ekman) label is scored: a head scores every label of a sentence
    # or none, and the first label's count is what the SQL measures divide sums by.
    emotions_scored: NDArray[np.bool_]
    ekman_scored: NDArray[np.bool_]
    # Per label, only where some sentence has some labels NULL and others not; else None.
    emotions_valid_t: NDArray[np.bool_] | None
    ekman_valid_t: NDArray[np.bool_] | None
    marker: Marker

    def __post_init__(self) -> None:
        arrays = [getattr(self, name) for name in self.__dataclass_fields__]
        arrays += [column.codes for column in self.categorical.values()]
        for array in arrays:
            if isinstance(array, np.ndarray):
                array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def emotions(self) -> NDArray[np.float32]:
        """(n, 28) in EMOTION_LABELS order."""
        return self.emotions_t.T

    @property
    def ekman(self) -> NDArray[np.float32]:
        """(n, 7) in EKMAN_LABELS order."""
        return self.ekman_t.T

    def column(self, name: str) -> Categorical:
        return self.categorical[name]

    def select(self, f: InsightFilter) -> Rows:
        """The rows `f` lets through (None: all of them). Segment conditions are not held in the frame:
        a caller with one answers in SQL."""
        if f.segment:
            raise ValueError(
                "resolve the segment condition first (filters.resolve_segments): the frame holds no segments"
            )
        keep: NDArray[np.bool_] | None = None

        def narrow(condition: NDArray[np.bool_]) -> None:
            nonlocal keep
            keep = condition if keep is None else keep & condition

        if f.response_ids is not None:
            narrow(np.isin(self.response_id, np.fromiter(f.response_ids, dtype=np.int64, count=len(f.response_ids))))
        if f.date_from is not None:
            narrow(self.occurred_at >= micros(f.date_from))
        if f.date_to is not None:
            narrow(self.occurred_at < micros(f.date_to))
        for name in FILTERABLE:
            value = getattr(f, name)
            if value is None:
                continue
            column = self.categorical[name]
            code = column.index.get(value)
            if code is None:
                return np.empty(0, dtype=np.intp)
            narrow(column.codes == code)
        return None if keep is None else np.flatnonzero(keep)

    def group(self, rows: Rows, keys: Sequence[tuple[NDArray[np.integer[Any]], int]]) -> Groups:
        """The `rows` split by the combination of `keys`: per key, the codes of the selected rows (0 ≤ code
        < size) and the size. With no keys, one group holds every row (even none)."""
        return Groups(self, rows, keys)

    def codes(self, name: str, rows: Rows) -> tuple[NDArray[np.int32], int]:
        column = self.categorical[name]
        return take(column.codes, rows), len(column.vocabulary)


def take(values: NDArray[Any], rows: Rows) -> NDArray[Any]:
    return values if rows is None else values[rows]


def take_t(matrix_t: NDArray[Any], rows: Rows) -> NDArray[Any]:
    return matrix_t if rows is None else matrix_t[:, rows]


class Groups:
    """Group-by over a frame: every measure is a `np.bincount` over dense group numbers."""

    def __init__(self, frame: SentenceFrame, rows: Rows, keys: Sequence[tuple[NDArray[np.integer[Any]], int]]) -> None:
        self.frame = frame
        self.rows = rows
        n = len(frame) if rows is None else len(rows)
        if not keys:
            self.index: Ints = np.zeros(n, dtype=np.int64)
            self.size = 1
            self.keys: list[Ints] = []
            return
        combined = np.zeros(n, dtype=np.int64)
        strides = []
        stride = 1
        for codes, size in reversed(keys):
            combined += codes.astype(np.int64) * stride
            strides.append(stride)
            stride *= max(size, 1)
        strides.reverse()
        if stride <= max(1 << 20, 4 * n):
            present = np.bincount(combined, minlength=stride) > 0
            group_codes = np.flatnonzero(present).astype(np.int64)
            self.index = (np.cumsum(present) - 1)[combined]
        else:
            group_codes, inverse = np.unique(combined, return_inverse=True)
            self.index = inverse.reshape(-1).astype(np.int64)
        self.size = len(group_codes)
        self.keys = [(group_codes // s) % max(size, 1) for s, (_, size) in zip(strides, keys, strict=True)]

    def sentences(self) -> Ints:
        return np.bincount(self.index, minlength=self.size)

    def sentiment_counts(self) -> Ints:
        """(groups, 3): sentences per SENTIMENT_LABELS label."""
        width = OTHER_SENTIMENT + 1
        sentiment = take(self.frame.sentiment, self.rows).astype(np.int64)
        counts = np.bincount(self.index * width + sentiment, minlength=self.size * width)
        return counts.reshape(self.size, width)[:, :OTHER_SENTIMENT]

    def sums(self, matrix_t: NDArray[np.float32]) -> NDArray[np.float64]:
        """(labels, groups): per label, the sum over the group's sentences."""
        values = take_t(matrix_t, self.rows)
        out = np.zeros((len(values), self.size))
        for i, row in enumerate(values):
            out[i] = np.bincount(self.index, weights=row, minlength=self.size)
        return out

    def count(self, flags: NDArray[np.bool_]) -> Ints:
        """Per group, the sentences where `flags` (over the frame) holds."""
        return np.bincount(self.index[take(flags, self.rows)], minlength=self.size)

    def means(
        self, matrix_t: NDArray[np.float32], scored: NDArray[np.bool_], valid_t: NDArray[np.bool_] | None
    ) -> list[list[float | None]]:
        """[group][label] → the mean over the sentences with that label scored (AVG in SQL); None with none."""
        sums = self.sums(matrix_t)
        if valid_t is None:
            counts = np.broadcast_to(self.count(scored), sums.shape)
        else:
            counts = np.stack([self.count(valid) for valid in valid_t])
        means: list[list[float | None]] = (sums / np.maximum(counts, 1)).T.tolist()
        if not counts.all():
            present = (counts > 0).T.tolist()
            means = [
                [m if p else None for m, p in zip(ms, ps, strict=True)] for ms, ps in zip(means, present, strict=True)
            ]
        return means

    @cached_property
    def _pairs(self) -> tuple[Ints, Ints, NDArray[np.intp]]:
        """The distinct (group, comment) pairs: each pair's group, where its rows start in `_order`, and
        `_order`, the selected rows sorted by comment then group."""
        response = take(self.frame.response_id, self.rows)
        if len(response) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0, dtype=np.intp)
        if int(response.max()) < (1 << 62) // self.size:
            # The frame is in id order, so comment-major keys are nearly sorted: a stable sort is ~linear.
            key = response * self.size + self.index
            order = np.argsort(key, kind="stable")
            ordered = key[order]
            changed = ordered[1:] != ordered[:-1]
        else:
            order = np.lexsort((self.index, response))
            by_comment, by_group = response[order], self.index[order]
            changed = (by_comment[1:] != by_comment[:-1]) | (by_group[1:] != by_group[:-1])
        starts = np.flatnonzero(np.concatenate(([True], changed)))
        return self.index[order][starts], starts, order

    def comments(self) -> Ints:
        """Per group, the distinct comments among its sentences."""
        pair_group, _, _ = self._pairs
        return np.bincount(pair_group, minlength=self.size)

    def comments_showing(self) -> Ints:
        """(groups, 28): per group and emotion, the comments where at least one of the group's sentences
        has the emotion's emotion_mask bit."""
        pair_group, starts, order = self._pairs
        out = np.zeros((self.size, len(EMOTION_LABELS)), dtype=np.int64)
        if len(starts) == 0:
            return out
        shown = np.bitwise_or.reduceat(take(self.frame.emotion_mask, self.rows)[order], starts)
        for index in range(len(EMOTION_LABELS)):
            has = shown & emotion_bit(index) != 0
            out[:, index] = np.bincount(pair_group[has], minlength=self.size)
        return out


class _Chunks:
    """Builds a frame from row chunks: one numpy conversion per column and chunk, no object per row."""

    def __init__(self, dialect: str, base: SentenceFrame | None, codes_of: SentenceFrame | None = None) -> None:
        """Rows after `base`'s (None: a frame of the new rows alone, coded as `codes_of` codes its values)."""
        self.dialect = dialect
        self.base = base
        known = base or codes_of
        self.vocabularies: dict[str, dict[str | None, int]] = {
            name: dict(known.categorical[name].index) if known else {} for name in CATEGORICAL
        }
        self.parts: dict[str, list[NDArray[Any]]] = {}
        self.read_ids: list[Ints] = []  # every row read, scored or not

    def add(self, rows: Sequence[Row[Any]]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        count = len(rows)
        ids = np.array(columns[0], dtype=np.int64)
        self.read_ids.append(ids)
        sentiment = np.fromiter(
            map(_SENTIMENT_CODE.get, columns[3], itertools.repeat(OTHER_SENTIMENT)), dtype=np.int8, count=count
        )
        scored = np.flatnonzero(sentiment >= 0)
        if len(scored) == 0:
            return
        part: dict[str, NDArray[Any]] = {
            "ids": ids,
            "response_id": np.array(columns[1], dtype=np.int64),
            "occurred_at": _occurred_micros(self.dialect, columns[2]),
            "sentiment": sentiment,
        }
        for offset, name in enumerate(CATEGORICAL, start=4):
            vocabulary = self.vocabularies[name]
            for value in dict.fromkeys(columns[offset]):
                vocabulary.setdefault(value, len(vocabulary))
            part[name] = np.fromiter(map(vocabulary.__getitem__, columns[offset]), dtype=np.int32, count=count)
        position = 4 + len(CATEGORICAL)
        part["emotion_mask"] = np.array(columns[position], dtype=np.int64)
        part["p_negative"] = np.nan_to_num(np.array(columns[position + 1], dtype=np.float64), nan=0.0)
        scores = np.array(columns[position + 2 :], dtype=np.float64)  # (labels, rows); NULL becomes NaN
        valid = ~np.isnan(scores)
        scores = np.where(valid, scores, 0.0).astype(np.float32)
        n_emotions = len(EMOTION_LABELS)
        part["emotions_t"], part["ekman_t"] = scores[:n_emotions], scores[n_emotions:]
        part["emotions_valid"], part["ekman_valid"] = valid[:n_emotions], valid[n_emotions:]
        for name, values in part.items():
            self.parts.setdefault(name, []).append(values[..., scored])

    def frame(self, marker: Marker) -> SentenceFrame:
        base = self.base

        def joined(name: str, base_values: NDArray[Any] | None, empty: NDArray[Any]) -> NDArray[Any]:
            pieces = ([] if base_values is None else [base_values]) + self.parts.get(name, [])
            return np.concatenate(pieces, axis=-1) if pieces else empty

        def scores(name: str, labels: int) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_] | None]:
            """The (labels, n) scores, whether each sentence is scored, and per label validity if ragged."""
            # One contiguous row per label: a row is what each bincount reads.
            empty = np.empty((labels, 0), dtype=np.float32)
            values = np.ascontiguousarray(joined(f"{name}_t", getattr(base, f"{name}_t", None), empty))
            new_valid = self.parts.get(f"{name}_valid", [])
            new = np.concatenate(new_valid, axis=1) if new_valid else np.empty((labels, 0), dtype=np.bool_)
            new_scored = new[0] if labels else np.empty(0, dtype=np.bool_)
            old_scored: NDArray[np.bool_] = getattr(base, f"{name}_scored", np.empty(0, dtype=np.bool_))
            scored = np.concatenate([old_scored, new_scored])
            base_valid: NDArray[np.bool_] | None = getattr(base, f"{name}_valid_t", None)
            if base_valid is None and bool((new == new_scored).all()):
                return values, scored, None
            if base_valid is None:
                base_valid = np.broadcast_to(old_scored, (labels, len(old_scored)))
            return values, scored, np.ascontiguousarray(np.concatenate([base_valid, new], axis=1))

        emotions_t, emotions_scored, emotions_valid = scores("emotions", len(EMOTION_LABELS))
        ekman_t, ekman_scored, ekman_valid = scores("ekman", len(EKMAN_LABELS))
        no_ints = np.empty(0, dtype=np.int64)
        return SentenceFrame(
            ids=joined("ids", base.ids if base else None, no_ints),
            response_id=joined("response_id", base.response_id if base else None, no_ints),
            occurred_at=joined("occurred_at", base.occurred_at if base else None, no_ints),
            sentiment=joined("sentiment", base.sentiment if base else None, np.empty(0, dtype=np.int8)),
            categorical={
                name: Categorical(
                    codes=joined(name, base.categorical[name].codes if base else None, np.empty(0, dtype=np.int32)),
                    vocabulary=tuple(self.vocabularies[name]),
                )
                for name in CATEGORICAL
            },
            emotion_mask=joined("emotion_mask", base.emotion_mask if base else None, no_ints),
            p_negative=joined("p_negative", base.p_negative if base else None, np.empty(0)),
            emotions_t=emotions_t,
            ekman_t=ekman_t,
            emotions_scored=emotions_scored,
            ekman_scored=ekman_scored,
            emotions_valid_t=emotions_valid,
            ekman_valid_t=ekman_valid,
            marker=marker,
        )


def _occurred_expr(dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # The stored UTC wall time as text; numpy parses it far faster than datetime objects are made.
        return type_coerce(sr.occurred_at, String())
    if dialect == "postgresql":
        # EXTRACT gives exact numeric seconds (PostgreSQL 14+), so the microseconds survive the cast.
        return cast(func.extract("epoch", sr.occurred_at) * 1_000_000, BigInteger)
    return sr.occurred_at


def _occurred_micros(dialect: str, values: Sequence[Any]) -> Ints:
    if dialect == "postgresql":
        return np.array(values, dtype=np.int64)
    if dialect == "sqlite":
        try:
            return np.array(values, dtype="datetime64[us]").astype(np.int64)
        except ValueError:
            values = [datetime.fromisoformat(value) for value in values]
    return np.fromiter((micros(value) for value in values), dtype=np.int64, count=len(values))


def _load_columns(dialect: str) -> list[ColumnElement[Any]]:
    return [
        sr.id,
        sr.response_id,
        _occurred_expr(dialect),
        sr.sentiment,
        *(sr[name] for name in CATEGORICAL),
        sr.emotion_mask,
        sr.p_negative,
        *(sr[emotion_column(label)] for label in EMOTION_LABELS),
        *(sr[ekman_column(label)] for label in EKMAN_LABELS),
    ]


def read_marker(connection: Connection) -> Marker:
    """One statement, so one snapshot on PostgreSQL too: max(id) is the end of the primary key's index, each
    counter one row found by its key. Nothing here grows with the table."""
    query = select(func.coalesce(func.max(sr.id), 0), counter(SENTENCES_UPDATED), counter(SENTENCES_DELETED))
    return Marker(*(int(value) for value in connection.execute(query).one()))


def load(connection: Connection, marker: Marker, base: SentenceFrame | None = None) -> SentenceFrame:
    """All sentences up to the marker's max id (base None), or `base` plus those above its max id."""
    dialect = connection.dialect.name
    chunks = _Chunks(dialect, base)
    query = select(*_load_columns(dialect)).where(sr.id <= marker.max_id)
    if base is not None:
        query = query.where(sr.id > base.marker.max_id)
    for rows in _partitions(connection, query):
        chunks.add(rows)
    # Updates made while the rows were read may be in them or not: from `base`'s counter, they are read
    # again on the next check. A frame loaded in full counts from the counter read before the load began.
    updated = base.marker.updated if base is not None else marker.updated
    return chunks.frame(marker._replace(updated=updated))


def patch(connection: Connection, frame: SentenceFrame, marker: Marker) -> SentenceFrame:
    """`frame` with the rows updated since its counter read again: replaced, dropped if no longer scored,
    added if scored now. Rows above the frame's max id are left to the next append, which reads them whole."""
    dialect = connection.dialect.name
    chunks = _Chunks(dialect, None, codes_of=frame)
    # Only the stamp in the WHERE clause, and no ORDER BY: given a bound on id or an order by it, SQLite
    # walks the whole table in id order instead of the few stamped rows in the stamp's index.
    query = select(*_load_columns(dialect)).where(sr.changed > frame.marker.updated)
    result = connection.execute(query.execution_options(yield_per=LOAD_CHUNK))
    for rows in result.partitions(LOAD_CHUNK):
        chunks.add([row for row in rows if row[0] <= frame.marker.max_id])
    changed = chunks.frame(marker._replace(max_id=frame.marker.max_id))
    read = np.concatenate(chunks.read_ids) if chunks.read_ids else np.empty(0, dtype=np.int64)
    return merged(frame, changed, read)


def _partitions(connection: Connection, query: Any) -> Iterator[Sequence[Row[Any]]]:
    result = connection.execute(query.order_by(sr.id).execution_options(yield_per=LOAD_CHUNK))
    yield from result.partitions(LOAD_CHUNK)


def merged(frame: SentenceFrame, changed: SentenceFrame, read: Ints) -> SentenceFrame:
    """`frame` with the rows whose ids are in `read` taken from `changed` (which holds those still scored,
    coded with `frame`'s vocabularies or extensions of them); marker from `changed`."""
    replaced = np.isin(frame.ids, read)
    at = np.searchsorted(frame.ids, changed.ids)
    in_place = (
        len(changed) == int(replaced.sum())
        and bool((at < len(frame)).all())
        and bool((frame.ids[np.minimum(at, len(frame) - 1)] == changed.ids).all())
    )
    if in_place:
        # The usual case (a re-assignment, a rescoring): the same rows at the same places. A column whose
        # values did not change is shared with the old frame, not copied.
        def combine(old: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
            if np.array_equal(old[..., at], new):
                return old
            out = old.copy()
            out[..., at] = new
            return out
    else:
        keep = np.flatnonzero(~replaced)
        order = np.argsort(np.concatenate([frame.ids[keep], changed.ids]), kind="stable")

        def combine(old: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
            return np.ascontiguousarray(np.concatenate([old[..., keep], new], axis=-1)[..., order])

    arrays: dict[str, Any] = {}
    for name in _ARRAY_FIELDS:
        old, new = getattr(frame, name), getattr(changed, name)
        if name.endswith("_valid_t") and (old is not None or new is not None):
            old, new = _valid_t(frame, name), _valid_t(changed, name)
        arrays[name] = None if old is None else combine(old, new)
    for head in ("emotions", "ekman"):
        valid_t = arrays[f"{head}_valid_t"]
        if valid_t is not None and bool((valid_t == arrays[f"{head}_scored"]).all()):
            arrays[f"{head}_valid_t"] = None  # no longer ragged: the scored flags say it all
    arrays["categorical"] = {
        name: Categorical(combine(frame.categorical[name].codes, column.codes), column.vocabulary)
        for name, column in changed.categorical.items()
    }
    return SentenceFrame(**arrays, marker=changed.marker)


_ARRAY_FIELDS = tuple(f.name for f in fields(SentenceFrame) if f.name not in ("categorical", "marker"))


def _valid_t(frame: SentenceFrame, name: str) -> NDArray[np.bool_]:
    """The per-label validity `name` (emotions_valid_t, ekman_valid_t), spelled out where the frame leaves it
    None because every label of a sentence is scored or none is."""
    valid_t: NDArray[np.bool_] | None = getattr(frame, name)
    if valid_t is not None:
        return valid_t
    head = name.removesuffix("_valid_t")
    scored: NDArray[np.bool_] = getattr(frame, f"{head}_scored")
    return np.broadcast_to(scored, (getattr(frame, f"{head}_t").shape[0], len(scored)))


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    frame: SentenceFrame | None = None


class FrameCache:
    """Up-to-date sentence frames, one per engine (held weakly: a disposed engine's frame goes with it).
    Thread-safe; one per process is enough."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[Engine, _Entry] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.loads = 0  # full loads done, for tests and logs
        self.appends = 0  # appends of new rows
        self.patches = 0  # updated rows read again and patched in

    def get(self, conn: Connection | Engine) -> SentenceFrame:
        """The frame of `conn`'s database, brought up to date through `conn`."""
        with reading(conn) as connection:
            engine = connection.engine
            with self._lock:
                entry = self._entries.get(engine)
                if entry is None:
                    entry = self._entries[engine] = _Entry()
            with entry.lock:
                entry.frame = self._current(connection, entry.frame)
                return entry.frame

    def _current(self, connection: Connection, frame: SentenceFrame | None) -> SentenceFrame:
        marker = read_marker(connection)
        if frame is None or _gone_back(frame.marker, marker):
            self.loads += 1
            return _timed(partial(load, connection, marker), "loaded")
        if marker.max_id > frame.marker.max_id:
            self.appends += 1
            frame = _timed(partial(load, connection, marker, frame), "appended")
        if marker.updated > frame.marker.updated:
            self.patches += 1
            frame = _timed(partial(patch, connection, frame, marker), "patched")
        return frame

    def invalidate(self, engine: Engine | None = None) -> None:
        """Forget the frame of `engine` (of every engine with None): the next `get` loads in full."""
        with self._lock:
            entries = list(self._entries.values()) if engine is None else [self._entries.get(engine)]
        for entry in entries:
            if entry is not None:
                with entry.lock:
                    entry.frame = None


def _gone_back(old: Marker, new: Marker) -> bool:
    """Rows deleted, or something moved back (a table emptied and made again): only a full reload is sure."""
    return new.deleted != old.deleted or new.max_id < old.max_id or new.updated < old.updated


def _timed(build: Callable[[], SentenceFrame], verb: str) -> SentenceFrame:
    started = time.perf_counter()
    frame = build()
    level = logging.INFO if verb == "loaded" else logging.DEBUG
    log.log(level, "sentence frame %s: %d rows in %.3f s", verb, len(frame), time.perf_counter() - started)
    return frame


DEFAULT_CACHE = FrameCache()


def frame_of(conn: Connection | Engine, cache: FrameCache | None) -> SentenceFrame:
    return (cache if cache is not None else DEFAULT_CACHE).get(conn)


SENTIMENT_FIELDS = tuple(f"n_{label}" for label in SENTIMENT_LABELS)


def sentiment_fields(counts: Ints) -> list[dict[str, int]]:
    """Per group, its sentiment counts under the names the SQL rows use (n_negative, ...)."""
    return [dict(zip(SENTIMENT_FIELDS, row, strict=True)) for row in counts.tolist()]
