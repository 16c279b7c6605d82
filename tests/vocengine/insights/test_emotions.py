from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.vocengine.insights.builders import Feedback, s
from vocengine.insights.emotions import EmotionGroup, EmotionReport, emotions_by
from vocengine.insights.filters import InsightFilter


def group(report: EmotionReport, **key: str | None) -> EmotionGroup:
    (found,) = [g for g in report.groups if g.key == key]
    return found


def test_net_sentiment_per_persona(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), s("positive"), persona="admin")
    feedback.add(s("positive"), s("negative"), persona="admin")
    feedback.add(s("negative"), s("negative"), s("negative"), s("positive"), persona="user")
    report = emotions_by(engine, ["persona"], InsightFilter())
    admin, user = group(report, persona="admin"), group(report, persona="user")
    assert (admin.comments, admin.sentences, admin.net_sentiment) == (2, 4, 50.0)
    assert (admin.sentiment.positive, admin.sentiment.negative, admin.sentiment.positive_share) == (3, 1, 0.75)
    assert (user.comments, user.sentences, user.net_sentiment) == (1, 4, -50.0)
    assert user.sentiment.negative_share == 0.75
    assert [g.key for g in report.groups] == [{"persona": "admin"}, {"persona": "user"}]


def test_comment_with_two_sentences_in_one_stage_counts_once(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s(stage="onboarding"), s(stage="onboarding"))
    feedback.add(s(stage="onboarding"), s(stage="support"))
    report = emotions_by(engine, ["stage"], InsightFilter())
    onboarding, support = group(report, stage="onboarding"), group(report, stage="support")
    assert (onboarding.comments, onboarding.sentences) == (2, 3)
    assert (support.comments, support.sentences) == (1, 1)


def test_comment_share_counts_comments_showing_an_emotion_not_sentences(engine: Engine, feedback: Feedback) -> None:
    feedback.add(
        s("negative", stage="onboarding", shown=("anger",)), s("negative", stage="onboarding", shown=("anger",))
    )
    feedback.add(s("negative", stage="onboarding", shown=("anger",)), s("positive", stage="onboarding", shown=("joy",)))
    # neutral is the highest bit of the mask, the one a too-narrow integer would lose.
    feedback.add(s("neutral", stage="onboarding", shown=("neutral",)), s("negative", stage="support", shown=("anger",)))
    report = emotions_by(engine, ["stage"], InsightFilter())
    onboarding = group(report, stage="onboarding")
    assert onboarding.comments == 3
    shown = {label: value for label, value in onboarding.comment_share.items() if value}
    assert shown == {"anger": 0.6667, "joy": 0.3333, "neutral": 0.3333}
    support = group(report, stage="support")
    assert (support.comment_share["anger"], support.comment_share["neutral"]) == (1.0, 0.0)


def test_emotion_means_average_the_sentence_probabilities(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", emotions={"anger": 0.2}, ekman={"anger": 0.1}))
    feedback.add(s("negative", emotions={"anger": 0.6, "fear": 0.3}, ekman={"anger": 0.3}))
    (overall,) = emotions_by(engine, [], InsightFilter()).groups
    assert overall.key == {}
    assert (overall.emotions["anger"], overall.emotions["fear"], overall.emotions["joy"]) == (0.4, 0.15, 0.0)
    assert overall.ekman["anger"] == 0.2
    assert len(overall.emotions) == 28 and len(overall.ekman) == 7


def test_unassigned_stage_and_touchpoint_are_reported_as_null(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative"), s("positive", at="setup"), s("positive", at="setup"))
    report = emotions_by(engine, ["stage", "touchpoint"], InsightFilter())
    assert [(g.key, g.sentences) for g in report.groups] == [
        ({"stage": "onboarding", "touchpoint": "setup"}, 2),
        ({"stage": None, "touchpoint": None}, 1),
    ]
    assert group(report, stage=None, touchpoint=None).net_sentiment == -100.0


def test_groups_cross_two_fields(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive", at="setup"), s("negative", at="tickets"), persona="admin", channel="email")
    feedback.add(s("negative", at="setup"), persona="user", channel="email")
    report = emotions_by(engine, ["stage", "persona"], InsightFilter(channel="email"))
    assert {(g.key["stage"], g.key["persona"]): g.net_sentiment for g in report.groups} == {
        ("onboarding", "admin"): 100.0,
        ("support", "admin"): -100.0,
        ("onboarding", "user"): -100.0,
    }


@pytest.mark.parametrize("bad", [["sentiment"], ["stage", "text"], ["stage", "stage"]])
def test_invalid_group_by_is_refused_by_name(engine: Engine, bad: list[str]) -> None:
    with pytest.raises(ValueError, match=bad[-1]):
        emotions_by(engine, bad, InsightFilter())
