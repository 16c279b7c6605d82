"""The filters every CX query takes, read from the query string into one `InsightFilter`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import ValidationError

from api.errors import ApiError, ErrorDetail
from vocengine.insights import filters
from vocengine.insights.filters import InsightFilter
from vocengine.validation import Text, UtcDateTime


def parse_segments(pairs: list[str]) -> dict[str, str]:
    """`segment=name:value` query parameters (repeatable) as a dict; 422 naming the one that is not."""
    try:
        return filters.parse_segments(pairs)
    except ValueError as exc:
        raise ApiError(422, str(exc), [ErrorDetail(field="segment", message="name:value")]) from exc


def insight_filter(
    date_from: Annotated[UtcDateTime | None, Query(description="from this instant, inclusive (ISO 8601)")] = None,
    date_to: Annotated[UtcDateTime | None, Query(description="until this instant, exclusive")] = None,
    source: Annotated[Text | None, Query(examples=["survey"])] = None,
    channel: Text | None = None,
    persona: Annotated[Text | None, Query(examples=["admin"])] = None,
    stage: Annotated[Text | None, Query(examples=["onboarding"])] = None,
    touchpoint: Text | None = None,
    segment: Annotated[list[Text], Query(description="name:value, repeatable", examples=["region:EMEA"])] = [],  # noqa: B006
) -> InsightFilter:
    segments = parse_segments(segment)
    try:
        return InsightFilter(date_from=date_from, date_to=date_to, source=source, channel=channel, persona=persona,
                             stage=stage, touchpoint=touchpoint, segment=segments)  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        field = ".".join(str(p) for p in first["loc"]) or "date_from"
        raise ApiError(422, f"Invalid filter: {message}", [ErrorDetail(field=field, message=message)]) from exc


FilterDep = Annotated[InsightFilter, Depends(insight_filter)]
