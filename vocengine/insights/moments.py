"""Moments that matter: the touchpoints where the most customer pain is, with the sentences that show it.

Impact = volume × negative share, i.e. the number of negative sentences at a touchpoint: a touchpoint
that many customers go through and some hate outranks a rare one that all hate. A flat touchpoint
is a risk of its own (nothing there earns loyalty), reported as neutral_risk = volume × neutral share.
Examples are negative sentences only, most negative first: praise is no example of a pain point.
Only the map's touchpoints are ranked; sentences of an older map's touchpoints are left out.

Computed from the in-memory sentence frame (`frame.py`), which also picks the examples; only their texts
are read from the table. A segment condition is first resolved to response ids in SQL (segments live in
JSON on the response, not in the frame); `moments_sql` answers wholly in SQL, the frame's reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments
from vocengine.insights.frame import FrameCache, Rows, SentenceFrame, frame_of, sentiment_fields
from vocengine.insights.measures import Record
from vocengine.journey.maps import JourneyMap
from vocengine.model.labels import SENTIMENT_LABELS
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
    conn: Connection | Engine,
    journey: JourneyMap,
    f: InsightFilter,
    limit: int = 20,
    examples: int = 3,
    *,
    cache: FrameCache | None = None,
) -> MomentsReport:
    _check(limit, examples)
    f = resolve_segments(conn, f)
    with reading(conn) as connection:
        frame = frame_of(connection, cache)
        selected = frame.select(f)
        rows = _ranked(_frame_volumes(frame, selected), journey, limit)
        touchpoints = [row["touchpoint"] for row in rows]
        quotes = _frame_examples(connection, frame, selected, touchpoints, examples) if examples else {}
    return _report(rows, journey, quotes)


def moments_sql(
    conn: Connection | Engine, journey: JourneyMap, f: InsightFilter, limit: int = 20, examples: int = 3
) -> MomentsReport:
    """The same report aggregated in SQL: any filter, segments included, with no frame in memory."""
    _check(limit, examples)
    with reading(conn) as connection:
        rows = _ranked(connection.execute(_volumes(f)).mappings().all(), journey, limit)
        quotes = _examples(connection, [row["touchpoint"] for row in rows], f, examples) if examples else {}
    return _report(rows, journey, quotes)


def _check(limit: int, examples: int) -> None:
    if limit < 1 or examples < 0:
        raise ValueError(f"limit must be ≥ 1 and examples ≥ 0 (got limit={limit}, examples={examples})")


def _ranked(volumes: Sequence[Record], journey: JourneyMap, limit: int) -> list[Record]:
    where = {tp.id: (stage, tp) for stage, tp in journey.touchpoints()}
    order = {tp_id: i for i, tp_id in enumerate(where)}
    rows = [row for row in volumes if row["touchpoint"] in order]
    rows.sort(key=lambda row: (-int(row["n_negative"]), -int(row["n_neutral"]), order[row["touchpoint"]]))
    return rows[:limit]


def _report(rows: Sequence[Record], journey: JourneyMap, quotes: Mapping[str, list[Example]]) -> MomentsReport:
    where = {tp.id: (stage, tp) for stage, tp in journey.touchpoints()}
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


def _frame_volumes(frame: SentenceFrame, rows: Rows) -> list[dict[str, Any]]:
    """The rows of `_volumes`, computed from the frame."""
    vocabulary = frame.column("touchpoint").vocabulary
    groups = frame.group(rows, [frame.codes("touchpoint", rows)])
    volumes = []
    for code, n, c, sentiment in zip(
        groups.keys[0].tolist(),
        groups.sentences().tolist(),
        groups.comments().tolist(),
        sentiment_fields(groups.sentiment_counts()),
        strict=True,
    ):
        if vocabulary[code] is not None:
            volumes.append({"touchpoint": vocabulary[code], "sentences": n, "comments": c} | sentiment)
    return volumes


def _frame_examples(
    connection: Connection, frame: SentenceFrame, rows: Rows, touchpoints: list[str], per_touchpoint: int
) -> dict[str, list[Example]]:
    """`_examples` with the ranking done on the frame: only the chosen sentences' texts are read."""
    column = frame.column("touchpoint")
    codes = [column.index[tp] for tp in touchpoints]
    positions = np.arange(len(frame)) if rows is None else rows
    touchpoint = column.codes[positions]
    negative = frame.sentiment[positions] == SENTIMENT_LABELS.index("negative")
    candidates = positions[negative & np.isin(touchpoint, codes)]
    if len(candidates) == 0:
        return {}
    # By touchpoint, then most negative first, then id, as the SQL window orders them.
    order = np.lexsort((frame.ids[candidates], -frame.p_negative[candidates], column.codes[candidates]))
    ranked = candidates[order]
    ranked_codes = column.codes[ranked]
    first = np.flatnonzero(np.concatenate(([True], ranked_codes[1:] != ranked_codes[:-1])))
    rank = np.arange(len(ranked)) - np.repeat(first, np.diff(np.append(first, len(ranked))))
    chosen = ranked[rank < per_touchpoint]
    ids = [int(i) for i in frame.ids[chosen]]
    query = select(sr.id, sr.response_id, sr.text, sr.sentiment, sr.p_negative).where(sr.id.in_(ids))
    found = {row["id"]: row for row in connection.execute(query).mappings()}
    quotes: dict[str, list[Example]] = defaultdict(list)
    for position, id_ in zip(chosen, ids, strict=True):
        if id_ in found:  # a sentence deleted since the frame was read is left out
            quotes[column.vocabulary[int(column.codes[position])] or ""].append(_example(found[id_]))
    return quotes


def _example(row: Record) -> Example:
    return Example(
        response_id=int(row["response_id"]),
        text=row["text"],
        sentiment=row["sentiment"],
        p_negative=round(float(row["p_negative"] or 0.0), measures.SHARE_DIGITS),
    )
