"""The in-memory sentence frame answers as the SQL aggregations do, and its cache follows the table."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine, delete, event, func, insert, select, update

from tests.vocengine.insights.builders import JOURNEY, Feedback, s
from vocengine.insights.emotions import GROUPABLE, emotions_by, emotions_by_sql
from vocengine.insights.filters import InsightFilter, response
from vocengine.insights.frame import FrameCache
from vocengine.insights.journey import journey_curve, journey_curve_sql
from vocengine.insights.moments import moments, moments_sql
from vocengine.insights.trends import trends, trends_sql
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS
from vocengine.store.db import make_engine, migrate
from vocengine.store.tables import Job, JourneyMapVersion, sentence_result

MAPS = JourneyMapVersion.__table__  # type: ignore[attr-defined]
JOBS = Job.__table__  # type: ignore[attr-defined]
START = datetime(2024, 3, 1, tzinfo=UTC)
TOUCHPOINTS = [tp.id for _, tp in JOURNEY.touchpoints()]


def same(actual: Any, expected: Any, path: str = "") -> None:
    """Equal, except that means may differ by one unit of their 4th decimal: the frame sums float32 in
    another order than the database does, which can tip a rounding."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), path
        for key in expected:
            same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same(a, e, f"{path}[{i}]")
    elif isinstance(expected, float) and isinstance(actual, float):
        assert actual == pytest.approx(expected, abs=1.01e-4), path
    else:
        assert actual == expected, path


def same_report(actual: BaseModel, expected: BaseModel) -> None:
    same(actual.model_dump(), expected.model_dump())


def seed_random(feedback: Feedback, seed: int, comments: int = 60) -> None:
    rng = random.Random(seed)
    for i in range(comments):
        sentences = []
        for j in range(rng.randint(0, 4)):
            place: dict[str, Any] = rng.choice(
                [{"at": rng.choice(TOUCHPOINTS)}] * 4 + [{"stage": "support"}, {"stage": "old_stage"}, {}]
            )
            sentences.append(
                s(
                    rng.choice(["negative", "neutral", "positive", "negative", None]),
                    emotions={label: round(rng.random(), 3) for label in rng.sample(EMOTION_LABELS, 3)},
                    ekman={label: round(rng.random(), 3) for label in rng.sample(EKMAN_LABELS, 2)},
                    shown=tuple(rng.sample(EMOTION_LABELS, rng.randint(0, 2))),
                    p_negative=rng.choice([None, 0.5, 0.9, round(rng.random(), 3)]),
                    text=f"comment {i} sentence {j}",
                    **place,
                )
            )
        feedback.add(
            *sentences,
            occurred_at=START + timedelta(hours=rng.randint(0, 24 * 20), microseconds=rng.choice([0, 999_999])),
            source=rng.choice(["survey", "ticket", "chat"]),
            channel=rng.choice([None, "email", "web"]),
            persona=rng.choice([None, "admin", "user", "buyer"]),
            account_id=rng.choice([None, "acme", "globex"]),
            segments={"plan": rng.choice(["pro", "free"])},
        )


FILTERS = [
    InsightFilter(),
    InsightFilter(persona="admin"),
    InsightFilter(source="ticket", channel="email"),
    InsightFilter(stage="onboarding"),
    InsightFilter(touchpoint="tickets", account_id="acme"),
    InsightFilter(date_from=START + timedelta(days=3), date_to=START + timedelta(days=11, hours=5)),
    InsightFilter(persona="nobody"),
]


def check_all_match(engine: Engine, cache: FrameCache) -> None:
    for f in FILTERS:
        for keys in ([], ["stage"], ["touchpoint"], ["persona", "channel"], ["stage", "touchpoint", "source"]):
            same_report(emotions_by(engine, keys, f, cache=cache), emotions_by_sql(engine, keys, f))
        same_report(journey_curve(engine, JOURNEY, f, cache=cache), journey_curve_sql(engine, JOURNEY, f))
        for limit, examples in ((20, 3), (2, 5), (5, 0)):
            same_report(
                moments(engine, JOURNEY, f, limit, examples, cache=cache),
                moments_sql(engine, JOURNEY, f, limit, examples),
            )
        for interval in ("day", "week"):
            same_report(trends(engine, interval, f, cache=cache), trends_sql(engine, interval, f))


