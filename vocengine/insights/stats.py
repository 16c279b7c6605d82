"""The statistics the insights share: intervals for means and rates, a ratio's interval, and false discovery
control. Every figure an insight reports carries its sample size; these give the interval beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95
ALPHA = 1.0 - CONFIDENCE
DIGITS = 4


class Estimate(BaseModel):
    """A figure with its 95% interval and the sample size it comes from."""

    value: float | None = Field(description="The estimate; null with no data.")
    ci_low: float | None = Field(description="Lower end of its 95% confidence interval; null where none is defined.")
    ci_high: float | None = Field(description="Upper end of its 95% confidence interval.")
    n: int = Field(description="The sample size behind it.")


def _r(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(float(value), DIGITS)


def mean(values: NDArray[np.float64]) -> Estimate:
    """The mean with a t interval (the scores are bounded, so the mean is near normal at the volumes claimed)."""
    n = len(values)
    if n == 0:
        return Estimate(value=None, ci_low=None, ci_high=None, n=0)
    centre = float(values.mean())
    if n < 2:
        return Estimate(value=_r(centre), ci_low=None, ci_high=None, n=n)
    half = float(scipy_stats.t.ppf(1 - ALPHA / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    return Estimate(value=_r(centre), ci_low=_r(centre - half), ci_high=_r(centre + half), n=n)


def rate(successes: int, n: int) -> Estimate:
    """A share with its Wilson interval (good at small n and near 0 or 1, where the normal one is not)."""
    if n == 0:
        return Estimate(value=None, ci_low=None, ci_high=None, n=0)
    low, high = proportion_confint(successes, n, alpha=ALPHA, method="wilson")
    return Estimate(value=_r(successes / n), ci_low=_r(float(low)), ci_high=_r(float(high)), n=n)


def difference(a: NDArray[np.float64], b: NDArray[np.float64]) -> Estimate:
    """mean(a) − mean(b) with Welch's interval; n is len(a) + len(b)."""
    n = len(a) + len(b)
    if len(a) < 2 or len(b) < 2:
        value = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
        return Estimate(value=_r(value), ci_low=None, ci_high=None, n=n)
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    se = math.sqrt(va + vb)
    centre = float(a.mean() - b.mean())
    if se == 0:
        return Estimate(value=_r(centre), ci_low=_r(centre), ci_high=_r(centre), n=n)
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1)) + (vb**2 / (len(b) - 1))) if va or vb else n - 2
    half = float(scipy_stats.t.ppf(1 - ALPHA / 2, df)) * se
    return Estimate(value=_r(centre), ci_low=_r(centre - half), ci_high=_r(centre + half), n=n)


def risk_ratio(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float, float]:
    """P(event | exposed) / P(event | not exposed) from a events of n1 exposed and c of n2 not, with its 95%
    interval by the delta method on the log (Katz), and a one-sided Fisher exact p-value (ratio > 1).
    A zero cell gets 0.5 added to every cell for the ratio and interval (Haldane), never for the test."""
    p_value = float(scipy_stats.fisher_exact([[a, n1 - a], [c, n2 - c]], alternative="greater").pvalue)
    if 0 in (a, c, n1 - a, n2 - c):
        a_, n1_, c_, n2_ = a + 0.5, n1 + 1.0, c + 0.5, n2 + 1.0
    else:
        a_, n1_, c_, n2_ = float(a), float(n1), float(c), float(n2)
    log_ratio = math.log((a_ / n1_) / (c_ / n2_))
    se = math.sqrt(1 / a_ - 1 / n1_ + 1 / c_ - 1 / n2_)
    z = float(scipy_stats.norm.ppf(1 - ALPHA / 2))
    return math.exp(log_ratio), math.exp(log_ratio - z * se), math.exp(log_ratio + z * se), p_value


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The Benjamini-Hochberg adjusted p-values (false discovery rate) of a family of tests, in input order."""
    if not p_values:
        return []
    _, adjusted, _, _ = multipletests(list(p_values), alpha=ALPHA, method="fdr_bh")
    return [float(p) for p in adjusted]
