from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.vocengine.insights.builders import JOURNEY, Feedback, s
from vocengine.insights.filters import InsightFilter
from vocengine.insights.journey import defining_moment, journey_curve
from vocengine.insights.measures import SentimentDistribution


def test_every_stage_and_touchpoint_is_listed_in_order_even_without_volume(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive", at="setup"), s("positive", at="setup"), s("negative", at="setup"))
    report = journey_curve(engine, JOURNEY, InsightFilter())
    assert [(st.id, [tp.id for tp in st.touchpoints]) for st in report.stages] == [
        ("onboarding", ["setup", "training"]),
        ("support", ["tickets", "billing"]),
        ("renewal", ["contract"]),
    ]
    setup = report.stages[0].touchpoints[0]
    assert (setup.sentences, setup.comments, setup.net_sentiment) == (3, 1, 33.33)
    training = report.stages[0].touchpoints[1]
    assert (training.sentences, training.net_sentiment, training.defining_moment) == (0, None, None)
    assert [(p.stage, p.net_sentiment) for p in report.curve] == [
        ("onboarding", 33.33),
        ("support", None),
        ("renewal", None),
    ]


def test_stage_counts_a_comment_once_across_its_touchpoints(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup"), s("negative", at="training"), s("positive", at="tickets"))
    feedback.add(s("positive", at="training"), s("neutral", stage="onboarding"))  # a stage but no touchpoint
    onboarding, support, _ = journey_curve(engine, JOURNEY, InsightFilter()).stages
    assert (onboarding.comments, onboarding.sentences, onboarding.net_sentiment) == (2, 4, -25.0)
    assert [(tp.comments, tp.sentences) for tp in onboarding.touchpoints] == [(1, 1), (2, 2)]
    assert (support.comments, support.sentences) == (1, 1)


@pytest.mark.parametrize(
    ("negative", "neutral", "positive", "expected"),
    [
        (2, 3, 0, "negative"),  # negative share 0.40
        (3, 6, 1, "negative"),  # share 0.30 but net −20
        (1, 0, 4, "positive"),  # net +60
        (0, 4, 1, "neutral"),  # neutral share 0.8, net +20: flat
        (1, 2, 2, "mixed"),  # net +20, neutral 0.4
        (0, 6, 4, "positive"),  # net +40 beats a 0.6 neutral share
        (1, 3, 0, None),  # 4 sentences: too few to call
    ],
)
def test_defining_moment_rule(negative: int, neutral: int, positive: int, expected: str | None) -> None:
    assert defining_moment(SentimentDistribution.of(negative, neutral, positive)) == expected


def test_stages_and_touchpoints_get_their_defining_moment(engine: Engine, feedback: Feedback) -> None:
    feedback.add(*[s("negative", at="tickets")] * 2, *[s("neutral", at="tickets")] * 3)
    feedback.add(*[s("neutral", at="billing")] * 4, s("positive", at="billing"))
    _, support, _ = journey_curve(engine, JOURNEY, InsightFilter()).stages
    assert [tp.defining_moment for tp in support.touchpoints] == ["negative", "neutral"]
    assert (support.sentences, support.net_sentiment, support.defining_moment) == (10, -10.0, "neutral")


def test_top_emotions_are_the_three_strongest_leaving_out_neutral(engine: Engine, feedback: Feedback) -> None:
    emotions = {"neutral": 0.9, "anger": 0.5, "annoyance": 0.4, "fear": 0.3, "joy": 0.1}
    feedback.add(s("negative", at="billing", emotions=emotions), s("negative", at="billing", emotions={"fear": 0.5}))
    billing = journey_curve(engine, JOURNEY, InsightFilter()).stages[1].touchpoints[1]
    assert [(e.label, e.mean) for e in billing.top_emotions] == [("fear", 0.4), ("anger", 0.25), ("annoyance", 0.2)]


def test_sentences_outside_the_map_are_counted_as_unassigned(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative"), s("positive"), s("neutral", stage="old_stage"), s("neutral", at="contract"))
    report = journey_curve(engine, JOURNEY, InsightFilter())
    assert report.unassigned_sentences == 3
    assert report.stages[2].sentences == 1


def test_journey_curve_follows_the_filter(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup"), persona="admin")
    feedback.add(s("positive", at="setup"), s("positive", at="setup"), persona="user")
    onboarding = journey_curve(engine, JOURNEY, InsightFilter(persona="admin")).stages[0]
    assert (onboarding.sentences, onboarding.net_sentiment) == (1, -100.0)
