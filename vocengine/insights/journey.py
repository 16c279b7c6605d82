"""The journey curve: every stage and touchpoint of a map, in journey order, with how it felt there.

A defining moment says what a stage or touchpoint is for the customer, by this rule, checked in order:
  - null      fewer than MIN_SENTENCES scored sentences: too few to call;
  - negative  negative share ≥ NEGATIVE_SHARE or net sentiment ≤ NEGATIVE_NET: a pain point, even when
              praise elsewhere in it would average the pain away;
  - positive  net sentiment ≥ POSITIVE_NET: a moment of delight;
  - neutral   neutral share ≥ NEUTRAL_SHARE: a flat moment, dangerous because nothing there wins loyalty;
  - mixed     anything else.

Computed from the in-memory sentence frame (`frame.py`); a segment condition is first resolved to
response ids in SQL (segments live in JSON on the response, not in the frame). `journey_curve_sql` answers
wholly in SQL: the reference the frame is tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments
from vocengine.insights.frame import FrameCache, SentenceFrame, frame_of, sentiment_fields
from vocengine.insights.measures import EmotionScore, Record, SentimentDistribution
from vocengine.journey.maps import JourneyMap, Stage, Target, Touchpoint
from vocengine.model.labels import EMOTION_LABELS, SENTIMENT_LABELS
from vocengine.store.tables import emotion_column, sentence_result

MIN_SENTENCES = 5
NEGATIVE_SHARE = 0.35
NEGATIVE_NET = -20.0
POSITIVE_NET = 30.0
NEUTRAL_SHARE = 0.6

Moment = Literal["positive", "negative", "neutral", "mixed"]
sr = sentence_result.c


def defining_moment(sentiment: SentimentDistribution) -> Moment | None:
    total = sentiment.total
    if total < MIN_SENTENCES:
        return None
    # Exact ratios, not the rounded shares of the report, so a threshold is never crossed by rounding.
    net = 100.0 * (sentiment.positive - sentiment.negative) / total
    if sentiment.negative / total >= NEGATIVE_SHARE or net <= NEGATIVE_NET:
        return "negative"
    if net >= POSITIVE_NET:
        return "positive"
    if sentiment.neutral / total >= NEUTRAL_SHARE:
        return "neutral"
    return "mixed"


class TargetGap(BaseModel):
    net_gap: float | None = Field(
        description="net_sentiment − target min_net_sentiment (negative: short of it); null without either."
    )
    meets_net: bool | None = Field(description=f"net_gap ≥ 0; null without it or under {MIN_SENTENCES} sentences.")
    moment_meets: bool | None = Field(
        description="Whether the defining moment meets the target moment (positive: positive; neutral: neutral or "
        "positive; mixed: anything but negative); null without a target moment or a defining moment."
    )
    meets: bool | None = Field(description="Every part that can be judged holds; null when none can be.")
    sentences: int = Field(description="The sentences the gap is measured on.")


class JourneyPoint(BaseModel):
    id: str = Field(description="The stage or touchpoint id in the journey map.")
    name: str = Field(description="Its display name.")
    sentences: int = Field(description="Scored sentences assigned here.")
    comments: int = Field(description="Comments with at least one scored sentence here.")
    sentiment: SentimentDistribution = Field(description="Sentiment of the sentences here.")
    net_sentiment: float | None = Field(description="% positive − % negative sentences (−100..100); null with none.")
    top_emotions: list[EmotionScore] = Field(description="Up to 3 strongest emotions by mean probability, not neutral.")
    defining_moment: Moment | None = Field(
        description=f"negative, positive, neutral (flat) or mixed; null under {MIN_SENTENCES} sentences."
    )

    # Set only when the map gives some stage or touchpoint an owner or a target, so that the report of a map
    # without them is unchanged (the API leaves unset fields out).
    owner: str | None = Field(None, description="The team that delivers it (a touchpoint without one: its stage's).")
    target: Target | None = Field(None, description="The ideal it is held against, from the journey map.")
    target_gap: TargetGap | None = Field(None, description="How far it is from its target; null without one.")


class OwnerGap(BaseModel):
    owner: str | None = Field(description="The owning team; null for touchpoints with none.")
    touchpoints: int = Field(description="Its touchpoints in the map.")
    with_target: int = Field(description="Of those, the ones with a target.")
    judged: int = Field(description=f"Targeted touchpoints with at least {MIN_SENTENCES} sentences to judge.")
    missed: int = Field(description="Judged touchpoints that miss their target.")
    missed_touchpoints: list[str] = Field(description="Their ids, the furthest below first.")
    net_shortfall: float = Field(description="Sum of the judged touchpoints' negative net gaps (0 when none short).")
    sentences: int = Field(description="Sentences at its touchpoints.")


class TouchpointInsight(JourneyPoint):
    pass


class StageInsight(JourneyPoint):
    touchpoints: list[TouchpointInsight] = Field(description="The stage's touchpoints in map order, all of them.")


Point = TypeVar("Point", bound=JourneyPoint)


class CurvePoint(BaseModel):
    stage: str = Field(description="Stage id.")
    net_sentiment: float | None = Field(description="The stage's net sentiment; null when it has no sentences.")


class JourneyReport(BaseModel):
    journey: str = Field(description="The journey map's name.")
    stages: list[StageInsight] = Field(description="Every stage of the map in journey order, even with no volume.")
    curve: list[CurvePoint] = Field(description="Net sentiment per stage in journey order: the emotional curve.")
    unassigned_sentences: int = Field(description="Scored sentences that match no stage of the journey.")
    owners: list[OwnerGap] | None = Field(
        None, description="Per owner, its touchpoints that miss their targets, the most missed first (maps with plans)."
    )


def journey_curve(
    conn: Connection | Engine, journey: JourneyMap, f: InsightFilter, *, cache: FrameCache | None = None
) -> JourneyReport:
    f = resolve_segments(conn, f)
    groups, stage_comments = _frame_rows(frame_of(conn, cache), f)
    return _report(journey, groups, stage_comments)


def journey_curve_sql(conn: Connection | Engine, journey: JourneyMap, f: InsightFilter) -> JourneyReport:
    """The same report aggregated in SQL: any filter, segments included, with no frame in memory."""
    with reading(conn) as connection:
        groups = connection.execute(_touchpoint_measures(f)).mappings().all()
        # Comments are counted distinct per stage too: one comment often touches two touchpoints of a
        # stage, so a stage's count cannot be summed from its touchpoints' as the other measures are.
        stage_comments = {
            row["stage"]: int(row["comments"]) for row in connection.execute(_stage_comments(f)).mappings()
        }
    return _report(journey, groups, stage_comments)


def _frame_rows(frame: SentenceFrame, f: InsightFilter) -> tuple[list[dict[str, Any]], dict[str | None, int]]:
    """The rows of `_touchpoint_measures` and the counts of `_stage_comments`, computed from the frame."""
    rows = frame.select(f)
    stage, touchpoint = frame.column("stage").vocabulary, frame.column("touchpoint").vocabulary
    groups = frame.group(rows, [frame.codes("stage", rows), frame.codes("touchpoint", rows)])
    emotion_names = [emotion_column(label) for label in EMOTION_LABELS]
    touchpoint_rows = [
        {"stage": stage[s], "touchpoint": touchpoint[t], "sentences": n, "comments": c}
        | sentiment
        | dict(zip(emotion_names, sums, strict=True))
        | {"with_emotions": scored}
        for s, t, n, c, sentiment, sums, scored in zip(
            groups.keys[0].tolist(),
            groups.keys[1].tolist(),
            groups.sentences().tolist(),
            groups.comments().tolist(),
            sentiment_fields(groups.sentiment_counts()),
            groups.sums(frame.emotions_t).T.tolist(),
            groups.count(frame.emotions_scored).tolist(),
            strict=True,
        )
    ]
    stages = frame.group(rows, [frame.codes("stage", rows)])
    stage_comments = {
        stage[code]: n for code, n in zip(stages.keys[0].tolist(), stages.comments().tolist(), strict=True)
    }
    return touchpoint_rows, stage_comments


def _report(journey: JourneyMap, groups: Sequence[Record], stage_comments: dict[str | None, int]) -> JourneyReport:
    by_touchpoint: dict[tuple[str | None, str | None], _Totals] = {}
    by_stage: dict[str | None, _Totals] = defaultdict(_Totals)
    for row in groups:
        by_touchpoint[(row["stage"], row["touchpoint"])] = _Totals.of(row)
        by_stage[row["stage"]].add(row)
    for stage_id, comments in stage_comments.items():
        by_stage[stage_id].comments = comments
    stages = [
        _point(
            StageInsight,
            stage.id,
            stage.name,
            by_stage.get(stage.id),
            touchpoints=[
                _point(TouchpointInsight, tp.id, tp.name, by_touchpoint.get((stage.id, tp.id)))
                for tp in stage.touchpoints
            ],
        )
        for stage in journey.stages
    ]
    known = {stage.id for stage in journey.stages}
    report = JourneyReport(
        journey=journey.name,
        stages=stages,
        curve=[CurvePoint(stage=s.id, net_sentiment=s.net_sentiment) for s in stages],
        unassigned_sentences=sum(t.sentences for stage_id, t in by_stage.items() if stage_id not in known),
    )
    if has_plans(journey):
        _hold_against_targets(journey, report)
    return report


MOMENTS_MEETING: dict[str, frozenset[str]] = {
    "positive": frozenset({"positive"}),
    "neutral": frozenset({"neutral", "positive"}),
    "mixed": frozenset({"mixed", "neutral", "positive"}),
}


def has_plans(journey: JourneyMap) -> bool:
    items: list[Stage | Touchpoint] = [*journey.stages, *(tp for _, tp in journey.touchpoints())]
    return any(item.owner is not None or item.target is not None for item in items)


def target_gap(point: JourneyPoint, target: Target | None) -> TargetGap | None:
    if target is None:
        return None
    enough = point.sentences >= MIN_SENTENCES
    net_gap = None
    if target.min_net_sentiment is not None and point.net_sentiment is not None:
        net_gap = round(point.net_sentiment - target.min_net_sentiment, measures.NET_DIGITS)
    meets_net = net_gap >= 0 if net_gap is not None and enough else None
    moment_meets = None
    if target.moment is not None and point.defining_moment is not None:
        moment_meets = point.defining_moment in MOMENTS_MEETING[target.moment]
    judged = [verdict for verdict in (meets_net, moment_meets) if verdict is not None]
    return TargetGap(
        net_gap=net_gap,
        meets_net=meets_net,
        moment_meets=moment_meets,
        meets=all(judged) if judged else None,
        sentences=point.sentences,
    )


def _hold_against_targets(journey: JourneyMap, report: JourneyReport) -> None:
    """Sets each point's owner, target and gap, and the report's per-owner summary."""
    owners: dict[str | None, list[TouchpointInsight]] = defaultdict(list)
    for stage, insight in zip(journey.stages, report.stages, strict=True):
        insight.owner, insight.target = stage.owner, stage.target
        insight.target_gap = target_gap(insight, stage.target)
        for touchpoint, tp_insight in zip(stage.touchpoints, insight.touchpoints, strict=True):
            tp_insight.owner, tp_insight.target = touchpoint.owner or stage.owner, touchpoint.target
            tp_insight.target_gap = target_gap(tp_insight, touchpoint.target)
            owners[tp_insight.owner].append(tp_insight)
    summaries = []
    for owner, points in owners.items():
        judged = [p for p in points if p.target_gap is not None and p.target_gap.meets is not None]
        missed = [p for p in judged if p.target_gap is not None and p.target_gap.meets is False]
        gaps = {p.id: (p.target_gap.net_gap or 0.0) if p.target_gap else 0.0 for p in judged}
        missed.sort(key=lambda p: gaps[p.id])
        summaries.append(
            OwnerGap(
                owner=owner,
                touchpoints=len(points),
                with_target=sum(p.target is not None for p in points),
                judged=len(judged),
                missed=len(missed),
                missed_touchpoints=[p.id for p in missed],
                net_shortfall=round(sum(min(gap, 0.0) for gap in gaps.values()), measures.NET_DIGITS),
                sentences=sum(p.sentences for p in points),
            )
        )
    summaries.sort(key=lambda o: (-o.missed, o.net_shortfall, o.owner is None, o.owner or ""))
    report.owners = summaries


@dataclass
class _Totals:
    """The additive measures of a set of sentences: a stage's are the sum of its touchpoints' (and of its
    sentences with no touchpoint), so the heavy per-emotion aggregation runs once, per touchpoint."""

    sentences: int = 0
    comments: int = 0
    sentiment_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SENTIMENT_LABELS, 0))
    emotion_sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EMOTION_LABELS, 0.0))
    with_emotions: int = 0

    @classmethod
    def of(cls, row: Record) -> _Totals:
        totals = cls(comments=int(row["comments"]))
        totals.add(row)
        return totals

    def add(self, row: Record) -> None:
        self.sentences += int(row["sentences"])
        for label in SENTIMENT_LABELS:
            self.sentiment_counts[label] += int(row[f"n_{label}"])
        for label in EMOTION_LABELS:
            self.emotion_sums[label] += float(row[emotion_column(label)] or 0.0)
        self.with_emotions += int(row["with_emotions"])

    def sentiment(self) -> SentimentDistribution:
        return SentimentDistribution.of(*(self.sentiment_counts[label] for label in SENTIMENT_LABELS))

    def emotion_means(self) -> dict[str, float]:
        return {label: measures.share(total, self.with_emotions) for label, total in self.emotion_sums.items()}


def _touchpoint_measures(f: InsightFilter) -> AnySelect:
    query = select(
        sr.stage,
        sr.touchpoint,
        measures.sentence_count(),
        measures.comment_count(),
        *measures.sentiment_counts(),
        *measures.emotion_sums(),
        measures.emotion_scored(),
    )
    return apply(query, f).group_by(sr.stage, sr.touchpoint)


def _stage_comments(f: InsightFilter) -> AnySelect:
    return apply(select(sr.stage, measures.comment_count()), f).group_by(sr.stage)


def _point(cls: type[Point], id_: str, name: str, totals: _Totals | None, **extra: Any) -> Point:
    totals = totals or _Totals()
    sentiment = totals.sentiment()
    return cls(
        id=id_,
        name=name,
        sentences=totals.sentences,
        comments=totals.comments,
        sentiment=sentiment,
        net_sentiment=sentiment.net(),
        top_emotions=measures.top_emotions(totals.emotion_means()),
        defining_moment=defining_moment(sentiment),
        **extra,
    )
