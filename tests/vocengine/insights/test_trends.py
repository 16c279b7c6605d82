from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from tests.vocengine.insights.builders import Feedback, s
from vocengine.insights.filters import InsightFilter
from vocengine.insights.trends import trends


def test_days_are_split_at_utc_midnight(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", stage="support"), occurred_at=datetime(2024, 3, 4, 23, 59, 59, 900000, tzinfo=UTC))
    feedback.add(s("positive", stage="support"), occurred_at=datetime(2024, 3, 5, 0, 0, tzinfo=UTC))
    feedback.add(
        s("positive", stage="support"), s("neutral", stage="support"), occurred_at=datetime(2024, 3, 5, 18, tzinfo=UTC)
    )
    report = trends(engine, "day", InsightFilter())
    assert [(p.period_start, p.sentences, p.comments, p.net_sentiment) for p in report.points] == [
        (date(2024, 3, 4), 1, 1, -100.0),
        (date(2024, 3, 5), 3, 2, 66.67),
    ]


def test_weeks_start_on_monday(engine: Engine, feedback: Feedback) -> None:
    for when in (
        datetime(2024, 3, 3, 12, 0, tzinfo=UTC),  # Sunday: the week of Monday 26 February
        datetime(2024, 3, 4, 0, 0, tzinfo=UTC),  # Monday
        datetime(2024, 3, 10, 23, 59, 59, tzinfo=UTC),  # Sunday: same week
        datetime(2024, 3, 11, 0, 0, tzinfo=UTC),  # Monday: next week
    ):
        feedback.add(s("positive", stage="support"), occurred_at=when)
    report = trends(engine, "week", InsightFilter())
    assert report.interval == "week"
    assert [(p.period_start, p.sentences) for p in report.points] == [
        (date(2024, 2, 26), 1),
        (date(2024, 3, 4), 2),
        (date(2024, 3, 11), 1),
    ]


def test_each_period_is_split_by_stage_with_ekman_means(engine: Engine, feedback: Feedback) -> None:
    day = datetime(2024, 3, 6, 9, tzinfo=UTC)
    feedback.add(s("positive", stage="support", ekman={"joy": 0.9}), s("negative"), occurred_at=day)
    feedback.add(s("positive", stage="support", ekman={"joy": 0.5}), s("negative", stage="onboarding"), occurred_at=day)
    points = trends(engine, "day", InsightFilter(date_from=datetime(2024, 3, 6, tzinfo=UTC))).points
    assert [(p.stage, p.sentences, p.comments, p.net_sentiment) for p in points] == [
        ("onboarding", 1, 1, -100.0),
        ("support", 2, 2, 100.0),
        (None, 1, 1, -100.0),
    ]
    assert (points[1].ekman["joy"], points[1].ekman["anger"], points[1].sentiment.positive) == (0.7, 0.0, 2)


def test_unknown_interval_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="month"):
        trends(engine, "month", InsightFilter())  # type: ignore[arg-type]
