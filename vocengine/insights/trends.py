"""Trends: how each stage felt, period by period (UTC days, or weeks starting on Monday).

Only periods with scored sentences are reported: a chart fills its own gaps, and the gaps are real
(no feedback), not zeros.

Computed from the in-memory sentence frame (`frame.py`); a segment condition is first resolved to
response ids in SQL (segments live in JSON on the response, not in the frame). `trends_sql` answers
wholly in SQL: the reference the frame is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Date, Engine, Label, cast, func, literal_column, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments
from vocengine.insights.frame import FrameCache, SentenceFrame, frame_of, sentiment_fields, take
from vocengine.insights.measures import Record, SentimentDistribution
from vocengine.model.labels import EKMAN_LABELS
from vocengine.store.tables import ekman_column, sentence_result

Interval = Literal["day", "week"]
INTERVALS: tuple[Interval, ...] = ("day", "week")

sr = sentence_result.c
DAY_MICROSECONDS = 86_400_000_000
EPOCH_DAY = date(1970, 1, 1)  # a Thursday: three days after a Monday


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


def trends(
    conn: Connection | Engine, interval: Interval, f: InsightFilter, *, cache: FrameCache | None = None
) -> TrendReport:
    _check(interval)
    f = resolve_segments(conn, f)
    return _report(interval, _frame_rows(frame_of(conn, cache), interval, f))


def trends_sql(conn: Connection | Engine, interval: Interval, f: InsightFilter) -> TrendReport:
    """The same report aggregated in SQL: any filter, segments included, with no frame in memory."""
    _check(interval)
    with reading(conn) as connection:
        rows = connection.execute(_measures(_period(connection.dialect.name, interval), f)).mappings().all()
    return _report(interval, rows)


def _check(interval: str) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")


def _frame_rows(frame: SentenceFrame, interval: Interval, f: InsightFilter) -> list[dict[str, Any]]:
    """The rows of `_measures`, computed from the frame: periods are UTC days since the epoch, floored."""
    rows = frame.select(f)
    days = np.floor_divide(take(frame.occurred_at, rows), DAY_MICROSECONDS)
    if interval == "week":
        days -= (days + 3) % 7  # back to Monday
    first = int(days.min()) if len(days) else 0
    periods = days - first
    stage = frame.column("stage").vocabulary
    groups = frame.group(rows, [(periods, int(periods.max()) + 1 if len(periods) else 0), frame.codes("stage", rows)])
    ekman_names = [ekman_column(label) for label in EKMAN_LABELS]
    return [
        {"period_start": EPOCH_DAY + timedelta(days=first + p), "stage": stage[s], "sentences": n, "comments": c}
        | sentiment
        | dict(zip(ekman_names, ekman, strict=True))
        for p, s, n, c, sentiment, ekman in zip(
            groups.keys[0].tolist(),
            groups.keys[1].tolist(),
            groups.sentences().tolist(),
            groups.comments().tolist(),
            sentiment_fields(groups.sentiment_counts()),
            groups.means(frame.ekman_t, frame.ekman_scored, frame.ekman_valid_t),
            strict=True,
        )
    ]


def _report(interval: Interval, rows: Sequence[Record]) -> TrendReport:
    points = []
    for row in rows:
        sentiment = measures.distribution(row)
        points.append(
            TrendPoint(
                period_start=_as_date(row["period_start"]),
                stage=row["stage"],
                sentences=int(row["sentences"]),
                comments=int(row["comments"]),
                sentiment=sentiment,
                net_sentiment=sentiment.net(),
                ekman=measures.ekman(row),
            )
        )
    points.sort(key=lambda p: (p.period_start, p.stage is None, p.stage or ""))
    return TrendReport(interval=interval, points=points)


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
