"""CX queries: emotions by group, the journey curve with its defining moments, moments by impact, trends."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import AnalyzerDep, EngineDep, ReadKey, RuntimeDep, SettingsDep
from api.errors import ApiError, ErrorDetail
from api.examples import example
from api.filters import FilterDep
from vocengine.insights.drivers import DriversReport, Outcome, key_drivers
from vocengine.insights.emotions import EmotionReport, emotions_by
from vocengine.insights.journey import JourneyReport, journey_curve
from vocengine.insights.links import LinksReport, journey_links
from vocengine.insights.moments import MomentsReport, moments
from vocengine.insights.trends import TrendReport, trends

router = APIRouter(tags=["insights"])


def as_json(report: BaseModel) -> Response:
    """The report serialised once. Returned as a model, FastAPI would dump it, validate the dump against
    the response model and dump it again: for a daily trend of a year (thousands of points) that is most
    of the request's time. The declared response_model still documents the shape."""
    return Response(content=report.model_dump_json(), media_type="application/json")


GROUPS = ("stage", "touchpoint", "persona", "source", "channel")


@router.get(
    "/emotions", response_model=EmotionReport, responses=example("emotions"), summary="Emotions and sentiment by group"
)
def get_emotions(
    engine: EngineDep,
    runtime: RuntimeDep,
    f: FilterDep,
    _key: ReadKey,
    group_by: Annotated[
        str, Query(description=f"comma-separated, any of {', '.join(GROUPS)}", examples=["stage,persona"])
    ] = "stage",
) -> Response:
    """Per group: comments and sentences, the mean of each of the 28 emotions and the 7 Ekman emotions, the
    share of comments showing each emotion, the sentiment distribution and net sentiment (% positive - %
    negative). Sentences are the unit: a comment about two stages counts in both."""
    keys = [k.strip() for k in group_by.split(",") if k.strip()]
    unknown = [k for k in keys if k not in GROUPS]
    if unknown or not keys:
        message = f"group_by takes {', '.join(GROUPS)}; got {', '.join(unknown) or 'nothing'}"
        raise ApiError(422, message, [ErrorDetail(field="group_by", message=message)])
    return as_json(emotions_by(engine, keys, f, cache=runtime.frame_cache))


@router.get(
    "/journey", response_model=JourneyReport, responses=example("journey"), summary="The journey curve, stage by stage"
)
def get_journey(engine: EngineDep, runtime: RuntimeDep, analyzer: AnalyzerDep, f: FilterDep, _key: ReadKey) -> Response:
    """The active journey map in stage order, every stage and touchpoint with volume, sentiment, top emotions
    and its defining moment (positive, negative, neutral or mixed; null under 5 sentences)."""
    active, _ = analyzer.current()
    report = journey_curve(engine, active.journey, f, cache=runtime.frame_cache)
    # Unset fields are the plan fields of a map without owners or targets: its report stays as it was.
    return Response(content=report.model_dump_json(exclude_unset=True), media_type="application/json")


@router.get(
    "/journey/links",
    response_model=LinksReport,
    responses=example("journey_links"),
    summary="Earlier touchpoints negative with a later stage more often than chance",
)
def get_journey_links(
    engine: EngineDep, runtime: RuntimeDep, analyzer: AnalyzerDep, settings: SettingsDep, f: FilterDep, _key: ReadKey
) -> Response:
    """For comments and contacts negative at a later stage, the earlier touchpoints negative for the same
    comment or contact: lift (1 is chance) with its 95% interval, Fisher p-values adjusted by
    Benjamini-Hochberg over every pair tested; pairs under the minimum support are not tested."""
    active, _ = analyzer.current()
    report = journey_links(engine, active.journey, f, min_support=settings.insight_min_support,
                           cache=runtime.frame_cache)  # fmt: skip
    return as_json(report)


@router.get(
    "/drivers",
    response_model=DriversReport,
    responses=example("drivers"),
    summary="Key drivers of NPS or CSAT per touchpoint and stage",
)
def get_drivers(
    engine: EngineDep,
    runtime: RuntimeDep,
    analyzer: AnalyzerDep,
    settings: SettingsDep,
    f: FilterDep,
    _key: ReadKey,
    outcome: Annotated[Outcome, Query(description="the responses' score type", examples=["nps"])] = "nps",
) -> Response:
    """Per touchpoint and stage: volume, the outcome of responses negative about it against the rest, the
    removal impact, and OLS coefficients (95% intervals, adjusted p-values). Nothing is claimed under the
    minimum volume; only significant drivers are ranked. `recipe` says how each figure is made."""
    active, _ = analyzer.current()
    report = key_drivers(engine, active.journey, f, outcome, min_volume=settings.insight_min_volume,
                         cache=runtime.frame_cache)  # fmt: skip
    return as_json(report)


@router.get(
    "/moments", response_model=MomentsReport, responses=example("moments"), summary="Touchpoints ranked by impact"
)
def get_moments(
    engine: EngineDep,
    runtime: RuntimeDep,
    analyzer: AnalyzerDep,
    f: FilterDep,
    _key: ReadKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    examples: Annotated[int, Query(ge=0, le=20)] = 3,
) -> Response:
    """Impact = volume x negative share; a large neutral share is shown as a risk of its own. Each with the
    most negative redacted example sentences."""
    active, _ = analyzer.current()
    return as_json(moments(engine, active.journey, f, limit=limit, examples=examples, cache=runtime.frame_cache))


@router.get(
    "/trends",
    response_model=TrendReport,
    responses=example("trends"),
    summary="Sentiment and emotions per stage over time",
)
def get_trends(
    engine: EngineDep, runtime: RuntimeDep, f: FilterDep, _key: ReadKey, interval: Literal["day", "week"] = "week"
) -> Response:
    """Per period (days, or weeks starting on Monday) and stage: volume, sentiment, net sentiment and the
    mean Ekman emotions."""
    return as_json(trends(engine, interval, f, cache=runtime.frame_cache))
