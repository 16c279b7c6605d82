from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests.vocengine.insights.builders import Feedback, s
from vocengine.insights.accounts import account_health, contact_status, review_eligibility
from vocengine.insights.filters import InsightFilter
from vocengine.insights.measures import SentimentDistribution

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_account_is_as_good_as_its_worst_contact(engine: Engine, feedback: Feedback) -> None:
    for day in (3, 2, 1):
        feedback.add(s("positive"), account_id="acme", contact_id="alice", occurred_at=days_ago(day))
    feedback.add(s("negative"), account_id="acme", contact_id="bob", occurred_at=days_ago(5))
    feedback.add(s("negative"), s("positive"), account_id="acme", contact_id="bob", occurred_at=days_ago(4))
    feedback.add(s("negative"), s("negative"), account_id="globex", contact_id="carol")
    report = account_health(engine, "acme", InsightFilter())
    assert (report.status, report.worst_contact_id, report.worst_contact_net_sentiment) == ("at_risk", "bob", -33.33)
    assert (report.net_sentiment, report.comments, report.sentences) == (33.33, 5, 6)
    bob, alice = report.contacts
    assert (bob.contact_id, bob.status, bob.negative_share, bob.mean_p_negative) == ("bob", "at_risk", 0.6667, 0.55)
    assert (alice.contact_id, alice.status, alice.net_sentiment, alice.comments) == ("alice", "healthy", 100.0, 3)
    assert alice.last_occurred_at == days_ago(1)


def test_account_health_follows_the_filter(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("negative"), account_id="acme", contact_id="bob", occurred_at=days_ago(60))
    feedback.add(s("positive"), account_id="acme", contact_id="bob", occurred_at=days_ago(2))
    report = account_health(engine, "acme", InsightFilter(date_from=days_ago(30)))
    assert (report.status, report.net_sentiment, report.sentences) == ("healthy", 100.0, 1)


@pytest.mark.parametrize(
    ("negative", "neutral", "positive", "expected"),
    [
        (0, 1, 4, "healthy"),  # net +80
        (4, 0, 6, "at_risk"),  # net +20 but negative share 0.40
        (3, 6, 1, "at_risk"),  # net −20
        (1, 8, 1, "mixed"),  # net 0
        (0, 4, 1, "healthy"),  # net +20
    ],
)
def test_contact_status_rule(negative: int, neutral: int, positive: int, expected: str) -> None:
    assert contact_status(SentimentDistribution.of(negative, neutral, positive)) == expected


def test_unknown_account_is_a_lookup_error(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), account_id="acme", contact_id="alice")
    with pytest.raises(LookupError, match="initech"):
        account_health(engine, "initech", InsightFilter())
    with pytest.raises(LookupError, match="initech"):
        review_eligibility(engine, "initech", "alice", InsightFilter(), now=NOW)


def test_account_without_scored_feedback_has_no_status(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s(None), account_id="acme", contact_id="alice")
    report = account_health(engine, "acme", InsightFilter())
    assert (report.status, report.net_sentiment, report.contacts) == (None, None, [])


def test_happy_contact_is_eligible_when_no_colleague_is_at_risk(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), s("neutral"), account_id="acme", contact_id="alice", occurred_at=days_ago(80))
    feedback.add(s("neutral"), account_id="acme", contact_id="bob", occurred_at=days_ago(3))
    feedback.add(s("negative"), account_id="globex", contact_id="carol", occurred_at=days_ago(3))
    verdict = review_eligibility(engine, "acme", "alice", InsightFilter(), now=NOW)
    assert (verdict.eligible, verdict.contact_net_sentiment, verdict.contact_comments) == (True, 50.0, 1)
    assert verdict.at_risk_contacts == [] and "'alice'" in verdict.reasons[0]


def test_review_is_refused_when_another_contact_is_at_risk(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), account_id="acme", contact_id="alice", occurred_at=days_ago(10))
    feedback.add(s("negative"), s("positive"), account_id="acme", contact_id="bob", occurred_at=days_ago(29))
    feedback.add(s("neutral"), account_id="acme", contact_id="dave", occurred_at=days_ago(1))
    verdict = review_eligibility(engine, "acme", "alice", InsightFilter(), now=NOW)
    assert (verdict.eligible, verdict.at_risk_contacts) == (False, ["bob"])
    assert any("'bob'" in reason and "at risk" in reason for reason in verdict.reasons)


def test_colleague_at_risk_before_the_risk_window_does_not_block(engine: Engine, feedback: Feedback) -> None:
    feedback.add(s("positive"), account_id="acme", contact_id="alice", occurred_at=days_ago(10))
    feedback.add(s("negative"), account_id="acme", contact_id="bob", occurred_at=days_ago(31))
    verdict = review_eligibility(engine, "acme", "alice", InsightFilter(), now=NOW)
    assert (verdict.eligible, verdict.at_risk_contacts) == (True, [])


@pytest.mark.parametrize(
    ("sentiments", "days", "net"),
    [
        (("positive",), 91, None),  # good, but too long ago
        (("positive", "negative"), 5, 0.0),  # recent but not good enough
        (("negative",), 5, -100.0),
    ],
)
def test_review_is_refused_without_a_good_recent_experience(
    engine: Engine, feedback: Feedback, sentiments: tuple[str, ...], days: int, net: float | None
) -> None:
    feedback.add(*[s(label) for label in sentiments], account_id="acme", contact_id="alice", occurred_at=days_ago(days))
    verdict = review_eligibility(engine, "acme", "alice", InsightFilter(), now=NOW)
    assert (verdict.eligible, verdict.contact_net_sentiment, verdict.at_risk_contacts) == (False, net, [])
    assert "'alice'" in verdict.reasons[0]