@pytest.mark.parametrize("seed", [1, 2])
def test_frame_answers_as_sql_on_random_feedback(engine: Engine, feedback: Feedback, seed: int) -> None:
    seed_random(feedback, seed)
    check_all_match(engine, FrameCache())


def null_some_scores(engine: Engine, from_id: int = 0) -> None:
    """Partly NULL scores: one label on some sentences, all of them on others (still scored sentences)."""
    newer = sentence_result.c.id > from_id
    nulls = {f"e_{label}": None for label in EMOTION_LABELS} | {f"k_{label}": None for label in EKMAN_LABELS}
    with engine.begin() as connection:
        connection.execute(update(sentence_result).where(newer, sentence_result.c.id % 3 == 0).values(e_joy=None))
        connection.execute(update(sentence_result).where(newer, sentence_result.c.id % 4 == 0).values(k_fear=None))
        connection.execute(update(sentence_result).where(newer, sentence_result.c.id % 5 == 0).values(**nulls))


def max_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(sentence_result.c.id), 0))).scalar_one())


def test_frame_answers_as_sql_with_emotion_scores_partly_null(engine: Engine, feedback: Feedback) -> None:
    seed_random(feedback, 3, comments=30)
    null_some_scores(engine)
    check_all_match(engine, FrameCache())


@pytest.mark.parametrize("ragged", ["before", "after"])
def test_appended_rows_keep_partly_null_scores_apart(engine: Engine, feedback: Feedback, ragged: str) -> None:
    cache = FrameCache()
    seed_random(feedback, 5, comments=15)
    if ragged == "before":
        null_some_scores(engine)
    stage_net(engine, cache)
    loaded = max_id(engine)
    seed_random(feedback, 6, comments=15)
    if ragged == "after":
        null_some_scores(engine, from_id=loaded)
    check_all_match(engine, cache)
    assert (cache.loads, cache.appends, cache.patches) == (1, 1, 1 if ragged == "after" else 0)


def test_empty_table_gives_the_sql_answers(engine: Engine) -> None:
    check_all_match(engine, FrameCache())
    (overall,) = emotions_by(engine, [], InsightFilter(), cache=FrameCache()).groups
    assert (overall.comments, overall.sentences, overall.net_sentiment) == (0, 0, None)


def test_every_groupable_field_matches(engine: Engine, feedback: Feedback) -> None:
    seed_random(feedback, 4, comments=25)
    cache = FrameCache()
    for key in GROUPABLE:
        same_report(
            emotions_by(engine, [key], InsightFilter(), cache=cache), emotions_by_sql(engine, [key], InsightFilter())
        )


def stage_net(engine: Engine, cache: FrameCache) -> dict[str | None, float | None]:
    report = emotions_by(engine, ["stage"], InsightFilter(), cache=cache)
    return {group.key["stage"]: group.net_sentiment for group in report.groups}


def test_cache_appends_new_rows(engine: Engine, feedback: Feedback) -> None:
    cache = FrameCache()
    feedback.add(s("negative", stage="support"), s("positive", stage="onboarding"))
    assert stage_net(engine, cache) == {"support": -100.0, "onboarding": 100.0}
    feedback.add(s("positive", stage="support"), s(None, stage="support"))
    assert stage_net(engine, cache) == {"support": 0.0, "onboarding": 100.0}
    feedback.add(s(None))  # an unscored sentence alone still moves the marker
    feedback.add(s("positive", stage="renewal"))
    assert stage_net(engine, cache) == {"support": 0.0, "onboarding": 100.0, "renewal": 100.0}
    assert (cache.loads, cache.appends) == (1, 2)
    stage_net(engine, cache)
    assert (cache.loads, cache.appends) == (1, 2)


