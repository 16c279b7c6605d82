"""Which sentences an insight looks at: the filters every CX query shares, turned into WHERE clauses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVarTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement, Connection, Engine, Select, Table, and_, select

from vocengine.store.tables import Response, sentence_result

Ts = TypeVarTuple("Ts")
response: Table = Response.metadata.tables["response"]


class InsightFilter(BaseModel):
    """Every field is optional; the ones given must all hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    date_from: datetime | None = Field(
        default=None, description="Only feedback that occurred at or after this instant (inclusive). Naive means UTC."
    )
    date_to: datetime | None = Field(
        default=None, description="Only feedback that occurred before this instant (exclusive). Naive means UTC."
    )
    source: str | None = Field(default=None, description="Only this source: survey, ticket, review, chat or other.")
    channel: str | None = Field(default=None, description="Only this channel, as given at ingest.")
    persona: str | None = Field(default=None, description="Only this persona, as given at ingest.")
    stage: str | None = Field(default=None, description="Only sentences assigned to this journey stage id.")
    touchpoint: str | None = Field(default=None, description="Only sentences assigned to this touchpoint id.")
    account_id: str | None = Field(default=None, description="Only feedback from this account.")
    segment: dict[str, str] = Field(
        default_factory=dict,
        description="Only feedback whose segment attributes have these string values (every key must match).",
    )

    # Set by `resolve_segments`, never by a caller: the responses a segment condition matched.
    response_ids: frozenset[int] | None = Field(default=None, exclude=True, repr=False)

    @field_validator("date_from", "date_to")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        # SQLite stores the UTC wall time without an offset, so a bound must be UTC to compare right.
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _range_not_empty(self) -> InsightFilter:
        if self.date_from is not None and self.date_to is not None and self.date_from >= self.date_to:
            raise ValueError("date_from must be before date_to")
        return self


def parse_segments(pairs: list[str]) -> dict[str, str]:
    """`name:value` conditions (the API's `segment=` and the command line's `--segment`) as a dict;
    `ValueError` naming the first that is not one."""
    segments = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name:
            raise ValueError(f"segment {pair!r} is not name:value")
        segments[name] = value
    return segments


def conditions(f: InsightFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses over sentence_result. Unscored sentences (e.g. not English) never count in any
    insight, so the scored condition is always there."""
    sr = sentence_result.c
    clauses: list[ColumnElement[bool]] = [sr.sentiment.is_not(None)]
    if f.date_from is not None:
        clauses.append(sr.occurred_at >= f.date_from)
    if f.date_to is not None:
        clauses.append(sr.occurred_at < f.date_to)
    for name in ("source", "channel", "persona", "stage", "touchpoint", "account_id"):
        value = getattr(f, name)
        if value is not None:
            clauses.append(sr[name] == value)
    if f.segment:
        # Segments live only on the response; an IN over one pass of it beats a correlated lookup per sentence.
        clauses.append(sr.response_id.in_(segment_matches(f.segment)))
    if f.response_ids is not None:
        clauses.append(sr.response_id.in_(sorted(f.response_ids)))
    return clauses


def segment_matches(segment: dict[str, str]) -> Select[tuple[int]]:
    return select(response.c.id).where(
        and_(*(response.c.segments[key].as_string() == value for key, value in segment.items()))
    )


def resolve_segments(conn: Connection | Engine, f: InsightFilter) -> InsightFilter:
    """`f` with its segment condition turned into the ids of the responses it matches (from the in-memory
    segment index, which reads only responses it has not seen), so that the frame can answer."""
    if not f.segment:
        return f
    from vocengine.insights.connection import reading
    from vocengine.insights.segments import segment_index

    with reading(conn) as connection:
        ids = segment_index(connection.engine).matching(connection, f.segment)
    return f.model_copy(update={"segment": {}, "response_ids": ids})


def apply(query: Select[*Ts], f: InsightFilter) -> Select[*Ts]:
    """`query` (a select over sentence_result) restricted to the scored sentences that `f` lets through."""
    return query.where(*conditions(f))
