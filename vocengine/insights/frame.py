"""The scored sentences held in memory as numpy columns, so that the CX queries scan arrays, not the table.

At 100,000 comments (~200,000 sentences) one SQL aggregation over `sentence_result` takes 0.5-3 s on a
small machine; the same aggregation over columns in memory takes milliseconds. A `FrameCache` keeps one
`SentenceFrame` per engine and brings it up to date on every call, through the caller's connection:

  - it reads a change marker, max(id) and count(*) of `sentence_result` and max(id) and
    sum(reassigned_sentences) of `journey_map_version` (a re-assignment of stored sentences to a new map
    adds to that sum in the transaction that updates them), and reads the frame's newest row back by id;
  - marker as cached, newest row the same: the frame is current;
  - only the sentence max id and count grew: the rows with an id above the cached max id are appended,
    and kept only if cached + new rows make the new count (else rows were deleted as well);
  - anything else (fewer rows, a re-assignment, a new map version, the newest row changed or gone,
    which is how SQLite's reuse of a deleted newest row's id shows): a full reload.
Deletions and updates made through the engine in this process (DELETE FROM sentence_result or response,
UPDATE sentence_result, upserts, truncation) are watched with engine events and force a full reload too:
an update in place, or a table emptied and refilled alike, can leave every marker as it was. Done by
another process between two checks, those two are what a frame cannot see; the service only inserts
sentences and re-assigns them. On SQLite a cheaper check comes first: while the connection's
data_version (moved by other connections' commits) and total_changes (its own writes) stay as they were
when it last checked this frame, nothing was written and the frame is returned at once.

The frame holds the scored sentences only (every insight leaves unscored ones out), in id order. It has no
segments: those live in JSON on `response`; a segment condition is resolved to response ids in SQL first.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, Connection, Engine, Row, String, cast, event, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from vocengine.insights.connection import PerEngine, reading
from vocengine.insights.filters import InsightFilter
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.tables import JourneyMapVersion, ekman_column, emotion_column, sentence_result

log = logging.getLogger(__name__)

CATEGORICAL: tuple[str, ...] = ("stage", "touchpoint", "persona", "source", "channel", "account_id")
FILTERABLE: tuple[str, ...] = ("source", "channel", "persona", "stage", "touchpoint", "account_id")
# Sentiment codes: SENTIMENT_LABELS by position, then any other label a model might write.
OTHER_SENTIMENT = len(SENTIMENT_LABELS)
_SENTIMENT_CODE: dict[str | None, int] = {label: i for i, label in enumerate(SENTIMENT_LABELS)} | {None: -1}
LOAD_CHUNK = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)

_serials = itertools.count(1)
sr = sentence_result.c
_maps = JourneyMapVersion.__table__.c  # type: ignore[attr-defined]

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
    """What the frame reflects: the sentence table's max id and row count, and the journey maps' state."""

    max_id: int
    rows: int
    map_max_id: int
    reassigned: int


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
    # The row with the marker's max id as read (every loaded column, scored or not): if it reads back
    # otherwise later, that id was deleted and given to a new row.
    last_row: tuple[Any, ...] | None = None
    generation: int = 0  # the engine's watched-write count when the frame was read
    serial: int = field(default_factory=lambda: next(_serials))  # unique in the process

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
        for bit in range(len(EMOTION_LABELS)):
            has = (shown >> bit) & 1 == 1
            out[:, bit] = np.bincount(pair_group[has], minlength=self.size)
        return out


class _Chunks:
    """Builds a frame from row chunks: one numpy conversion per column and chunk, no object per row."""

    def __init__(self, dialect: str, base: SentenceFrame | None) -> None:
        self.dialect = dialect
        self.base = base
        self.vocabularies: dict[str, dict[str | None, int]] = {
            name: dict(base.categorical[name].index) if base else {} for name in CATEGORICAL
        }
        self.parts: dict[str, list[NDArray[Any]]] = {}
        self.rows = 0
        self.max_id = 0
        self.last_row: tuple[Any, ...] | None = base.last_row if base else None

    def add(self, rows: Sequence[Row[Any]]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        count = len(rows)
        self.rows += count
        self.last_row = tuple(rows[-1])  # rows come in id order
        ids = np.array(columns[0], dtype=np.int64)
        self.max_id = max(self.max_id, int(ids.max()))
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

    def frame(self, marker: Marker, generation: int) -> SentenceFrame:
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
            last_row=self.last_row,
            generation=generation,
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
    # Separate subqueries, not one SELECT max(id), count(*): SQLite counts a table without reading its
    # rows only when count(*) stands alone.
    query = select(
        select(func.coalesce(func.max(sr.id), 0)).scalar_subquery(),
        select(func.count()).select_from(sentence_result).scalar_subquery(),
        select(func.coalesce(func.max(_maps.id), 0)).scalar_subquery(),
        select(func.coalesce(func.sum(_maps.reassigned_sentences), 0)).scalar_subquery(),
    )
    return Marker(*(int(value) for value in connection.execute(query).one()))


def last_row_unchanged(connection: Connection, frame: SentenceFrame) -> bool:
    """Whether the frame's newest row still reads back the same (one lookup by primary key)."""
    if frame.last_row is None:
        return True
    query = select(*_load_columns(connection.dialect.name)).where(sr.id == frame.marker.max_id)
    row = connection.execute(query).first()
    return row is not None and tuple(row) == frame.last_row


