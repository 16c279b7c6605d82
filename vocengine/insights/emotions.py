"""Emotions by group: how strongly, and in how many comments, each emotion shows per stage, persona, etc.

Computed from the in-memory sentence frame (`frame.py`); a segment condition is first resolved to
response ids in SQL (segments live in JSON on the response, not in the frame). `emotions_by_sql` answers
wholly in SQL: the reference the frame is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select

from vocengine.insights import measures
from vocengine.insights.connection import AnySelect, reading
from vocengine.insights.filters import InsightFilter, apply, resolve_segments
from vocengine.insights.frame import FrameCache, SentenceFrame, frame_of, sentiment_fields
from vocengine.insights.measures import Record, SentimentDistribution
from vocengine.model.labels import EKMAN_LABELS, EMOTION_LABELS
from vocengine.store.tables import ekman_column, emotion_column, sentence_result

GROUPABLE: tuple[str, ...] = ("stage", "touchpoint", "persona", "source", "channel")

sr = sentence_result.c


class EmotionGroup(BaseModel):
    key: dict[str, str | None] = Field(
        description="The group: grouping field → value. null is an unassigned stage/touchpoint or an absent field."
    )
    comments: int = Field(description="Comments with at least one scored sentence in the group.")
    sentences: int = Field(description="Scored sentences in the group.")
    emotions: dict[str, float] = Field(description="GoEmotions label → mean probability over the sentences (0..1).")
    ekman: dict[str, float] = Field(description="Ekman label → mean probability over the sentences (0..1).")
    comment_share: dict[str, float] = Field(
        description="GoEmotions label → share of the group's comments where at least one sentence shows it (0..1)."
    )
    sentiment: SentimentDistribution = Field(description="Sentiment of the group's sentences.")
    net_sentiment: float | None = Field(description="% positive − % negative sentences (−100..100).")


class EmotionReport(BaseModel):
    group_by: list[str] = Field(description="The grouping fields, in the order asked.")
    groups: list[EmotionGroup] = Field(description="One entry per group with data, largest first.")


def emotions_by(
    conn: Connection | Engine, group_by: Sequence[str], f: InsightFilter, *, cache: FrameCache | None = None
) -> EmotionReport:
    keys = _checked(group_by)
    f = resolve_segments(conn, f)
    sentence_rows, comment_rows = _frame_rows(frame_of(conn, cache), keys, f)
    return _report(keys, sentence_rows, comment_rows)


def emotions_by_sql(conn: Connection | Engine, group_by: Sequence[str], f: InsightFilter) -> EmotionReport:
    """The same report aggregated in SQL: any filter, segments included, with no frame in memory."""
    keys = _checked(group_by)
    with reading(conn) as connection:
        sentence_rows = connection.execute(_sentence_measures(keys, f)).mappings().all()
        comment_rows = connection.execute(_comment_measures(keys, f)).mappings().all()
    return _report(keys, sentence_rows, comment_rows)


def _report(keys: list[str], sentence_rows: Sequence[Record], comment_rows: Sequence[Record]) -> EmotionReport:
    by_key = {tuple(row[k] for k in keys): row for row in comment_rows}
    groups = [_group(keys, row, by_key[tuple(row[k] for k in keys)]) for row in sentence_rows]
    groups.sort(key=lambda g: (-g.sentences, [(v is None, v or "") for v in g.key.values()]))
    return EmotionReport(group_by=keys, groups=groups)


def _checked(group_by: Sequence[str]) -> list[str]:
    for name in group_by:
        if name not in GROUPABLE:
            raise ValueError(f"cannot group by {name!r}: choose among {', '.join(GROUPABLE)}")
    if len(set(group_by)) != len(group_by):
        raise ValueError(f"group_by names a field twice: {list(group_by)}")
    return list(group_by)


def _sentence_measures(keys: list[str], f: InsightFilter) -> AnySelect:
    columns = [sr[k] for k in keys]
    query = select(
        *columns,
        measures.sentence_count(),
        *measures.sentiment_counts(),
        *measures.emotion_means(),
        *measures.ekman_means(),
    )
    return apply(query, f).group_by(*columns)


def _comment_measures(keys: list[str], f: InsightFilter) -> AnySelect:
    # A comment shows an emotion in a group when any of its sentences there does: fold the sentences of
    # each (group, comment) into one flag per emotion first, then count comments per group.
    columns = [sr[k] for k in keys]
    flags = [f"has_{i}" for i in range(len(EMOTION_LABELS))]
    per_comment = (
        apply(
            select(
                *columns,
                sr.response_id,
                *(func.max(measures.has_emotion(i)).label(flag) for i, flag in enumerate(flags)),
            ),
            f,
        )
        .group_by(*columns, sr.response_id)
        .subquery()
    )
    outer_keys = [per_comment.c[k] for k in keys]
    return select(
        *outer_keys,
        func.count().label("comments"),
        *(func.sum(per_comment.c[flag]).label(flag) for flag in flags),
    ).group_by(*outer_keys)


def _frame_rows(
    frame: SentenceFrame, keys: list[str], f: InsightFilter
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows `_sentence_measures` and `_comment_measures` give, computed from the frame."""
    rows = frame.select(f)
    groups = frame.group(rows, [frame.codes(k, rows) for k in keys])
    if keys and groups.size == 0:
        return [], []
    vocabularies = [frame.column(k).vocabulary for k in keys]
    key_codes = [codes.tolist() for codes in groups.keys]
    names: list[dict[str, str | None]] = [
        {k: vocabulary[codes[g]] for k, vocabulary, codes in zip(keys, vocabularies, key_codes, strict=True)}
        for g in range(groups.size)
    ]
    emotion_names = [emotion_column(label) for label in EMOTION_LABELS]
    ekman_names = [ekman_column(label) for label in EKMAN_LABELS]
    has_names = [f"has_{i}" for i in range(len(EMOTION_LABELS))]
    sentence_rows = [
        key
        | {"sentences": n}
        | sentiment
        | dict(zip(emotion_names, emotions, strict=True))
        | dict(zip(ekman_names, ekman, strict=True))
        for key, n, sentiment, emotions, ekman in zip(
            names,
            groups.sentences().tolist(),
            sentiment_fields(groups.sentiment_counts()),
            groups.means(frame.emotions_t, frame.emotions_scored, frame.emotions_valid_t),
            groups.means(frame.ekman_t, frame.ekman_scored, frame.ekman_valid_t),
            strict=True,
        )
    ]
    comment_rows = [
        key | {"comments": n} | dict(zip(has_names, showing, strict=True))
        for key, n, showing in zip(names, groups.comments().tolist(), groups.comments_showing().tolist(), strict=True)
    ]
    return sentence_rows, comment_rows


def _group(keys: list[str], row: Record, comment_row: Record) -> EmotionGroup:
    sentiment = measures.distribution(row)
    comments = int(comment_row["comments"])
    return EmotionGroup(
        key={k: row[k] for k in keys},
        comments=comments,
        sentences=int(row["sentences"]),
        emotions=measures.emotions(row),
        ekman=measures.ekman(row),
        comment_share={
            label: measures.share(int(comment_row[f"has_{i}"] or 0), comments) for i, label in enumerate(EMOTION_LABELS)
        },
        sentiment=sentiment,
        net_sentiment=sentiment.net(),
    )
