from __future__ import annotations

from sqlalchemy import Engine

from tests.vocengine.insights.builders import JOURNEY, Feedback, s
from vocengine.insights.filters import InsightFilter
from vocengine.insights.moments import moments


def seed(feedback: Feedback) -> None:
    """setup: 6 negative of 10; tickets: 4 of 4; billing: 1 of 8, 7 neutral; contract: all positive."""
    feedback.add(*[s("negative", at="setup", p_negative=0.5 + i / 20, text=f"setup {i}") for i in range(6)])
    feedback.add(*[s("neutral", at="setup")] * 2, *[s("positive", at="setup")] * 2)
    feedback.add(*[s("negative", at="tickets", text=f"ticket {i}", p_negative=0.6) for i in range(4)])
    feedback.add(s("negative", at="billing", text="billing pain"), *[s("neutral", at="billing")] * 7)
    feedback.add(*[s("positive", at="contract", text="great contract")] * 3)


def test_touchpoints_are_ranked_by_volume_times_negative_share(engine: Engine, feedback: Feedback) -> None:
    seed(feedback)
    report = moments(engine, JOURNEY, InsightFilter())
    assert [(m.touchpoint, m.sentences, m.impact, m.neutral_risk) for m in report.moments] == [
        ("setup", 10, 6.0, 2.0),
        ("tickets", 4, 4.0, 0.0),
        ("billing", 8, 1.0, 7.0),
        ("contract", 3, 0.0, 0.0),
    ]
    setup = report.moments[0]
    assert (setup.stage, setup.stage_name, setup.touchpoint_name, setup.comments) == (
        "onboarding",
        "Onboarding",
        "Setup",
        2,
    )
    assert (setup.negative_share, setup.neutral_share, setup.positive_share, setup.net_sentiment) == (
        0.6,
        0.2,
        0.2,
        -40.0,
    )
    assert report.moments[2].neutral_share == 0.875


def test_examples_are_the_most_negative_sentences_first(engine: Engine, feedback: Feedback) -> None:
    seed(feedback)
    by_touchpoint = {m.touchpoint: m for m in moments(engine, JOURNEY, InsightFilter(), examples=3).moments}
    assert [(e.text, e.p_negative) for e in by_touchpoint["setup"].examples] == [
        ("setup 5", 0.75),
        ("setup 4", 0.7),
        ("setup 3", 0.65),
    ]
    assert [e.text for e in by_touchpoint["billing"].examples] == ["billing pain"]  # never a neutral one
    assert by_touchpoint["contract"].examples == []
    assert all(not m.examples for m in moments(engine, JOURNEY, InsightFilter(), examples=0).moments)


def test_limit_keeps_the_highest_impact_touchpoints(engine: Engine, feedback: Feedback) -> None:
    seed(feedback)
    report = moments(engine, JOURNEY, InsightFilter(), limit=2, examples=1)
    assert [(m.touchpoint, [e.text for e in m.examples]) for m in report.moments] == [
        ("setup", ["setup 5"]),
        ("tickets", ["ticket 0"]),
    ]


def test_examples_come_only_from_filtered_feedback(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup", p_negative=0.99, text="admin pain"), persona="admin")
    feedback.add(s("negative", at="setup", p_negative=0.7, text="user pain"), persona="user")
    (setup,) = moments(engine, JOURNEY, InsightFilter(persona="user")).moments
    assert (setup.sentences, [e.text for e in setup.examples]) == (1, ["user pain"])
