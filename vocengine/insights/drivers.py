"""Key drivers: which touchpoints and stages pull the responses' NPS or CSAT down.

The unit is a comment (response) with a score of the asked type and at least one scored sentence the
filter lets through. A comment is *negative about* a touchpoint (stage) when one of its sentences there is
negative, *positive about* it when one is positive. The outcome is the NPS in points (a promoter, 9-10,
counts +100, a detractor, 0-6, −100, a passive 0; their mean is % promoters − % detractors) or the CSAT
score (1-5). Per touchpoint and per stage:
  - the mean outcome of the comments negative about it and of the rest, and their difference (Welch);
  - removal impact: the overall outcome minus the outcome with those comments removed, i.e. share negative
    × (mean when negative − mean otherwise): how much of the overall number they cost;
  - regression impact: one OLS of the outcome on every touchpoint's negative and positive indicators
    (heteroskedasticity-robust HC3 errors, for a bounded outcome; `stats.ols_hc3`, statsmodels' numbers
    computed over the distinct indicator patterns), another on the stages'; each coefficient
    with its 95% interval and p-value, Benjamini-Hochberg adjusted over the model's terms. A coefficient
    separates a touchpoint from the others mentioned with it, which the plain difference does not.
Nothing is claimed under `min_volume` comments negative about a point: it enters no model and gets no
rank. Only drivers whose negative coefficient is significantly below 0 are ranked, by regression impact
(coefficient × share of comments negative there: the points of the overall outcome it accounts for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select

from vocengine.insights import stats
from vocengine.insights.connection import reading
from vocengine.insights.filters import InsightFilter, resolve_segments, response
from vocengine.insights.frame import FrameCache, frame_of, take
from vocengine.insights.stats import Estimate
from vocengine.insights.units import NEGATIVE, POSITIVE, Comments, per_frame
from vocengine.journey.maps import JourneyMap

Outcome = Literal["nps", "csat"]
Level = Literal["touchpoint", "stage"]
SCORE_RANGE: dict[str, tuple[float, float]] = {"nps": (0.0, 10.0), "csat": (1.0, 5.0)}
DEFAULT_MIN_VOLUME = 30

RECIPE = (
    "unit: one scored response; outcome: NPS in points (promoter +100, passive 0, detractor -100) or CSAT 1-5; "
    "negative about X: a negative sentence at X. difference: Welch t interval; removal impact: overall minus "
    "outcome without those responses; regression: OLS (HC3 errors, as statsmodels) of the outcome on per-touchpoint "
    "(per-stage) negative and positive indicators with >= min_volume responses, Benjamini-Hochberg adjusted "
    "p-values, 95% intervals; ranked: negative coefficient with adjusted p < 0.05, by coefficient x share negative."
)


class Coefficient(BaseModel):
    estimate: float = Field(description="The OLS coefficient, in outcome units (NPS points or CSAT points).")
    ci_low: float = Field(description="Lower end of its 95% interval.")
    ci_high: float = Field(description="Upper end of its 95% interval.")
    p_value: float = Field(description="Two-sided p-value (HC3 errors).")
    p_adjusted: float = Field(description="Benjamini-Hochberg adjusted over the model's terms.")
    significant: bool = Field(description="p_adjusted < 0.05.")


class Driver(BaseModel):
    level: Level = Field(description="touchpoint or stage.")
    id: str = Field(description="The touchpoint or stage id.")
    name: str = Field(description="Its display name.")
    stage: str = Field(description="The stage id (the point itself for a stage).")
    responses: int = Field(description="Scored responses with a sentence here.")
    negative_responses: int = Field(description="Scored responses with a negative sentence here.")
    positive_responses: int = Field(description="Scored responses with a positive sentence here.")
    claimed: bool = Field(description="Whether negative_responses reaches the minimum volume; if not, no figure.")
    outcome_when_negative: Estimate | None = Field(description="Mean outcome of the responses negative here.")
    outcome_otherwise: Estimate | None = Field(description="Mean outcome of the other responses.")
    difference: Estimate | None = Field(description="outcome_when_negative − outcome_otherwise (Welch interval).")
    removal_impact: Estimate | None = Field(
        description="Overall outcome minus the outcome without the negative responses (negative: they cost points)."
    )
    negative_coefficient: Coefficient | None = Field(description="Regression coefficient of being negative here.")
    positive_coefficient: Coefficient | None = Field(
        description="Regression coefficient of being positive here; null under the minimum volume."
    )
    regression_impact: float | None = Field(
        description="negative_coefficient × share of responses negative here: outcome points it accounts for."
    )
    significant: bool = Field(description="Whether the negative coefficient is significantly below 0.")
    rank: int | None = Field(description="1 = the strongest driver; null when not claimed or not significant.")
    verdict: Literal["driver", "not_significant", "too_few"] = Field(description="What may be said of it.")


class RegressionFit(BaseModel):
    level: Level = Field(description="Whose indicators the model holds.")
    n: int = Field(description="Responses fitted.")
    terms: int = Field(description="Indicators in the model (without the intercept).")
    r_squared: float | None = Field(description="R² of the fit; null when no indicator reached the minimum volume.")
    adjusted_r_squared: float | None = Field(description="Adjusted R².")
    intercept: Coefficient | None = Field(description="The outcome of a response negative and positive nowhere.")


class DriversReport(BaseModel):
    outcome: Outcome = Field(description="nps or csat.")
    recipe: str = Field(description="How every figure here is computed.")
    min_volume: int = Field(description="Negative responses a point needs before anything is claimed of it.")
    overall: Estimate = Field(description="The outcome over every response counted (NPS points or mean CSAT).")
    touchpoints: list[Driver] = Field(description="Every touchpoint of the map: ranked drivers first, then map order.")
    stages: list[Driver] = Field(description="Every stage of the map: ranked drivers first, then map order.")
    models: list[RegressionFit] = Field(description="The two regressions, touchpoints and stages.")


def outcome_points(scores: NDArray[np.float64], outcome: Outcome) -> NDArray[np.float64]:
    if outcome == "nps":
        return np.where(scores >= 9, 100.0, np.where(scores <= 6, -100.0, 0.0))
    return scores.astype(np.float64)


def key_drivers(
    conn: Connection | Engine,
    journey: JourneyMap,
    f: InsightFilter,
    outcome: Outcome,
    *,
    min_volume: int = DEFAULT_MIN_VOLUME,
    cache: FrameCache | None = None,
) -> DriversReport:
    f = resolve_segments(conn, f)
    with reading(conn) as connection:
        frame = frame_of(connection, cache)
        rows = frame.select(f)
        # A response's score never changes, and deleting one makes a new frame: read once per frame.
        scored_ids, scores = per_frame(frame, ("scores", outcome), lambda: _scores(connection, outcome))
    # Only the sentences of responses with a score of this type.
    found = np.isin(take(frame.response_id, rows), scored_ids)
    base = np.arange(len(frame)) if rows is None else rows
    comments = Comments.of(frame, base[found])
    y = outcome_points(scores[np.searchsorted(scored_ids, comments.ids)], outcome)

    touchpoint_items = [(tp.id, tp.name, stage.id) for stage, tp in journey.touchpoints()]
    stage_items = [(stage.id, stage.name, stage.id) for stage in journey.stages]
    touchpoints, tp_fit = _level(comments, y, "touchpoint", touchpoint_items, min_volume)
    stages, stage_fit = _level(comments, y, "stage", stage_items, min_volume)
    return DriversReport(
        outcome=outcome,
        recipe=RECIPE,
        min_volume=min_volume,
        overall=stats.mean(y),
        touchpoints=touchpoints,
        stages=stages,
        models=[tp_fit, stage_fit],
    )


def _scores(connection: Connection, outcome: Outcome) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Ids (sorted) and scores of the responses with a score of this type in its range."""
    low, high = SCORE_RANGE[outcome]
    query = (
        select(response.c.id, response.c.score)
        .where(response.c.score_type == outcome, response.c.score >= low, response.c.score <= high)
        .order_by(response.c.id)
    )
    rows = connection.execute(query).all()
    columns = list(zip(*rows, strict=True)) or [(), ()]
    return np.array(columns[0], dtype=np.int64), np.array(columns[1], dtype=np.float64)


