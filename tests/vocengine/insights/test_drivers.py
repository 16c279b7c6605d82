from __future__ import annotations

import random

import numpy as np
import pytest
from sqlalchemy import Engine

from tests.vocengine.insights.builders import JOURNEY, Feedback, s
from vocengine.insights.drivers import key_drivers, outcome_points
from vocengine.insights.filters import InsightFilter

TOUCHPOINTS = [tp.id for _, tp in JOURNEY.touchpoints()]


def plant(feedback: Feedback, n: int, driver: str | None, outcome: str = "nps", seed: int = 7) -> None:
    """`n` responses about two touchpoints each, sentiment at random; the score is random too, except that a
    response negative about `driver` is a detractor (NPS 0-6) or unhappy (CSAT 1-2)."""
    rng = random.Random(seed)
    for _ in range(n):
        spots = rng.sample(TOUCHPOINTS, 2)
        feelings = rng.choices(["negative", "neutral", "positive"], weights=[3, 3, 4], k=2)
        hit = any(tp == driver and feeling == "negative" for tp, feeling in zip(spots, feelings, strict=True))
        if outcome == "nps":
            score = rng.randint(0, 6) if hit else rng.randint(0, 10)
        else:
            score = rng.randint(1, 2) if hit else rng.randint(1, 5)
        sentences = [s(feeling, at=tp) for tp, feeling in zip(spots, feelings, strict=True)]
        feedback.add(*sentences, score=score, score_type=outcome)


def test_nps_points_count_promoters_minus_detractors() -> None:
    points = outcome_points(np.array([0.0, 6, 7, 8, 9, 10]), "nps")
    assert points.tolist() == [-100, -100, 0, 0, 100, 100]


def test_driver_figures_on_a_known_answer(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="billing"), score=0, score_type="nps")
    feedback.add(s("negative", at="billing"), s("positive", at="setup"), score=6, score_type="nps")
    feedback.add(s("positive", at="setup"), score=10, score_type="nps")
    feedback.add(s("neutral", at="setup"), score=8, score_type="nps")
    feedback.add(s("negative", at="billing"), score=3, score_type="csat")  # another outcome: not counted
    feedback.add(s("negative", at="billing"))  # no score: not counted
    report = key_drivers(engine, JOURNEY, InsightFilter(), "nps", min_volume=2)
    assert (report.overall.value, report.overall.n) == (-25.0, 4)
    billing = next(d for d in report.touchpoints if d.id == "billing")
    assert (billing.responses, billing.negative_responses, billing.claimed) == (2, 2, True)
    assert billing.outcome_when_negative and billing.outcome_when_negative.value == -100.0
    assert billing.outcome_otherwise and billing.outcome_otherwise.value == 50.0
    assert billing.difference and billing.difference.value == -150.0
    # overall −25 minus −25 ... without the two detractors the NPS is +50: they cost 75 points.
    assert billing.removal_impact and (billing.removal_impact.value, billing.removal_impact.n) == (-75.0, 4)
    setup = next(d for d in report.touchpoints if d.id == "setup")
    assert (setup.negative_responses, setup.claimed, setup.verdict, setup.rank) == (0, False, "too_few", None)
    assert setup.outcome_when_negative is None and setup.removal_impact is None


def test_planted_driver_is_found_and_ranked_first(engine: Engine, feedback: Feedback) -> None:
    plant(feedback, 500, driver="billing")
    report = key_drivers(engine, JOURNEY, InsightFilter(), "nps", min_volume=30)
    ranked = [d.id for d in report.touchpoints if d.rank is not None]
    assert ranked == ["billing"]
    billing = report.touchpoints[0]
    assert billing.verdict == "driver" and billing.negative_coefficient is not None
    assert billing.negative_coefficient.ci_high < 0 and billing.negative_coefficient.significant
    assert billing.removal_impact and billing.removal_impact.value is not None and billing.removal_impact.value < 0
    assert all(d.verdict == "not_significant" for d in report.touchpoints[1:])
    assert [d.id for d in report.stages if d.rank is not None] == ["support"]
    touchpoint_model = report.models[0]
    assert touchpoint_model.n == 500 and touchpoint_model.terms == 10
    assert touchpoint_model.r_squared is not None and 0 < touchpoint_model.r_squared < 1


@pytest.mark.parametrize("outcome", ["nps", "csat"])
def test_noise_yields_no_driver(engine: Engine, feedback: Feedback, outcome: str) -> None:
    plant(feedback, 500, driver=None, outcome=outcome, seed=11)
    report = key_drivers(engine, JOURNEY, InsightFilter(), outcome, min_volume=30)  # type: ignore[arg-type]
    assert [d for d in report.touchpoints + report.stages if d.rank is not None] == []
    assert all(d.claimed and d.verdict == "not_significant" for d in report.touchpoints)


def test_planted_csat_driver_is_found(engine: Engine, feedback: Feedback) -> None:
    plant(feedback, 500, driver="setup", outcome="csat", seed=3)
    report = key_drivers(engine, JOURNEY, InsightFilter(), "csat", min_volume=30)
    assert [d.id for d in report.touchpoints if d.rank is not None] == ["setup"]
    assert report.overall.value is not None and 1 <= report.overall.value <= 5


def test_nothing_is_claimed_under_the_minimum_volume(engine: Engine, feedback: Feedback) -> None:
    plant(feedback, 60, driver="billing")
    report = key_drivers(engine, JOURNEY, InsightFilter(), "nps", min_volume=30)
    assert all(not d.claimed and d.rank is None and d.difference is None for d in report.touchpoints)
    assert report.models[0].terms == 0 and report.models[0].r_squared is None
    assert report.overall.n == 60


def test_drivers_follow_the_filter(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative", at="billing"), score=0, score_type="nps", persona="admin")
    feedback.add(s("positive", at="setup"), score=10, score_type="nps", persona="buyer")
    report = key_drivers(engine, JOURNEY, InsightFilter(persona="buyer"), "nps", min_volume=1)
    assert (report.overall.value, report.overall.n) == (100.0, 1)


def test_an_empty_database_claims_nothing(engine: Engine) -> None:
    report = key_drivers(engine, JOURNEY, InsightFilter(), "nps")
    assert (report.overall.n, report.overall.value) == (0, None)
    assert all(not d.claimed for d in report.touchpoints + report.stages) and report.models[0].n == 0
