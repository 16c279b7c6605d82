"""Trends: how each stage felt, period by period (UTC days, or weeks starting on Monday).

Only periods with scored sentences are reported: a chart fills its own gaps, and the gaps are real
(no feedback), not zeros.

Computed from the in-memory sentence frame (`frame.py`); a segment condition is first resolved to
response ids (segments live in JSON on the response, not in the frame). `trends_sql` answers wholly in
SQL: the reference the frame is tested against.

A daily trend of a year over every stage has thousands of points, so both paths hand over columns, not
rows, and the report's numbers are rounded and shaped for all points at once (`measures.distributions`
and friends); the points are then validated in one call. Point by point it took ~40 µs each, most of
the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Date, Engine, Label, cast, func, literal_column, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments
from vocengine.insights.frame import FrameCache, SentenceFrame, frame_of, take
from vocengine.insights.measures import Record, SentimentDistribution
from vocengine.model.labels import EKMAN_LABELS, SENTIMENT_LABELS
from vocengine.store.tables import ekman_column, sentence_result

Interval = Literal["day", "week"]
INTERVALS: tuple[Interval, ...] = ("day", "week")

sr = sentence_result.c
DAY_MICROSECONDS = 86_400_000_000
EPOCH_DAY = date(1970, 1, 1)  # a Thursday: three days after a Monday
SENTIMENT_COUNTS = tuple(f"n_{label}" for label in SENTIMENT_LABELS)
EKMAN_COLUMNS = tuple(ekman_column(label) for label in EKMAN_LABELS)


class TrendPoint(BaseModel):
    period_start: date = Field(description="First day (UTC) of the day or week; weeks start on Monday.")
    stage: str | None = Field(description="Stage id; null for sentences matching no stage.")
    sentences: int = Field(description="Scored sentences in the period and stage.")
    comments: int = Field(description="Comments with at least one scored sentence in the period and stage.")
    sentiment: SentimentDistribution = Field(description="Sentiment of the sentences.")
    net_sentiment: float | None = Field(description="% positive − % negative sentences (−100..100).")
    ekman: dict[str, float] = Field(description="Ekman label → mean probability over the sentences (0..1).")


class TrendReport(BaseModel):
    interval: Interval = Field(description="day or week.")
    points: list[TrendPoint] = Field(description="One per period and stage with data, by period then stage.")


@dataclass(frozen=True)
class _Columns:
    """The measures of every (period, stage) group, one array (or list) per measure, groups in any order."""

    days: NDArray[np.int64]  # period start, in days since the epoch
    stage: list[str | None]
    sentences: NDArray[np.int64]
    comments: NDArray[np.int64]
    sentiment: NDArray[np.int64]  # (groups, 3) in SENTIMENT_LABELS order
    ekman: NDArray[np.float64]  # (groups, 7) means in EKMAN_LABELS order; NaN where none was scored


def trends(
    conn: Connection | Engine, interval: Interval, f: InsightFilter, *, cache: FrameCache | None = None
) -> TrendReport:
    _check(interval)
    f = resolve_segments(conn, f)
    return _report(interval, _frame_columns(frame_of(conn, cache), interval, f))


def trends_sql(conn: Connection | Engine, interval: Interval, f: InsightFilter) -> TrendReport:
    """The same report aggregated in SQL: any filter, segments included, with no frame in memory."""
    _check(interval)
    with reading(conn) as connection:
        rows = connection.execute(_measures(_period(connection.dialect.name, interval), f)).mappings().all()
    return _report(interval, _sql_columns(rows))


def _check(interval: str) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")


def _frame_columns(frame: SentenceFrame, interval: Interval, f: InsightFilter) -> _Columns:
    """The measures of `_measures`, computed from the frame: periods are UTC days since the epoch, floored."""
    rows = frame.select(f)
    days = np.floor_divide(take(frame.occurred_at, rows), DAY_MICROSECONDS)
    if interval == "week":
        days -= (days + 3) % 7  # back to Monday
    first = int(days.min()) if len(days) else 0
    periods = days - first
    groups = frame.group(rows, [(periods, int(periods.max()) + 1 if len(periods) else 0), frame.codes("stage", rows)])
    vocabulary = frame.column("stage").vocabulary
    ekman = groups.means(frame.ekman_t, frame.ekman_scored, frame.ekman_valid_t)
    return _Columns(
        days=groups.keys[0] + first if groups.keys else np.zeros(groups.size, dtype=np.int64),
        stage=[vocabulary[code] for code in groups.keys[1].tolist()] if groups.keys else [],
        sentences=groups.sentences(),
        comments=groups.comments(),
        sentiment=groups.sentiment_counts(),
        ekman=np.array(ekman, dtype=np.float64).reshape(-1, len(EKMAN_LABELS)),
    )


def _sql_columns(rows: Sequence[Record]) -> _Columns:
    return _Columns(
        days=np.array([(_as_date(row["period_start"]) - EPOCH_DAY).days for row in rows], dtype=np.int64),
        stage=[row["stage"] for row in rows],
        sentences=np.array([row["sentences"] for row in rows], dtype=np.int64),
        comments=np.array([row["comments"] for row in rows], dtype=np.int64),
        sentiment=np.array([[row[n] or 0 for n in SENTIMENT_COUNTS] for row in rows], dtype=np.int64).reshape(-1, 3),
        ekman=np.array([[row[k] for k in EKMAN_COLUMNS] for row in rows], dtype=np.float64).reshape(
            -1, len(EKMAN_COLUMNS)
        ),
    )


def _report(interval: Interval, columns: _Columns) -> TrendReport:
    stages = sorted({stage for stage in columns.stage if stage is not None})
    rank = {stage: i for i, stage in enumerate(stages)} | {None: len(stages)}  # None sorts last
    order = np.lexsort((np.array([rank[stage] for stage in columns.stage], dtype=np.int64), columns.days))
    sentiment = columns.sentiment[order]
    starts = columns.days[order].astype("datetime64[D]").tolist()  # datetime.date objects
    points = [
        {
            "period_start": start,
            "stage": columns.stage[i],
            "sentences": sentences,
            "comments": comments,
            "sentiment": distribution,
            "net_sentiment": net,
            "ekman": ekman,
        }
        for start, i, sentences, comments, distribution, net, ekman in zip(
            starts,
            order.tolist(),
            columns.sentences[order].tolist(),
            columns.comments[order].tolist(),
            measures.distributions(sentiment),
            measures.nets(sentiment),
            measures.mean_dicts(columns.ekman[order], EKMAN_LABELS),
            strict=True,
        )
    ]
    return TrendReport.model_validate({"interval": interval, "points": points})


def _period(dialect: str, interval: Interval) -> Label[date]:
    if dialect == "sqlite":
        # SQLite holds the UTC wall time as text; 'weekday 0' moves to the coming Sunday (or stays on one),
        # and six days back from there is that week's Monday.
        if interval == "day":
            return func.date(sr.occurred_at).label("period_start")
        return func.date(sr.occurred_at, "weekday 0", "-6 days").label("period_start")
    if dialect == "postgresql":
        # Truncate the UTC wall time, not the session time zone's. The constants are inlined, not bound:
        # PostgreSQL matches a GROUP BY expression to the select list only when both are spelled alike.
        utc = func.timezone(literal_column("'UTC'"), sr.occurred_at)
        return cast(func.date_trunc(literal_column(f"'{interval}'"), utc), Date).label("period_start")
    raise NotImplementedError(f"trends have no period bucketing for the {dialect!r} database")


def _measures(period: Label[date], f: InsightFilter) -> AnySelect:
    query = select(
        period,
        sr.stage,
        measures.sentence_count(),
        measures.comment_count(),
        *measures.sentiment_counts(),
        *measures.ekman_means(),
    )
    return apply(query, f).group_by(period.element, sr.stage)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