@dataclass
class _Point:
    id: str
    name: str
    stage: str
    mentioned: NDArray[np.bool_]
    negative: NDArray[np.bool_]
    positive: NDArray[np.bool_]


def _level(
    comments: Comments, y: NDArray[np.float64], level: Level, items: list[tuple[str, str, str]], min_volume: int
) -> tuple[list[Driver], RegressionFit]:
    vocabulary = comments.frame.categorical[level].index
    n = len(y)
    mentioned = comments.indicators(level, None)
    negative = comments.indicators(level, NEGATIVE)
    positive = comments.indicators(level, POSITIVE)
    empty = np.zeros(n, dtype=np.bool_)
    points = []
    for id_, name, stage in items:
        code = vocabulary.get(id_)
        columns = (empty, empty, empty) if code is None else (mentioned[:, code], negative[:, code], positive[:, code])
        points.append(_Point(id_, name, stage, *columns))

    # A term needs the volume and must not hold every response (it would be the intercept again).
    terms = [(p.id, "negative", p.negative) for p in points if min_volume <= p.negative.sum() < n]
    terms += [(p.id, "positive", p.positive) for p in points if min_volume <= p.positive.sum() < n]
    coefficients, fit = _regression(y, level, terms)

    drivers = []
    for p in points:
        k = int(p.negative.sum())
        claimed = k >= min_volume and k < n
        negative_coefficient = coefficients.get((p.id, "negative"))
        significant = bool(
            negative_coefficient and negative_coefficient.significant and negative_coefficient.estimate < 0
        )
        difference = stats.difference(y[p.negative], y[~p.negative]) if claimed else None
        drivers.append(
            Driver(
                level=level,
                id=p.id,
                name=p.name,
                stage=p.stage,
                responses=int(p.mentioned.sum()),
                negative_responses=k,
                positive_responses=int(p.positive.sum()),
                claimed=claimed,
                outcome_when_negative=stats.mean(y[p.negative]) if claimed else None,
                outcome_otherwise=stats.mean(y[~p.negative]) if claimed else None,
                difference=difference,
                removal_impact=_removal(difference, k, n) if difference else None,
                negative_coefficient=negative_coefficient,
                positive_coefficient=coefficients.get((p.id, "positive")),
                regression_impact=(
                    round(negative_coefficient.estimate * k / n, stats.DIGITS) if negative_coefficient else None
                ),
                significant=significant,
                rank=None,
                verdict="too_few" if not claimed else "driver" if significant else "not_significant",
            )
        )
    ranked = sorted((d for d in drivers if d.verdict == "driver"), key=lambda d: d.regression_impact or 0.0)
    for rank, driver in enumerate(ranked, start=1):
        driver.rank = rank
    rest = [d for d in drivers if d.rank is None]
    return ranked + rest, fit


