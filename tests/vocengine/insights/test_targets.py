from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.vocengine.insights.builders import JOURNEY, PLANNED, Feedback, s
from vocengine.insights.filters import InsightFilter
from vocengine.insights.journey import journey_curve, journey_curve_sql
from vocengine.journey.maps import Target


def test_journey_holds_each_point_against_its_target(engine: Engine, feedback: Feedback) -> None:
    for _ in range(6):  # setup: flat (neutral), net 0: misses positive and +30
        feedback.add(s("neutral", at="setup"))
    for sentiment in ["positive"] * 4 + ["negative"]:  # training: net +60, over 0
        feedback.add(s(sentiment, at="training"))
    for _ in range(5):  # tickets: positive, meets neutral-or-better
        feedback.add(s("positive", at="tickets"))
    for sentiment in ["negative"] * 3 + ["neutral"] * 2:  # billing: negative, net −60, misses both
        feedback.add(s(sentiment, at="billing"))
    report = journey_curve(engine, PLANNED, InsightFilter())
    onboarding, support, renewal = report.stages
    setup, training = onboarding.touchpoints
    tickets, billing = support.touchpoints
    assert setup.owner == "cs" and setup.target == Target(moment="positive", min_net_sentiment=30)
    assert setup.target_gap and (setup.target_gap.net_gap, setup.target_gap.meets_net) == (-30.0, False)
    assert (setup.target_gap.moment_meets, setup.target_gap.meets, setup.target_gap.sentences) == (False, False, 6)
    assert training.owner == "enablement" and training.target_gap and training.target_gap.meets is True
    assert training.target_gap.net_gap == 60.0 and training.target_gap.moment_meets is None
    assert tickets.target_gap and (tickets.target_gap.moment_meets, tickets.target_gap.meets) == (True, True)
    assert billing.target_gap and (billing.target_gap.net_gap, billing.target_gap.meets) == (-50.0, False)
    assert onboarding.target_gap and onboarding.target_gap.moment_meets is False  # mixed, not positive
    assert renewal.target_gap is None and renewal.touchpoints[0].target_gap is None
    assert report.owners is not None
    summary = {o.owner: (o.touchpoints, o.with_target, o.judged, o.missed, o.net_shortfall) for o in report.owners}
    assert summary == {"cs": (1, 1, 1, 1, -30.0), "finance": (1, 1, 1, 1, -50.0), "enablement": (1, 1, 1, 0, 0.0),
                       "support": (1, 1, 1, 0, 0.0), None: (1, 0, 0, 0, 0.0)}  # fmt: skip
    assert [o.owner for o in report.owners][:2] == ["finance", "cs"]  # as many misses: the further short first
    assert journey_curve_sql(engine, PLANNED, InsightFilter()) == report


def test_too_few_sentences_are_not_judged(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup"))
    report = journey_curve(engine, PLANNED, InsightFilter())
    gap = report.stages[0].touchpoints[0].target_gap
    assert gap and (gap.net_gap, gap.meets_net, gap.moment_meets, gap.meets) == (-130.0, None, None, None)


def test_a_map_without_plans_reports_as_before(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="setup"))
    report = journey_curve(engine, JOURNEY, InsightFilter())
    dumped = json.loads(report.model_dump_json(exclude_unset=True))
    assert "owners" not in dumped
    assert not {"owner", "target", "target_gap"} & set(dumped["stages"][0])
    assert not {"owner", "target", "target_gap"} & set(dumped["stages"][0]["touchpoints"][0])