def test_cache_patches_the_rows_a_reassignment_updates(engine: Engine, feedback: Feedback) -> None:
    cache = FrameCache()
    with engine.begin() as connection:
        connection.execute(delete(MAPS))
        connection.execute(
            insert(MAPS).values(name="v1", fingerprint="f", definition={}, created_at=START, active=True)
        )
        job = connection.execute(
            insert(JOBS).values(
                kind="reassign_map",
                params={},
                status="running",
                progress_done=0,
                attempts=0,
                lease_expiries=0,
                created_at=START,
            )  # fmt: skip
        ).inserted_primary_key[0]
    feedback.add(s("negative", stage="support"), s("positive", stage="support"))
    assert stage_net(engine, cache) == {"support": 0.0}
    # What a re-assignment step does: new stages for stored sentences, and its job's progress.
    with engine.begin() as connection:
        first = connection.execute(select(func.min(sentence_result.c.id))).scalar_one()
        connection.execute(update(sentence_result).where(sentence_result.c.id == first).values(stage="onboarding"))
        connection.execute(update(JOBS).where(JOBS.c.id == job).values(progress_done=JOBS.c.progress_done + 1))
    assert stage_net(engine, cache) == {"onboarding": -100.0, "support": 100.0}
    assert (cache.loads, cache.appends, cache.patches) == (1, 0, 1)
    with engine.begin() as connection:
        connection.execute(delete(JOBS))
        connection.execute(delete(MAPS))


