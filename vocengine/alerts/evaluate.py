"""Evaluating rules into `Firing`s: the rules of a scored batch, and the spike rules.

`evaluate_batch` runs in the transaction that stores a batch's analysis (`queue.complete`), so the alerts of
a batch commit with it or not at all; it reads only the batch's rows and, for the accounts it touched, their
contacts' recent sentences. `evaluate_spikes` reads `window_weeks + 1` weeks of sentences, one grouped query
per rule.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, distinct, func, select

from vocengine.alerts.rules import (
    BATCH_KINDS,
    CONTACT_AT_RISK,
    RESPONSE_MATCH,
    SPIKE,
    ContactAtRiskCondition,
    ResponseMatchCondition,
    SpikeCondition,
    parse_condition,
)
from vocengine.insights import measures
from vocengine.insights.accounts import SEVERITY, Status, contact_status
from vocengine.journey.maps import JourneyMap
from vocengine.model.labels import EMOTION_LABELS
from vocengine.store.analysis_rows import emotion_bit
from vocengine.store.outbox import Firing
from vocengine.store.tables import AlertRule, CommentResult, Response, emotion_column, sentence_result

RULE = AlertRule.__table__  # type: ignore[attr-defined]
RESPONSE = Response.__table__  # type: ignore[attr-defined]
COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
sr = sentence_result.c
EXAMPLES = 3
# The smallest standard deviation a baseline is given: a touchpoint whose share never moved would otherwise
# fire on any change at all. 5 points of share; for counts, Poisson's √mean.
SHARE_SD_FLOOR = 0.05


@dataclass(frozen=True)
class Rule:
    id: int
    version: int
    name: str
    condition: Any


def enabled_rules(connection: Connection, kinds: Iterable[str]) -> list[Rule]:
    rows = connection.execute(
        select(RULE.c.id, RULE.c.version, RULE.c.name, RULE.c.condition)
        .where(RULE.c.enabled.is_(True), RULE.c.kind.in_(list(kinds)))
        .order_by(RULE.c.id)
    ).all()
    return [Rule(r.id, r.version, r.name, parse_condition(r.condition)) for r in rows]


def _owner(journey: JourneyMap | None, stage: str | None, touchpoint: str | None) -> str | None:
    if journey is None:
        return None
    if touchpoint:
        owner = journey.owner_of(touchpoint)
        if owner:
            return owner
    for s in journey.stages:
        if s.id == stage:
            return s.owner
    return None


# -- after a scored batch ------------------------------------------------------------------------------


def evaluate_batch(
    connection: Connection, response_ids: Sequence[int], journey: JourneyMap | None, now: datetime | None = None
) -> list[Firing]:
    """The contact-at-risk and response-match alerts that the analysis of `response_ids`, written in this
    transaction, fires."""
    if not response_ids:
        return []
    rules = enabled_rules(connection, BATCH_KINDS)
    if not rules:
        return []
    now = now or datetime.now(UTC)
    responses = connection.execute(
        select(
            RESPONSE.c.id, RESPONSE.c.source, RESPONSE.c.persona, RESPONSE.c.segments, RESPONSE.c.score,
            RESPONSE.c.score_type, RESPONSE.c.account_id, RESPONSE.c.contact_id, COMMENT.c.sentiment,
            COMMENT.c.p_negative,
        )
        .join(COMMENT, COMMENT.c.response_id == RESPONSE.c.id)
        .where(RESPONSE.c.id.in_(response_ids))
        .order_by(RESPONSE.c.id)
    ).all()  # fmt: skip
    columns = [sr.response_id, sr.idx, sr.text, sr.sentiment, sr.p_negative, sr.stage, sr.touchpoint, sr.emotion_mask]
    columns += [sr[emotion_column(label)] for label in EMOTION_LABELS]
    sentences: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(
        select(*columns).where(sr.response_id.in_(response_ids)).order_by(sr.response_id, sr.idx)
    ):
        sentences[row.response_id].append(row)
    firings: list[Firing] = []
    for rule in rules:
        if isinstance(rule.condition, ResponseMatchCondition):
            firings += _response_matches(rule, rule.condition, responses, sentences, journey)
        elif isinstance(rule.condition, ContactAtRiskCondition):
            firings += _contacts_at_risk(connection, rule, rule.condition, responses, sentences, now)
    return firings


def _sentence_has(row: Any, condition: ResponseMatchCondition) -> bool:
    if condition.touchpoints is not None and row.touchpoint not in condition.touchpoints:
        return False
    if condition.stages is not None and row.stage not in condition.stages:
        return False
    if not condition.emotions:
        return True
    for label in condition.emotions:
        if condition.min_emotion is not None:
            value = row._mapping[emotion_column(label)]
            if value is not None and value >= condition.min_emotion:
                return True
        elif row.emotion_mask & emotion_bit(EMOTION_LABELS.index(label)):
            return True
    return False


def _response_matches(
    rule: Rule, c: ResponseMatchCondition, responses: Sequence[Any], sentences: dict[int, list[Any]],
    journey: JourneyMap | None,
) -> list[Firing]:  # fmt: skip
    fired = []
    for r in responses:
        if c.sentiment is not None and r.sentiment != c.sentiment:
            continue
        if c.personas is not None and r.persona not in c.personas:
            continue
        if c.sources is not None and r.source not in c.sources:
            continue
        if c.segment and any(str((r.segments or {}).get(k)) != v for k, v in c.segment.items()):
            continue
        if c.score_type is not None and r.score_type != c.score_type:
            continue
        if (c.score_min is not None or c.score_max is not None) and r.score is None:
            continue
        if c.score_min is not None and r.score < c.score_min:
            continue
        if c.score_max is not None and r.score > c.score_max:
            continue
        matching = sentences.get(r.id, [])
        if c.emotions or c.touchpoints is not None or c.stages is not None:
            matching = [s for s in matching if _sentence_has(s, c)]
            if not matching:
                continue
        first = matching[0] if matching else None
        emotions = sorted(
            {
                label
                for s in matching
                for label in EMOTION_LABELS
                if s.emotion_mask & emotion_bit(EMOTION_LABELS.index(label))
            }
        )
        figures = {
            "response_id": r.id, "sentiment": r.sentiment, "p_negative": _round(r.p_negative), "score": r.score,
            "score_type": r.score_type, "persona": r.persona, "account_id": r.account_id, "contact_id": r.contact_id,
        }  # fmt: skip
        fired.append(
            Firing(
                rule_id=rule.id,
                rule_version=rule.version,
                kind=RESPONSE_MATCH,
                subject=f"response:{r.id}",
                period="",
                title=f"{rule.name}: response {r.id} matched",
                evidence={
                    "figures": figures,
                    "examples": [s.text for s in matching[:EXAMPLES]],
                    "sentences": [
                        {
                            "index": s.idx,
                            "text": s.text,
                            "sentiment": s.sentiment,
                            "stage": s.stage,
                            "touchpoint": s.touchpoint,
                        }
                        for s in matching[:EXAMPLES]
                    ],
                    "emotions": emotions,
                },
                owner=_owner(journey, first.stage, first.touchpoint) if first is not None else None,
            )  # fmt: skip
        )
    return fired


def _worst(
    connection: Connection, account_id: str, since: datetime, without: Sequence[int]
) -> tuple[Status | None, dict[str, Any]]:
    """The account's worst contact status over sentences since `since` (leaving out responses `without`)."""
    query = (
        select(sr.contact_id, measures.sentence_count(), *measures.sentiment_counts())
        .where(sr.account_id == account_id, sr.occurred_at >= since, sr.sentiment.is_not(None))
        .group_by(sr.contact_id)
    )
    if without:
        query = query.where(sr.response_id.not_in(without))
    worst: tuple[tuple[int, float, float], Status, dict[str, Any]] | None = None
    for row in connection.execute(query).mappings():
        distribution = measures.distribution(row)
        if distribution.total == 0:
            continue
        status = contact_status(distribution)
        net = distribution.net() or 0.0
        key = (SEVERITY[status], net, -distribution.negative_share)
        if worst is None or key < worst[0]:
            figures = {
                "worst_contact_id": row["contact_id"], "net_sentiment": net,
                "negative_share": distribution.negative_share, "sentences": distribution.total,
            }  # fmt: skip
            worst = (key, status, figures)
    return (None, {}) if worst is None else (worst[1], worst[2])


