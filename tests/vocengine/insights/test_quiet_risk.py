from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tests.vocengine.insights.builders import JOURNEY, PLANNED, Feedback, s
from tests.vocengine.insights.test_frame import same_report
from vocengine.insights.accounts import Standing, account_health, accounts_standing, accounts_standing_sql
from vocengine.insights.filters import InsightFilter
from vocengine.insights.frame import FrameCache

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=10)


def say(feedback: Feedback, account: str, contact: str, *sentences: tuple[str, str], days_ago: int = 10) -> None:
    for sentiment, at in sentences:
        feedback.add(s(sentiment, at=at), account_id=account, contact_id=contact,
                     occurred_at=NOW - timedelta(days=days_ago))  # fmt: skip


def test_planted_quiet_accounts_are_listed_beside_negative_ones(engine: Engine, feedback: Feedback) -> None:
    # PLANNED wants onboarding (setup, training) positive.
    say(feedback, "calm", "c1", *[("neutral", "setup")] * 4, *[("neutral", "training")] * 3)
    say(feedback, "calm", "c2", ("positive", "tickets"))
    say(feedback, "angry", "a1", *[("negative", "setup")] * 4, ("neutral", "setup"))
    say(feedback, "happy", "h1", *[("positive", "setup")] * 6)
    say(feedback, "flat_elsewhere", "f1", *[("neutral", "tickets")] * 8)  # no positive target in support
    say(feedback, "few", "w1", *[("neutral", "setup")] * 3)  # too few to call
    say(feedback, "old", "o1", *[("neutral", "setup")] * 8, days_ago=200)  # before the window
    report = accounts_standing(engine, PLANNED, InsightFilter(), now=NOW)
    status = {a.account_id: a.status for a in report.accounts}
    assert status == {"angry": "at_risk", "calm": "quiet_risk", "flat_elsewhere": "mixed", "few": "mixed",
                      "happy": "healthy"}  # fmt: skip
    assert [a.account_id for a in report.accounts][:2] == ["angry", "calm"]
    calm = next(a for a in report.accounts if a.account_id == "calm")
    quiet = calm.contacts[0]
    assert (calm.quiet_risk_contacts, quiet.contact_id, quiet.status, quiet.sentences) == (1, "c1", "quiet_risk", 7)
    share = quiet.neutral_share_where_positive_expected
    assert (share.value, share.n) == (1.0, 7) and share.ci_low is not None and share.ci_low > 0.5
    assert report.positive_target == ["onboarding", "setup"]
    only_quiet = accounts_standing(engine, PLANNED, InsightFilter(), status="quiet_risk", now=NOW)
    assert [a.account_id for a in only_quiet.accounts] == ["calm"]


def test_account_view_shows_its_quiet_risk(engine: Engine, feedback: Feedback) -> None:
    say(feedback, "calm", "c1", *[("neutral", "setup")] * 4, *[("neutral", "training")] * 3)
    say(feedback, "calm", "c2", ("positive", "tickets"))
    say(feedback, "calm", "c3", ("negative", "setup"), days_ago=200)  # before the window: not in the standing
    report = account_health(engine, "calm", InsightFilter(), PLANNED, now=NOW)
    assert report.standing is not None
    assert (report.standing.status, report.standing.quiet_risk_contacts) == ("quiet_risk", 1)
    assert [c.contact_id for c in report.standing.contacts] == ["c1", "c2"]
    assert report.status == "at_risk" and account_health(engine, "calm", InsightFilter()).standing is None


def test_noise_yields_no_quiet_risk(engine: Engine, feedback: Feedback) -> None:
    rng = random.Random(4)
    for i in range(40):
        sentences = [(rng.choice(["negative", "neutral", "positive"]), rng.choice(["setup", "training", "tickets"]))
                     for _ in range(12)]  # fmt: skip
        say(feedback, f"acct{i}", "x", *sentences)
    report = accounts_standing(engine, PLANNED, InsightFilter(), now=NOW)
    assert len(report.accounts) == 40 and all(a.quiet_risk_contacts == 0 for a in report.accounts)


def test_a_map_without_targets_calls_no_one_quiet(engine: Engine, feedback: Feedback) -> None:
    say(feedback, "calm", "c1", *[("neutral", "setup")] * 8)
    report = accounts_standing(engine, JOURNEY, InsightFilter(), now=NOW)
    assert report.positive_target == [] and report.accounts[0].status == "mixed"


def test_frame_answers_as_sql(engine: Engine, feedback: Feedback) -> None:
    rng = random.Random(9)
    places = [{"at": "setup"}, {"at": "training"}, {"at": "tickets"}, {"stage": "onboarding"}, {}]
    for _ in range(80):
        account = rng.choice([None, "acme", "globex", "initech", "umbrella"])
        sentences = [s(rng.choice(["neutral", "neutral", "negative", "positive", None]), **rng.choice(places))
                     for _ in range(rng.randint(1, 6))]  # fmt: skip
        feedback.add(*sentences, account_id=account, contact_id=rng.choice([None, "c1", "c2", "c3"]),
                     occurred_at=NOW - timedelta(days=rng.randint(0, 150), microseconds=rng.choice([0, 999_999])),
                     persona=rng.choice(["admin", "user"]), segments={"plan": rng.choice(["pro", "free"])})  # fmt: skip
    cache = FrameCache()
    for f in (InsightFilter(), InsightFilter(persona="admin"), InsightFilter(segment={"plan": "pro"}),
              InsightFilter(date_from=NOW - timedelta(days=120), date_to=NOW - timedelta(days=5)),
              InsightFilter(account_id="acme"), InsightFilter(persona="nobody")):  # fmt: skip
        statuses: tuple[Standing | None, ...] = (None, "quiet_risk", "at_risk", "mixed", "healthy")
        for status in statuses:
            for journey in (PLANNED, JOURNEY):
                same_report(
                    accounts_standing(engine, journey, f, status=status, now=NOW, cache=cache),
                    accounts_standing_sql(engine, journey, f, status=status, now=NOW),
                )