def load(
    connection: Connection, marker: Marker, base: SentenceFrame | None = None, generation: int = 0
) -> SentenceFrame:
    """All sentences (base None), or `base` plus the rows with an id above its max id up to the marker's.
    The frame's marker counts what was read, so a load that raced a change is caught on the next check."""
    dialect = connection.dialect.name
    chunks = _Chunks(dialect, base)
    query = select(*_load_columns(dialect))
    if base is not None:
        query = query.where(sr.id > base.marker.max_id, sr.id <= marker.max_id)
    result = connection.execute(query.order_by(sr.id).execution_options(yield_per=LOAD_CHUNK))
    for rows in result.partitions(LOAD_CHUNK):
        chunks.add(rows)
    if base is None:
        read = Marker(chunks.max_id, chunks.rows, marker.map_max_id, marker.reassigned)
    else:
        read = Marker(max(base.marker.max_id, chunks.max_id), base.marker.rows + chunks.rows, *marker[2:])
    return chunks.frame(read, generation)


# Statements that change or remove stored sentences (a response's deletion cascades to them).
_REWRITES = re.compile(
    r"""^\s*(?:
        delete\s+from\s+(?:\w+\.)?"?(?:sentence_result|response)"?
        | update\s+(?:\w+\.)?"?sentence_result"?
        | insert\s+or\s+replace\s+into\s+(?:\w+\.)?"?sentence_result"?
        | (?:truncate|drop|alter)\b.*\b(?:sentence_result|response)
    )(?:\W|$)""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_WRITE_FLAG = "vocengine.insights.frame.rewrote"
_ENDED_FLAG = "vocengine.insights.frame.rewrote_and_ended"
_CHECKED = "vocengine.insights.frame.checked"


class _WriteWatch:
    """Counts the statements through one engine that rewrite stored sentences, and the ends of their
    transactions: a frame read before the count moved is reloaded in full."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.generation = 0

    def bump(self) -> None:
        self.generation = next(self._counter)

    def attach(self, engine: Engine) -> None:
        def after_cursor_execute(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
            if _REWRITES.match(statement) or ("sentence_result" in statement and _is_upsert(statement)):
                conn.info[_WRITE_FLAG] = True
                self.bump()

        # The commit event comes just before the commit itself, so the connection's return to the pool,
        # after it, counts once more: a frame read in between is not taken for current.
        def transaction_end(conn: Connection) -> None:
            if conn.info.pop(_WRITE_FLAG, False):
                conn.info[_ENDED_FLAG] = True
                self.bump()

        def checkin(_dbapi: Any, record: Any) -> None:
            if record is not None and (record.info.pop(_WRITE_FLAG, False) | record.info.pop(_ENDED_FLAG, False)):
                self.bump()

        event.listen(engine, "after_cursor_execute", after_cursor_execute)
        event.listen(engine, "commit", transaction_end)
        event.listen(engine, "rollback", transaction_end)
        event.listen(engine, "checkin", checkin)


def _is_upsert(statement: str) -> bool:
    head = statement.lstrip()[:6].lower()
    return head == "insert" and re.search(r"\bon\s+conflict\b.*\bdo\s+update\b", statement, re.I | re.S) is not None


def _attached_watch(engine: Engine) -> _WriteWatch:
    watch = _WriteWatch()
    watch.attach(engine)
    return watch


write_watch = PerEngine(_attached_watch)


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    frame: SentenceFrame | None = None


class FrameCache:
    """Up-to-date sentence frames, one per engine (held weakly: a disposed engine's frame goes with it).
    Thread-safe; one per process is enough. `watch_writes=False` skips the engine events (see module doc)."""

    def __init__(self, watch_writes: bool = True) -> None:
        self.watch_writes = watch_writes
        self._entries: weakref.WeakKeyDictionary[Engine, _Entry] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._token = next(_serials)
        self.loads = 0  # full loads done, for tests and logs
        self.appends = 0  # appends of new rows kept

    def get(self, conn: Connection | Engine) -> SentenceFrame:
        """The frame of `conn`'s database, brought up to date through `conn`."""
        with reading(conn) as connection:
            engine = connection.engine
            watch = write_watch(engine) if self.watch_writes else None
            with self._lock:
                entry = self._entries.get(engine)
                if entry is None:
                    entry = self._entries[engine] = _Entry()
            with entry.lock:
                generation = watch.generation if watch else 0
                version = _file_version(connection)
                checked: dict[int, tuple[Any, ...]] = connection.info.setdefault(_CHECKED, {})
                frame = entry.frame
                if (
                    frame is not None
                    and version is not None
                    and checked.get(self._token) == (frame.serial, generation, version)
                ):
                    return frame
                frame = entry.frame = self._current(connection, frame, generation)
                if version is not None:
                    checked[self._token] = (frame.serial, generation, version)
                return frame

    def _current(self, connection: Connection, frame: SentenceFrame | None, generation: int) -> SentenceFrame:
        marker = read_marker(connection)
        if frame is not None and frame.generation == generation and last_row_unchanged(connection, frame):
            if frame.marker == marker:
                return frame
            if _only_appended(frame.marker, marker):
                appended = _timed(partial(load, connection, marker, frame, generation), "appended")
                if appended.marker == marker:
                    self.appends += 1
                    return appended
        self.loads += 1
        return _timed(partial(load, connection, marker, None, generation), "loaded")

    def invalidate(self, engine: Engine | None = None) -> None:
        """Forget the frame of `engine` (of every engine with None): the next `get` loads in full."""
        with self._lock:
            entries = list(self._entries.values()) if engine is None else [self._entries.get(engine)]
        for entry in entries:
            if entry is not None:
                with entry.lock:
                    entry.frame = None


def _file_version(connection: Connection) -> tuple[int, int] | None:
    """On SQLite, a version of the whole database file as this connection sees it: data_version moves when
    another connection (of any process) commits, total_changes when this one writes. While neither moves
    and no watched write happened, a frame this connection checked is still current, and the marker's
    count(*), a scan of an index of every row, is skipped. None on other databases."""
    if connection.dialect.name != "sqlite":
        return None
    data_version, changes = connection.exec_driver_sql(
        "SELECT data_version, total_changes() FROM pragma_data_version"
    ).one()
    return int(data_version), int(changes)


def _timed(build: Callable[[], SentenceFrame], verb: str) -> SentenceFrame:
    started = time.perf_counter()
    frame = build()
    level = logging.INFO if verb == "loaded" else logging.DEBUG
    log.log(level, "sentence frame %s: %d rows in %.3f s", verb, len(frame), time.perf_counter() - started)
    return frame


def _only_appended(old: Marker, new: Marker) -> bool:
    return old[2:] == new[2:] and new.max_id > old.max_id and new.rows > old.rows


DEFAULT_CACHE = FrameCache()


def frame_of(conn: Connection | Engine, cache: FrameCache | None) -> SentenceFrame:
    return (cache if cache is not None else DEFAULT_CACHE).get(conn)


SENTIMENT_FIELDS = tuple(f"n_{label}" for label in SENTIMENT_LABELS)


def sentiment_fields(counts: Ints) -> list[dict[str, int]]:
    """Per group, its sentiment counts under the names the SQL rows use (n_negative, ...)."""
    return [dict(zip(SENTIMENT_FIELDS, row, strict=True)) for row in counts.tolist()]