def _contacts_at_risk(
    connection: Connection, rule: Rule, c: ContactAtRiskCondition, responses: Sequence[Any],
    sentences: dict[int, list[Any]], now: datetime,
) -> list[Firing]:  # fmt: skip
    by_account: dict[str, list[int]] = defaultdict(list)
    for r in responses:
        if r.account_id is not None and (c.account_ids is None or r.account_id in c.account_ids):
            by_account[r.account_id].append(r.id)
    since = now - timedelta(days=c.window_days)
    fired = []
    for account_id, ids in sorted(by_account.items()):
        after, figures = _worst(connection, account_id, since, ())
        if after != "at_risk":
            continue
        before, _ = _worst(connection, account_id, since, ids)
        if before == "at_risk":
            continue
        negative = sorted(
            (s for i in ids for s in sentences.get(i, []) if s.sentiment == "negative"),
            key=lambda s: -(s.p_negative or 0.0),
        )
        fired.append(
            Firing(
                rule_id=rule.id,
                rule_version=rule.version,
                kind=CONTACT_AT_RISK,
                subject=f"account:{account_id}",
                period=now.date().isoformat(),
                title=f"{rule.name}: account {account_id} is at risk (contact {figures['worst_contact_id']})",
                evidence={
                    "figures": {
                        **figures,
                        "account_id": account_id,
                        "previous_status": before,
                        "window_days": c.window_days,
                    },
                    "examples": [s.text for s in negative[:EXAMPLES]],
                    "response_ids": ids,
                },
            )  # fmt: skip
        )
    return fired


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