def delete_comment(engine: Engine, response_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(delete(sentence_result).where(sentence_result.c.response_id == response_id))
        connection.execute(delete(response).where(response.c.id == response_id))


def test_cache_reloads_after_a_deletion(engine: Engine, feedback: Feedback) -> None:
    cache = FrameCache()
    old = feedback.add(s("negative", stage="support"), s("negative", stage="support"))
    feedback.add(s("positive", stage="support"))
    assert stage_net(engine, cache) == {"support": -33.33}
    delete_comment(engine, old)
    assert stage_net(engine, cache) == {"support": 100.0}
    assert (cache.loads, cache.appends) == (2, 0)


def test_cache_reloads_when_a_deletion_and_new_rows_keep_the_count(engine: Engine, feedback: Feedback) -> None:
    cache = FrameCache()
    old = feedback.add(s("negative", stage="renewal"))
    feedback.add(s("positive", stage="support"))
    assert stage_net(engine, cache) == {"renewal": -100.0, "support": 100.0}
    delete_comment(engine, old)
    feedback.add(s("neutral", stage="onboarding"))  # same count, higher max id: the counts do not add up
    assert stage_net(engine, cache) == {"support": 100.0, "onboarding": 0.0}
    assert (cache.loads, cache.appends) == (2, 0)


def test_cache_reloads_when_the_newest_ids_are_given_again(engine: Engine, feedback: Feedback) -> None:
    """SQLite gives the ids of deleted newest rows to the next ones: the same max id and count, other data."""
    cache = FrameCache()
    feedback.add(s("positive", stage="support"))
    newest = feedback.add(s("negative", stage="renewal"))
    assert stage_net(engine, cache) == {"support": 100.0, "renewal": -100.0}
    delete_comment(engine, newest)
    feedback.add(s("neutral", stage="onboarding"))
    assert stage_net(engine, cache) == {"support": 100.0, "onboarding": 0.0}
    assert (cache.loads, cache.appends) == (2, 0)


def test_cache_reloads_a_table_emptied_and_refilled_and_patches_an_update(engine: Engine, feedback: Feedback) -> None:
    """Emptied and refilled alike, SQLite hands out the same ids and the newest row reads back the same:
    only the deletion counter tells this frame is stale. An update in place moves the update counter."""
    cache = FrameCache()
    feedback.add(s("negative", stage="support"))
    feedback.add(s("positive", stage="support"))
    assert stage_net(engine, cache) == {"support": 0.0}
    with engine.begin() as connection:
        connection.execute(delete(sentence_result))
        connection.execute(delete(response))
    first = feedback.add(s("positive", stage="support"))
    feedback.add(s("positive", stage="support"))
    assert stage_net(engine, cache) == {"support": 100.0}
    with engine.begin() as connection:
        connection.execute(
            update(sentence_result).where(sentence_result.c.response_id == first).values(sentiment="negative")
        )
    assert stage_net(engine, cache) == {"support": 0.0}
    assert (cache.loads, cache.appends, cache.patches) == (2, 0, 1)


def test_segment_filters_narrow_the_frame_to_matching_responses(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup"), segments={"plan": "pro"})
    feedback.add(s("positive", at="setup"), s("positive", at="setup"), segments={"plan": "free"})
    cache = FrameCache()
    pro = InsightFilter(segment={"plan": "pro"})
    (group,) = emotions_by(engine, ["stage"], pro, cache=cache).groups
    assert (group.sentences, group.net_sentiment) == (1, -100.0)
    assert journey_curve(engine, JOURNEY, pro, cache=cache).stages[0].net_sentiment == -100.0
    assert [m.sentences for m in moments(engine, JOURNEY, pro, cache=cache).moments] == [1]
    assert [p.sentences for p in trends(engine, "day", pro, cache=cache).points] == [1]
    assert cache.loads == 1  # answered from the frame, the segment resolved to response ids in SQL
    assert emotions_by(engine, ["stage"], pro, cache=cache) == emotions_by_sql(engine, ["stage"], pro)
    none = InsightFilter(segment={"plan": "enterprise"})
    assert emotions_by(engine, ["stage"], none, cache=cache).groups == []


def test_frame_columns(engine: Engine, feedback: Feedback) -> None:
    when = datetime(2024, 3, 4, 23, 59, 59, 999_999, tzinfo=UTC)
    feedback.add(s("negative", at="setup", emotions={"anger": 0.5}, shown=("neutral",)), s(None), occurred_at=when)
    frame = FrameCache().get(engine)
    assert len(frame) == 1 and frame.marker.max_id == max_id(engine)
    assert frame.occurred_at[0] == (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert frame.emotions.shape == (1, len(EMOTION_LABELS)) and frame.ekman.shape == (1, len(EKMAN_LABELS))
    assert frame.emotions[0, EMOTION_LABELS.index("anger")] == 0.5
    assert frame.emotion_mask[0] == 1 << EMOTION_LABELS.index("neutral")
    stage = frame.column("stage")
    assert stage.vocabulary[stage.codes[0]] == "onboarding" and frame.column("persona").vocabulary == (None,)


def test_cache_follows_another_engine_with_one_small_statement_per_check(database_url: str) -> None:
    reader, writer = make_engine(database_url), make_engine(database_url)  # two engines: as good as two processes
    statements: list[str] = []
    event.listen(reader, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        migrate(writer)
        cache, feedback = FrameCache(), Feedback(writer)
        feedback.add(s("negative", stage="support"))
        assert stage_net(reader, cache) == {"support": -100.0}
        changed = feedback.add(s("positive", stage="support"))
        assert stage_net(reader, cache) == {"support": 0.0}
        statements.clear()
        cache.get(reader)
        queries = [statement for statement in statements if statement != "BEGIN"]
        assert len(queries) == 1 and "count(" not in queries[0].lower()  # nothing that grows with the table
        with writer.begin() as connection:
            connection.execute(
                update(sentence_result).where(sentence_result.c.response_id == changed).values(stage="renewal")
            )
        assert stage_net(reader, cache) == {"support": -100.0, "renewal": 100.0}
        delete_comment(writer, changed)
        assert stage_net(reader, cache) == {"support": -100.0}
        assert (cache.loads, cache.appends, cache.patches) == (2, 1, 1)
    finally:
        reader.dispose()
        writer.dispose()
