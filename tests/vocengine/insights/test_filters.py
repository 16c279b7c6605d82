from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from tests.vocengine.insights.builders import Feedback, s
from vocengine.insights.filters import InsightFilter, apply
from vocengine.store.tables import sentence_result


def count(engine: Engine, f: InsightFilter) -> int:
    with engine.connect() as connection:
        return int(connection.execute(apply(select(func.count()).select_from(sentence_result), f)).scalar_one())


def test_date_range_includes_from_and_excludes_to(engine: Engine, feedback: Feedback) -> None:
    for when in (
        datetime(2024, 3, 1, tzinfo=UTC),
        datetime(2024, 3, 2, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 3, 3, tzinfo=UTC),
    ):
        feedback.add(s("positive"), occurred_at=when)
    window = InsightFilter(date_from=datetime(2024, 3, 1, tzinfo=UTC), date_to=datetime(2024, 3, 3, tzinfo=UTC))
    assert count(engine, window) == 2
    assert count(engine, InsightFilter(date_from=datetime(2024, 3, 2, tzinfo=UTC))) == 2
    assert count(engine, InsightFilter(date_to=datetime(2024, 3, 1, tzinfo=UTC))) == 0


def test_date_bounds_in_other_time_zones_and_naive_ones_compare_as_utc(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), occurred_at=datetime(2024, 3, 1, 22, 30, tzinfo=UTC))
    plus_two = timezone(timedelta(hours=2))
    assert count(engine, InsightFilter(date_from=datetime(2024, 3, 2, 0, 0, tzinfo=plus_two))) == 1  # 22:00 UTC
    assert count(engine, InsightFilter(date_from=datetime(2024, 3, 2, 1, 0, tzinfo=plus_two))) == 0  # 23:00 UTC
    assert count(engine, InsightFilter(date_to=datetime(2024, 3, 1, 22, 31))) == 1
    assert count(engine, InsightFilter(date_to=datetime(2024, 3, 1, 22, 30))) == 0


def test_segment_filter_needs_every_key_to_match(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s(), s(), segments={"plan": "pro", "region": "eu"})
    feedback.add(s(), segments={"plan": "pro", "region": "us"})
    feedback.add(s(), segments={"plan": "free", "region": "eu"})
    feedback.add(s())
    assert count(engine, InsightFilter(segment={"plan": "pro"})) == 3
    assert count(engine, InsightFilter(segment={"plan": "pro", "region": "eu"})) == 2
    assert count(engine, InsightFilter(segment={"region": "eu"})) == 3
    assert count(engine, InsightFilter(segment={"plan": "enterprise"})) == 0


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("persona", "admin", 2),
        ("source", "ticket", 3),
        ("channel", "email", 2),
        ("account_id", "globex", 3),
        ("stage", "support", 3),
        ("touchpoint", "setup", 2),
        ("persona", "nobody", 0),
    ],
)
def test_field_filters_keep_only_matching_sentences(
    engine: Engine, feedback: Feedback, field: str, value: str, expected: int
) -> None:
    feedback.add(s(at="setup"), s(at="setup"), persona="admin", source="survey", channel="email", account_id="acme")
    feedback.add(
        s(at="tickets"), s(at="billing"), s(at="tickets"), persona="user", source="ticket", account_id="globex"
    )
    assert count(engine, InsightFilter.model_validate({field: value})) == expected


def test_unscored_sentences_never_count(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative"), s(None), s(None))
    assert count(engine, InsightFilter()) == 1


def test_empty_date_range_is_rejected() -> None:
    with pytest.raises(ValidationError, match="date_from must be before date_to"):
        InsightFilter(date_from=datetime(2024, 3, 2, tzinfo=UTC), date_to=datetime(2024, 3, 2, tzinfo=UTC))