# -- spikes, on a schedule -----------------------------------------------------------------------------


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of `moment`'s ISO week."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC) - timedelta(days=moment.weekday())


def evaluate_spikes(connection: Connection, journey: JourneyMap | None, now: datetime | None = None) -> list[Firing]:
    now = now or datetime.now(UTC)
    firings: list[Firing] = []
    for rule in enabled_rules(connection, [SPIKE]):
        assert isinstance(rule.condition, SpikeCondition)
        firings += _spikes(connection, rule, rule.condition, journey, now)
    return firings


def _spikes(
    connection: Connection, rule: Rule, c: SpikeCondition, journey: JourneyMap | None, now: datetime
) -> list[Firing]:
    this_week = week_start(now)
    starts = [this_week - timedelta(weeks=k) for k in range(c.window_weeks + 1)]
    week = case(*((sr.occurred_at >= start, k) for k, start in enumerate(starts)), else_=-1).label("week")
    level = sr.touchpoint if c.level == "touchpoint" else sr.stage
    query = (
        select(
            level.label("subject"), week, func.count(distinct(sr.response_id)).label("comments"),
            func.count(sr.sentiment).label("scored"), func.count(case((sr.sentiment == "negative", 1))).label("negative"),
        )
        .where(sr.occurred_at >= starts[-1], sr.occurred_at < this_week + timedelta(weeks=1), level.is_not(None))
        .group_by(level, week)
    )  # fmt: skip
    if c.target is not None:
        query = query.where(level == c.target)
    table: dict[str, dict[int, Any]] = defaultdict(dict)
    for row in connection.execute(query):
        table[row.subject][int(row.week)] = row
    period = "{}-W{:02d}".format(*this_week.isocalendar()[:2])
    fired = []
    for subject, weeks in sorted(table.items()):
        current = weeks.get(0)
        if current is None or current.comments < c.min_volume:
            continue
        if c.measure == "volume":
            value = float(current.comments)
            baseline = [float(weeks[k].comments) if k in weeks else 0.0 for k in range(1, c.window_weeks + 1)]
            with_data = sum(1 for k in range(1, c.window_weeks + 1) if k in weeks)
        else:
            if current.scored == 0:
                continue
            value = current.negative / current.scored
            baseline = [
                weeks[k].negative / weeks[k].scored
                for k in range(1, c.window_weeks + 1)
                if k in weeks and weeks[k].scored
            ]
            with_data = len(baseline)
        if with_data < c.min_baseline_weeks:
            continue
        mean = statistics.fmean(baseline)
        sd = statistics.stdev(baseline) if len(baseline) > 1 else 0.0
        floor = SHARE_SD_FLOOR if c.measure == "negative_share" else math.sqrt(max(mean, 1.0))
        z = (value - mean) / max(sd, floor)
        if not (z >= c.z if c.direction == "up" else z <= -c.z if c.direction == "down" else abs(z) >= c.z):
            continue
        examples = connection.execute(
            select(sr.text)
            .where(level == subject, sr.occurred_at >= this_week, sr.occurred_at < this_week + timedelta(weeks=1),
                   sr.sentiment == "negative")
            .order_by(sr.p_negative.desc(), sr.id)
            .limit(EXAMPLES)
        ).scalars().all()  # fmt: skip
        stage = subject if c.level == "stage" else None
        touchpoint = subject if c.level == "touchpoint" else None
        figures = {
            "measure": c.measure, "value": round(value, 4), "baseline_mean": round(mean, 4), "baseline_sd": round(sd, 4),
            "z": round(z, 2), "comments": int(current.comments), "negative_sentences": int(current.negative),
            "scored_sentences": int(current.scored), "baseline_weeks": with_data, "window_weeks": c.window_weeks,
            "week_start": this_week.date().isoformat(),
        }  # fmt: skip
        fired.append(
            Firing(
                rule_id=rule.id,
                rule_version=rule.version,
                kind=SPIKE,
                subject=f"{c.level}:{subject}",
                period=period,
                title=f"{rule.name}: {c.measure.replace('_', ' ')} at {c.level} {subject} is {z:+.1f} SD from its "
                f"last {c.window_weeks} weeks",
                evidence={"figures": figures, "examples": list(examples)},
                owner=_owner(journey, stage, touchpoint),
            )  # fmt: skip
        )
    return fired
