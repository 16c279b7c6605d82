"""Moments that matter: the touchpoints where the most customer pain is, with the sentences that show it.

Impact = volume × negative share, i.e. the number of negative sentences at a touchpoint: a touchpoint
that many customers go through and some hate outranks a rare one that all hate. A flat touchpoint
is a risk of its own (nothing there earns loyalty), reported as neutral_risk = volume × neutral share.
Examples are negative sentences only, most negative first: praise is no example of a pain point.
Only the map's touchpoints are ranked; sentences of an older map's touchpoints are left out.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, RowMapping, func, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply
from vocengine.journey.maps import JourneyMap
from vocengine.store.tables import sentence_result

sr = sentence_result.c


class Example(BaseModel):
    response_id: int = Field(description="The comment the sentence comes from.")
    text: str = Field(description="The sentence, redacted as stored.")
    sentiment: str = Field(description="Its sentiment label.")
    p_negative: float = Field(description="Its probability of being negative (0..1).")


class Moment(BaseModel):
    stage: str = Field(description="Stage id.")
    stage_name: str = Field(description="Stage display name.")
    touchpoint: str = Field(description="Touchpoint id.")
    touchpoint_name: str = Field(description="Touchpoint display name.")
    sentences: int = Field(description="Volume: scored sentences at the touchpoint.")
    comments: int = Field(description="Comments with at least one scored sentence at the touchpoint.")
    negative_share: float = Field(description="Share of the sentences that are negative (0..1).")
    neutral_share: float = Field(description="Share of the sentences that are neutral (0..1).")
    positive_share: float = Field(description="Share of the sentences that are positive (0..1).")
    net_sentiment: float | None = Field(description="% positive − % negative sentences (−100..100).")
    impact: float = Field(description="Volume × negative share: what the ranking is by.")
    neutral_risk: float = Field(description="Volume × neutral share: how much of the touchpoint is flat.")
    examples: list[Example] = Field(
        description="Up to `examples` negative sentences, the most negative (highest p_negative) first."
    )


class MomentsReport(BaseModel):
    moments: list[Moment] = Field(description="Touchpoints with volume, highest impact first.")


def moments(
    conn: Connection | Engine, journey: JourneyMap, f: InsightFilter, limit: int = 20, examples: int = 3
) -> MomentsReport:
    if limit < 1 or examples < 0:
        raise ValueError(f"limit must be ≥ 1 and examples ≥ 0 (got limit={limit}, examples={examples})")
    where = {tp.id: (stage, tp) for stage, tp in journey.touchpoints()}
    with reading(conn) as connection:
        rows = [row for row in connection.execute(_volumes(f)).mappings() if row["touchpoint"] in where]
        order = {tp_id: i for i, tp_id in enumerate(where)}
        rows.sort(key=lambda row: (-int(row["n_negative"]), -int(row["n_neutral"]), order[row["touchpoint"]]))
        rows = rows[:limit]
        quotes = _examples(connection, [row["touchpoint"] for row in rows], f, examples) if examples else {}
    ranked = []
    for row in rows:
        stage, tp = where[row["touchpoint"]]
        sentiment = measures.distribution(row)
        ranked.append(
            Moment(
                stage=stage.id,
                stage_name=stage.name,
                touchpoint=tp.id,
                touchpoint_name=tp.name,
                sentences=sentiment.total,
                comments=int(row["comments"]),
                negative_share=sentiment.negative_share,
                neutral_share=sentiment.neutral_share,
                positive_share=sentiment.positive_share,
                net_sentiment=sentiment.net(),
                # volume × share is the count itself; kept as a float so that a weighted volume fits later.
                impact=float(sentiment.negative),
                neutral_risk=float(sentiment.neutral),
                examples=quotes.get(tp.id, []),
            )
        )
    return MomentsReport(moments=ranked)


def _volumes(f: InsightFilter) -> AnySelect:
    query = select(sr.touchpoint, measures.sentence_count(), measures.comment_count(), *measures.sentiment_counts())
    return apply(query, f).where(sr.touchpoint.is_not(None)).group_by(sr.touchpoint)


def _examples(
    connection: Connection, touchpoints: list[str], f: InsightFilter, per_touchpoint: int
) -> dict[str, list[Example]]:
    if not touchpoints:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=sr.touchpoint, order_by=(func.coalesce(sr.p_negative, 0.0).desc(), sr.id))
        .label("rank")
    )
    ranked = (
        apply(select(sr.touchpoint, sr.response_id, sr.text, sr.sentiment, sr.p_negative, rank), f)
        .where(sr.touchpoint.in_(touchpoints), sr.sentiment == "negative")
        .subquery()
    )
    query = select(ranked).where(ranked.c.rank <= per_touchpoint).order_by(ranked.c.touchpoint, ranked.c.rank)
    quotes: dict[str, list[Example]] = defaultdict(list)
    for row in connection.execute(query).mappings():
        quotes[row["touchpoint"]].append(_example(row))
    return quotes


def _example(row: RowMapping) -> Example:
    return Example(
        response_id=int(row["response_id"]),
        text=row["text"],
        sentiment=row["sentiment"],
        p_negative=round(float(row["p_negative"] or 0.0), measures.SHARE_DIGITS),
    )
