"""The database's change counters (migration 0002) and what follows them: the frame patches updated rows in,
reloads after deletions, and the segment index rebuilds, whichever engine (as good as another process) wrote."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, bindparam, delete, event, func, insert, select, update

from tests.vocengine.insights.builders import Feedback, s
from tests.vocengine.insights.test_frame import check_all_match, delete_comment, same_report, seed_random, stage_net
from vocengine.insights.emotions import emotions_by, emotions_by_sql
from vocengine.insights.filters import InsightFilter, resolve_segments
from vocengine.insights.frame import FrameCache
from vocengine.journey.assign import Assignment
from vocengine.store.changes import RESPONSES_REWRITTEN, SENTENCES_DELETED, SENTENCES_UPDATED
from vocengine.store.db import make_engine, migrate, write_transaction
from vocengine.store.journeys import reassign_batch
from vocengine.store.tables import JourneyMapVersion, data_change, sentence_result

MAPS = JourneyMapVersion.__table__  # type: ignore[attr-defined]
sr = sentence_result.c


@pytest.fixture
def two_engines(database_url: str) -> Iterator[tuple[Engine, Engine]]:
    """A reader and a writer on one fresh database: two engines share no in-process state."""
    reader, writer = make_engine(database_url), make_engine(database_url)
    migrate(writer)
    yield reader, writer
    reader.dispose()
    writer.dispose()


def counters(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: int(value) for name, value in connection.execute(select(data_change))}


def test_triggers_count_updates_and_deletions_of_other_connections(two_engines: tuple[Engine, Engine]) -> None:
    reader, writer = two_engines
    feedback = Feedback(writer)
    first = feedback.add(s("negative"), s("positive"))
    feedback.add(s("neutral"))
    before = counters(reader)
    with writer.begin() as connection:
        connection.execute(delete(sentence_result).where(sr.response_id == -1))  # deletes nothing
    assert counters(reader) == before, "a statement that changes no row moves no counter"
    with writer.begin() as connection:
        connection.execute(update(sentence_result).where(sr.response_id == first).values(stage="support"))
    after_update = counters(reader)
    assert after_update[SENTENCES_UPDATED] > before[SENTENCES_UPDATED]
    with reader.connect() as connection:
        stamps = connection.execute(select(sr.response_id, sr.changed).order_by(sr.id)).all()
    # Each updated row carries a value the counter moved to (SQLite moves it per row, PostgreSQL per statement).
    assert all((stamp is not None) == (rid == first) for rid, stamp in stamps)
    assert max(stamp for _, stamp in stamps if stamp is not None) == after_update[SENTENCES_UPDATED]
    delete_comment(writer, first)  # its sentences first, then the response
    after_delete = counters(reader)
    assert after_delete[SENTENCES_DELETED] > after_update[SENTENCES_DELETED]
    assert after_delete[RESPONSES_REWRITTEN] > after_update[RESPONSES_REWRITTEN]


def test_a_response_deletion_cascades_to_the_sentence_counter(two_engines: tuple[Engine, Engine]) -> None:
    reader, writer = two_engines
    gone = Feedback(writer).add(s("negative"))
    before = counters(reader)
    with writer.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM response WHERE id = {gone}")
    assert counters(reader)[SENTENCES_DELETED] > before[SENTENCES_DELETED]


def scramble(engine: Engine, seed: int) -> None:
    """Updates in place as a rescoring would make them: new sentiments (some sentences unscored now, some
    scored now), stages, NULL emotion scores, masks."""
    rng = random.Random(seed)
    with engine.connect() as connection:
        ids = list(connection.execute(select(sr.id)).scalars())
    rows = []
    for sid in rng.sample(ids, len(ids) // 3):
        rows.append(
            {
                "sid": sid,
                "new_sentiment": rng.choice(["negative", "neutral", "positive", None]),
                "new_stage": rng.choice(["onboarding", "support", "renewal", "brand_new_stage", None]),
                "new_joy": rng.choice([None, 0.25, 0.75]),
                "new_mask": rng.randint(0, 7),
            }
        )
    with engine.begin() as connection:
        connection.execute(
            update(sentence_result)
            .where(sr.id == bindparam("sid"))
            .values(
                sentiment=bindparam("new_sentiment"),
                stage=bindparam("new_stage"),
                e_joy=bindparam("new_joy"),
                emotion_mask=bindparam("new_mask"),
            ),
            rows,
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_patched_frame_answers_as_sql_after_updates_in_place(engine: Engine, feedback: Feedback, seed: int) -> None:
    cache = FrameCache()
    seed_random(feedback, seed, comments=40)
    check_all_match(engine, cache)
    scramble(engine, seed)
    seed_random(feedback, seed + 10, comments=10)  # new rows with the updates: an append, then a patch
    check_all_match(engine, cache)
    scramble(engine, seed + 20)
    check_all_match(engine, cache)
    assert (cache.loads, cache.appends, cache.patches) == (1, 1, 2)


class RecordingAssigner:
    """Puts every sentence in renewal/contract, and answers a query from another engine before each batch
    commits, as the API does while a re-assignment runs."""

    def __init__(self, reader: Engine, cache: FrameCache) -> None:
        self.reader, self.cache = reader, cache
        self.seen: list[dict[str | None, float | None]] = []

    def assign(self, embeddings: np.ndarray) -> list[Assignment | None]:
        self.seen.append(stage_net(self.reader, self.cache))
        return [Assignment(stage="renewal", touchpoint="contract", score=0.5) for _ in embeddings]


def test_a_reassignment_patches_the_frame_batch_by_batch(two_engines: tuple[Engine, Engine]) -> None:
    reader, writer = two_engines
    feedback = Feedback(writer)
    for sentiment in ("negative", "positive", "positive", "negative", "neutral"):
        feedback.add(s(sentiment, stage="support"))
    with writer.begin() as connection:
        connection.execute(update(sentence_result).values(embedding=np.ones(4, dtype=np.float16).tobytes()))
        version = connection.execute(
            insert(MAPS).values(
                name="v2",
                fingerprint="f",
                definition={},
                created_at=datetime(2024, 3, 1, tzinfo=UTC),
                active=True,
            )
        ).inserted_primary_key[0]
    cache = FrameCache()
    assert stage_net(reader, cache) == {"support": 0.0}
    assigner = RecordingAssigner(reader, cache)
    after, done = 0, 1
    while done:  # as the re-assignment job's steps do, a transaction each
        with write_transaction(writer) as connection:
            done, after = reassign_batch(connection, version, assigner, after, 2)  # type: ignore[arg-type]
    assert assigner.seen == [
        {"support": 0.0},
        {"renewal": 0.0, "support": 0.0},  # ids 1-2 moved: one negative, one positive
        {"renewal": 0.0, "support": 0.0},  # ids 3-4 moved as well: the same balance
    ]
    assert stage_net(reader, cache) == {"renewal": 0.0}
    # One load; every batch after it patched in (the first query of a batch sees the previous one).
    assert cache.loads == 1 and cache.patches == 3
    same_report(
        emotions_by(reader, ["stage"], InsightFilter(), cache=cache),
        emotions_by_sql(reader, ["stage"], InsightFilter()),
    )


def test_segment_index_follows_a_deletion_by_another_engine(two_engines: tuple[Engine, Engine]) -> None:
    """On SQLite the new response takes the deleted one's id: the same max id, other segments."""
    reader, writer = two_engines
    feedback = Feedback(writer)
    feedback.add(s("neutral"), segments={"plan": "free"})
    newest = feedback.add(s("negative"), segments={"plan": "pro"})

    def matching(plan: str) -> frozenset[int] | None:
        return resolve_segments(reader, InsightFilter(segment={"plan": plan})).response_ids

    assert matching("pro") == {newest}
    delete_comment(writer, newest)
    again = feedback.add(s("positive"), segments={"plan": "enterprise"})
    assert matching("pro") == frozenset()
    assert matching("enterprise") == {again}


def test_counters_are_read_without_counting_rows(two_engines: tuple[Engine, Engine]) -> None:
    """The marker costs the same at any size: what this asserts is only that it reads no row count."""
    reader, writer = two_engines
    statements: list[Any] = []
    event.listen(reader, "before_cursor_execute", lambda *args: statements.append(args[2]))
    Feedback(writer).add(s("neutral"), segments={"plan": "pro"})
    resolve_segments(reader, InsightFilter(segment={"plan": "pro"}))
    FrameCache().get(reader)
    assert statements and not any("count(" in statement.lower() for statement in statements)
    with reader.connect() as connection:
        assert connection.execute(select(func.count()).select_from(data_change)).scalar_one() == 5
