"""Themes and gaps from stored embeddings, with known answers: planted directions are found, pure noise gives
no theme, a planted unassigned cluster becomes a proposal that a new map version can take."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.vocengine.insights.builders import DEFAULT_TIME, JOURNEY, Feedback, s
from vocengine.insights.filters import InsightFilter
from vocengine.insights.themes import class_tfidf, cluster, gaps_report, themes_report, with_proposal
from vocengine.journey.assign import TouchpointAssigner

DIM = 64
WORDS = {
    0: "The invoice amount was wrong again",
    1: "The refund took weeks to arrive",
    2: "Password reset emails never come",
}


def planted(rng: np.random.Generator, direction: np.ndarray, count: int, spread: float = 0.1) -> np.ndarray:
    return direction + spread * rng.normal(size=(count, len(direction)))


def directions(rng: np.random.Generator, k: int) -> np.ndarray:
    d = rng.normal(size=(k, DIM))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


@pytest.mark.parametrize("dim", [32, 384])
def test_cluster_finds_each_planted_direction(dim):
    rng = np.random.default_rng(1)
    d = rng.normal(size=(3, dim))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    x = np.vstack([planted(rng, d[i], 40, spread=0.6 / np.sqrt(dim)) for i in range(3)] + [rng.normal(size=(60, dim))])
    labels = cluster(x, min_size=10)
    assert set(labels.tolist()) - {-1} == {0, 1, 2}
    for k in range(3):
        group = np.flatnonzero(labels == k) // 40  # the planted group of each row (3: a noise row)
        planted_group = np.bincount(group).argmax()
        assert planted_group < 3 and (group == planted_group).sum() >= 38  # nearly all of its group ...
        assert (group == 3).sum() <= 2  # ... and hardly any noise
    assert (labels[120:] == -1).mean() > 0.9


@pytest.mark.parametrize(("dim", "n"), [(32, 3000), (384, 3000), (32, 200)])
def test_cluster_finds_nothing_in_pure_noise(dim, n):
    x = np.random.default_rng(2).normal(size=(n, dim))
    assert (cluster(x, min_size=10) == -1).all()


def test_cluster_leaves_too_few_rows_unclustered():
    x = np.repeat(np.eye(4), 3, axis=0)
    assert (cluster(x, min_size=10) == -1).all()


def test_class_tfidf_ranks_each_class_words_above_shared_ones():
    words = class_tfidf(["invoice wrong invoice customer", "refund slow refund customer", "customer [EMAIL] hello"])
    assert words[0][0] == "invoice" and words[1][0] == "refund"
    assert "email" not in words[2]  # redaction placeholders are not words
    assert class_tfidf(["the and", "of it"]) == [[], []]


def _store_planted(feedback: Feedback, rng: np.random.Generator, *, at: str | None, themes: int, per: int = 20):
    d = directions(rng, themes)
    for k in range(themes):
        for i, vector in enumerate(planted(rng, d[k], per)):
            when = DEFAULT_TIME + timedelta(days=i if k == 0 else 3 * i)  # theme 0 in the earlier weeks
            feedback.add(s("negative", at=at, text=WORDS[k], embedding=vector.tolist()), occurred_at=when)
    return d


def _store_noise(feedback: Feedback, rng: np.random.Generator, count: int, at: str | None = "billing") -> None:
    for i, vector in enumerate(rng.normal(size=(count, DIM))):
        feedback.add(s("negative", at=at, text=f"Something else number {i}", embedding=vector.tolist()),
                     occurred_at=DEFAULT_TIME + timedelta(days=i % 40))  # fmt: skip


def test_themes_of_a_touchpoint_find_the_planted_pain_points(engine, feedback):
    rng = np.random.default_rng(3)
    _store_planted(feedback, rng, at="billing", themes=2)
    _store_noise(feedback, rng, 30)
    _store_planted(feedback, rng, at="setup", themes=1)  # another touchpoint: not selected
    feedback.add(s("positive", at="billing", text="The invoice was fine", embedding=rng.normal(size=DIM).tolist()))
    with engine.connect() as connection:
        report = themes_report(connection, InsightFilter(touchpoint="billing"), "negative", 1, min_volume=30,
                               min_theme_size=10)  # fmt: skip
    assert report.n == 70 and report.clustered
    assert [t.n for t in report.themes] == [20, 20]
    labels = {t.examples[0].text for t in report.themes}
    assert labels == {WORDS[0], WORDS[1]}
    invoice = next(t for t in report.themes if t.examples[0].text == WORDS[0])
    assert invoice.words[:3] == ["invoice", "amount", "wrong"] or set(invoice.words[:3]) <= {
        "invoice",
        "amount",
        "wrong",
        "again",
    }
    assert invoice.net_sentiment == -100.0 and invoice.sentiment["negative"] == 20 and invoice.comments == 20
    assert invoice.trend.earlier.n > invoice.trend.later.n  # theme 0 was planted in the earlier weeks
    assert sum(w.n for w in invoice.trend.weekly) == 20
    assert report.unthemed == 30


def test_themes_of_pure_noise_are_none(engine, feedback):
    _store_noise(feedback, np.random.default_rng(4), 200)
    with engine.connect() as connection:
        report = themes_report(connection, InsightFilter(), "all", 1, min_volume=30, min_theme_size=10)
    assert report.n == 200 and report.clustered and report.themes == [] and report.unthemed == 200


def test_themes_under_the_minimum_volume_claim_nothing(engine, feedback):
    _store_planted(feedback, np.random.default_rng(5), at="billing", themes=1)
    with engine.connect() as connection:
        report = themes_report(connection, InsightFilter(), "negative", 1, min_volume=30, min_theme_size=10)
    assert report.n == 20 and not report.clustered and report.themes == []


def test_gaps_propose_the_planted_unassigned_cluster_in_its_likely_stage(engine, feedback):
    rng = np.random.default_rng(6)
    prototypes = directions(rng, len(JOURNEY.touchpoints()))
    assigner = TouchpointAssigner(JOURNEY, prototypes, list(range(len(prototypes))), threshold=0.3)
    near_contract = prototypes[4] + 0.9 * directions(rng, 1)[0]  # closest to contract, a renewal touchpoint
    for vector in planted(rng, near_contract / np.linalg.norm(near_contract), 25):
        feedback.add(s("negative", text="Cancelling the subscription is impossible", embedding=vector.tolist()),
                     source="ticket")  # fmt: skip
    _store_noise(feedback, rng, 20, at=None)
    _store_noise(feedback, rng, 15, at="setup")
    with engine.connect() as connection:
        report = gaps_report(connection, InsightFilter(), JOURNEY, assigner, 1, min_volume=30, min_theme_size=10)
    assert report.coverage.n == 60 and report.coverage.assigned == 15 and report.coverage.share == 0.25
    assert {r.key: (r.n, r.assigned) for r in report.coverage.by_source} == {"ticket": (25, 0), "survey": (35, 15)}
    assert report.unassigned == 45
    [proposal] = report.proposals
    assert proposal.n == 25 and proposal.stage == "renewal" and proposal.nearest_touchpoint == "contract"
    assert set(proposal.words) == {"cancelling", "subscription", "impossible"}
    assert proposal.id == "_".join(proposal.words[:2])  # equal weights: in alphabetical order
    assert proposal.examples[0].text == "Cancelling the subscription is impossible"
    journey = with_proposal(JOURNEY, proposal)
    renewal = next(stage for stage in journey.stages if stage.id == "renewal")
    assert [tp.id for tp in renewal.touchpoints] == ["contract", proposal.id]


def test_a_touchpoint_that_is_all_one_complaint_is_one_theme(engine, feedback):
    rng = np.random.default_rng(7)
    _store_planted(feedback, rng, at="billing", themes=1, per=30)
    _store_noise(feedback, rng, 60, at="setup")  # the rest of the corpus: what a theme must be tighter than
    with engine.connect() as connection:
        report = themes_report(connection, InsightFilter(touchpoint="billing"), "negative", 1, min_volume=30,
                               min_theme_size=10)  # fmt: skip
    assert [t.n for t in report.themes] == [30] and report.themes[0].words[0] in {"invoice", "amount", "wrong"}
