"""The in-memory segment index: follows new responses, rebuilds when rows were deleted, matches strings."""

from __future__ import annotations

from sqlalchemy import Engine, delete

from tests.vocengine.insights.builders import Feedback, s
from vocengine.insights.filters import response
from vocengine.insights.segments import SegmentIndex
from vocengine.store.tables import sentence_result


def matching(engine: Engine, index: SegmentIndex, **segment: str) -> set[int]:
    with engine.connect() as connection:
        return set(index.matching(connection, segment))


def test_the_index_follows_new_responses_and_combines_conditions(engine: Engine, feedback: Feedback) -> None:
    index = SegmentIndex()
    emea_pro = feedback.add(s("positive"), segments={"region": "EMEA", "plan": "pro"})
    amer = feedback.add(s("negative"), segments={"region": "AMER", "plan": "pro"})
    assert matching(engine, index, region="EMEA") == {emea_pro}
    later = feedback.add(s("neutral"), segments={"region": "EMEA", "plan": "free"})
    assert matching(engine, index, region="EMEA") == {emea_pro, later}
    assert matching(engine, index, plan="pro") == {emea_pro, amer}
    assert matching(engine, index, region="EMEA", plan="pro") == {emea_pro}
    assert matching(engine, index, region="APAC") == set()


def test_only_string_values_match(engine: Engine, feedback: Feedback) -> None:
    index = SegmentIndex()
    feedback.add(s("positive"), segments={"seats": 5})
    text = feedback.add(s("positive"), segments={"seats": "5"})
    assert matching(engine, index, seats="5") == {text}


def test_the_index_rebuilds_after_rows_were_deleted_and_ids_reused(engine: Engine, feedback: Feedback) -> None:
    index = SegmentIndex()
    feedback.add(s("positive"), segments={"region": "EMEA"})
    assert len(matching(engine, index, region="EMEA")) == 1
    with engine.begin() as connection:
        connection.execute(delete(sentence_result))
        connection.execute(delete(response))
    reused = feedback.add(s("positive"), segments={"region": "AMER"})
    assert matching(engine, index, region="EMEA") == set()
    assert matching(engine, index, region="AMER") == {reused}