def _removal(difference: Estimate, k: int, n: int) -> Estimate:
    """overall − mean(rest) = (k/n)(mean(negative) − mean(rest)): the difference scaled by the share negative
    (its interval too, holding the share fixed)."""

    def scaled(value: float | None) -> float | None:
        return None if value is None else round(value * k / n, stats.DIGITS)

    return Estimate(value=scaled(difference.value), ci_low=scaled(difference.ci_low),
                    ci_high=scaled(difference.ci_high), n=n)  # fmt: skip


def _regression(
    y: NDArray[np.float64], level: Level, terms: list[tuple[str, str, NDArray[np.bool_]]]
) -> tuple[dict[tuple[str, str], Coefficient], RegressionFit]:
    n = len(y)
    if not terms or n <= len(terms) + 1:
        return {}, RegressionFit(level=level, n=n, terms=0, r_squared=None, adjusted_r_squared=None, intercept=None)
    result = stats.ols_hc3(y, np.column_stack([column for _, _, column in terms]))
    params = result.params
    bounds = np.column_stack([result.ci_low, result.ci_high])
    p_values = np.nan_to_num(result.p_values, nan=1.0)
    adjusted = [1.0, *stats.benjamini_hochberg(p_values[1:].tolist())]

    def coefficient(i: int) -> Coefficient:
        return Coefficient(
            estimate=round(float(params[i]), stats.DIGITS),
            ci_low=round(float(bounds[i, 0]), stats.DIGITS),
            ci_high=round(float(bounds[i, 1]), stats.DIGITS),
            p_value=round(float(p_values[i]), 6),
            p_adjusted=round(adjusted[i], 6),
            significant=i > 0 and adjusted[i] < stats.ALPHA,
        )

    coefficients = {(id_, kind): coefficient(i) for i, (id_, kind, _) in enumerate(terms, start=1)}
    intercept = coefficient(0).model_copy(update={"p_adjusted": round(float(p_values[0]), 6)})
    fit = RegressionFit(
        level=level,
        n=n,
        terms=len(terms),
        r_squared=round(result.r_squared, stats.DIGITS),
        adjusted_r_squared=round(result.adjusted_r_squared, stats.DIGITS),
        intercept=intercept,
    )
    return coefficients, fit
