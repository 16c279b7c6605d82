"""Causes that start earlier: for comments and contacts negative at a later stage, which touchpoints of
earlier stages were negative for the same unit more often than chance would have them.

For each later stage S and each touchpoint A of a stage before it in the map, over the units (comments, or
contacts: all of a contact's comments together) with scored sentences both at A and at S that the filter lets
through (a unit that never speaks of A could not have been negative there, and would make any stage look
linked to it):
    lift = P(negative at A | negative at S) / P(negative at A | not negative at S),
a risk ratio: 1 is chance, 2 means A's pain is twice as common where S hurts. Its 95% interval is the
delta method on log(lift) (Katz; a zero cell adds 0.5 to each), its p-value Fisher's exact test, one-sided,
and the p-values of every pair tested are adjusted together by Benjamini-Hochberg (false discovery rate).
A pair is tested only when at least `min_support` units are negative at A and at S and some are not at S:
both marginals, which say nothing of the association, so the filter does not bias the test. Stage order is
the map's; it says what comes earlier in the journey, not in time, and a lift is an association, not proof
of a cause.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from vocengine.insights import stats
from vocengine.insights.connection import reading
from vocengine.insights.filters import InsightFilter, resolve_segments
from vocengine.insights.frame import FrameCache, SentenceFrame, frame_of
from vocengine.insights.stats import Estimate
from vocengine.insights.units import NEGATIVE, Comments, filter_key, per_frame
from vocengine.journey.maps import JourneyMap

Unit = Literal["comment", "contact"]
DEFAULT_MIN_SUPPORT = 10
RECIPE = (
    "lift = P(negative at earlier touchpoint | negative at later stage) / P(same | not negative at later stage), "
    "per comment and per contact, over the units with sentences at both; 95% interval: delta method on log(lift); p: one-sided Fisher exact test, "
    "Benjamini-Hochberg adjusted over every pair tested; tested only with >= min_support units negative at "
    "each end; stage order from the journey map."
)


class Link(BaseModel):
    unit: Unit = Field(description="comment or contact: what counts as the same customer experience.")
    earlier_stage: str = Field(description="The stage of the earlier touchpoint.")
    earlier_touchpoint: str = Field(description="The earlier touchpoint id.")
    earlier_touchpoint_name: str = Field(description="Its display name.")
    later_stage: str = Field(description="The later stage id.")
    later_stage_name: str = Field(description="Its display name.")
    units: int = Field(description="Units with scored sentences at both the earlier touchpoint and the later stage.")
    later_negative: int = Field(description="Units negative at the later stage.")
    earlier_negative: int = Field(description="Units negative at the earlier touchpoint.")
    both: int = Field(description="Units negative at both: the support.")
    share_when_later_negative: Estimate = Field(
        description="Of the units negative later, the share negative at the earlier touchpoint (Wilson interval)."
    )
    share_otherwise: Estimate = Field(description="The same share among the units not negative later.")
    lift: float = Field(description="share_when_later_negative / share_otherwise: 1 is chance.")
    lift_ci_low: float = Field(description="Lower end of the lift's 95% interval.")
    lift_ci_high: float = Field(description="Upper end of the lift's 95% interval.")
    p_value: float = Field(description="One-sided Fisher exact p-value (lift > 1).")
    p_adjusted: float = Field(description="Benjamini-Hochberg adjusted over every pair tested.")
    significant: bool = Field(description="p_adjusted < 0.05.")
    rank: int | None = Field(description="Among the significant links of this unit, by lift; null if not significant.")


class LinksReport(BaseModel):
    recipe: str = Field(description="How every figure here is computed.")
    min_support: int = Field(description="Units negative at each end a pair needs before it is tested.")
    comments: int = Field(description="Comments counted.")
    contacts: int = Field(description="Contacts counted (comments that name a contact).")
    tested: int = Field(description="Pairs tested, the family the adjustment is over (both units).")
    links: list[Link] = Field(description="Every pair tested: significant ones first by rank, then by p-value.")


def journey_links(
    conn: Connection | Engine,
    journey: JourneyMap,
    f: InsightFilter,
    *,
    min_support: int = DEFAULT_MIN_SUPPORT,
    cache: FrameCache | None = None,
) -> LinksReport:
    f = resolve_segments(conn, f)
    with reading(conn) as connection:
        frame = frame_of(connection, cache)
    # The counts depend on the frame and the filter alone (no clock): computed once per frame and filter.
    counts, tables = per_frame(frame, ("links", filter_key(f)), lambda: _tables(frame, f))
    contacts = counts["contact"]
    tp_index = frame.categorical["touchpoint"].index
    stage_index = frame.categorical["stage"].index

    candidates = []
    for later_position, later in enumerate(journey.stages):
        stage_code = stage_index.get(later.id)
        if stage_code is None:
            continue
        for earlier in journey.stages[:later_position]:
            for touchpoint in earlier.touchpoints:
                tp_code = tp_index.get(touchpoint.id)
                if tp_code is None:
                    continue
                for unit, table in tables.items():
                    n, n1, k, a = (int(m[tp_code, stage_code]) for m in table)
                    if n1 < min_support or k < min_support or n1 >= n:
                        continue
                    candidates.append((unit, earlier, touchpoint, later, n, n1, k, a))

    columns = np.array([c[4:] for c in candidates], dtype=np.int64).reshape(-1, 4)
    n_, n1_, k_, a_ = columns.T
    ratios = stats.risk_ratios(a_, n1_, k_ - a_, n_ - n1_)
    tested = [(*c, *r) for c, r in zip(candidates, ratios, strict=True)]
    when_later = stats.rates(a_, n1_)
    otherwise = stats.rates(k_ - a_, n_ - n1_)
    adjusted = stats.benjamini_hochberg([t[11] for t in tested])
    links = [
        Link(
            unit=unit,
            earlier_stage=earlier.id,
            earlier_touchpoint=touchpoint.id,
            earlier_touchpoint_name=touchpoint.name,
            later_stage=later.id,
            later_stage_name=later.name,
            units=n,
            later_negative=n1,
            earlier_negative=k,
            both=a,
            share_when_later_negative=share_when,
            share_otherwise=share_else,
            lift=round(lift, stats.DIGITS),
            lift_ci_low=round(low, stats.DIGITS),
            lift_ci_high=round(high, stats.DIGITS),
            p_value=round(p, 8),
            p_adjusted=round(p_adj, 8),
            significant=p_adj < stats.ALPHA,
            rank=None,
        )
        for (unit, earlier, touchpoint, later, n, n1, k, a, lift, low, high, p), p_adj, share_when, share_else in zip(
            tested, adjusted, when_later, otherwise, strict=True
        )
    ]
    significant = sorted((link for link in links if link.significant), key=lambda link: (-link.lift, link.p_value))
    for unit in ("comment", "contact"):
        for rank, link in enumerate((x for x in significant if x.unit == unit), start=1):
            link.rank = rank
    rest = sorted((link for link in links if not link.significant), key=lambda link: link.p_value)
    return LinksReport(
        recipe=RECIPE,
        min_support=min_support,
        comments=counts["comment"],
        contacts=contacts,
        tested=len(links),
        links=significant + rest,
    )


def _unit_mappings(
    contact_of_row: NDArray[np.intp], contacts: int
) -> list[tuple[Unit, tuple[()] | tuple[NDArray[np.intp], int]]]:
    return [("comment", ()), ("contact", (contact_of_row, contacts))]


def _tables(
    frame: SentenceFrame, f: InsightFilter
) -> tuple[dict[Unit, int], dict[Unit, tuple[NDArray[np.int64], ...]]]:
    """Units counted, and per unit the (touchpoint, stage) tables of `_pair_counts`."""
    comments = Comments.of(frame, frame.select(f))
    contacts, contact_of_row = comments.contacts()
    tables = {
        unit: _pair_counts(*(comments.indicators(column, sentiment, *mapping)
                             for column in ("touchpoint", "stage") for sentiment in (NEGATIVE, None)))
        for unit, mapping in _unit_mappings(contact_of_row, contacts)
    }  # fmt: skip
    return {"comment": len(comments.ids), "contact": contacts}, tables


def _pair_counts(
    tp_negative: NDArray[np.bool_],
    tp_spoken: NDArray[np.bool_],
    stage_negative: NDArray[np.bool_],
    stage_spoken: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], ...]:
    """Per (touchpoint, stage): the units with sentences at both (n), those negative at the stage (n1), at the
    touchpoint (k), and at both (a). Negative at a point implies a sentence there, so each count is one
    product of indicator matrices (float32 sums of 0s and 1s are exact up to 2**24 units)."""
    tn, ts, sn, ss = (m.astype(np.float32) for m in (tp_negative, tp_spoken, stage_negative, stage_spoken))
    return tuple(np.rint(left.T @ right).astype(np.int64) for left, right in ((ts, ss), (ts, sn), (tn, ss), (tn, sn)))
