"""The statistics the insights share: intervals for means and rates, a ratio's interval, and false discovery
control. Every figure an insight reports carries its sample size; these give the interval beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class LinearFit:
    params: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    p_values: NDArray[np.float64]  # two-sided, normal (as statsmodels gives them for robust errors)
    r_squared: float
    adjusted_r_squared: float


def ols_hc3(y: NDArray[np.float64], x: NDArray[np.bool_]) -> LinearFit:
    """OLS of `y` on an intercept and the 0/1 columns of `x`, with HC3 (heteroskedasticity-robust) errors:
    the numbers of statsmodels' `OLS(y, [1, x]).fit(cov_type="HC3")` (a test holds them to it), computed over
    the distinct rows of `x`. Responses mention few touchpoints each, so 100,000 rows are a few hundred
    patterns, and the sandwich needs per pattern only the count, the sum and the sum of squares of `y`:
    statsmodels' n x p matrices made the query take seconds."""
    n = len(y)
    packed = np.packbits(x, axis=1)
    _, first, group = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    patterns = np.column_stack([np.ones(len(first)), x[first].astype(np.float64)])
    count = np.bincount(group).astype(np.float64)
    total = np.bincount(group, weights=y)
    squares = np.bincount(group, weights=y * y)
    bread = np.linalg.pinv((patterns.T * count) @ patterns)
    params = bread @ (patterns.T @ total)
    fitted = patterns @ params
    rss = np.maximum(squares - 2 * fitted * total + count * fitted**2, 0.0)
    leverage = np.einsum("ij,jk,ik->i", patterns, bread, patterns)
    room = 1.0 - leverage
    # A pattern with leverage 1 is fitted exactly (its residuals are 0): it adds nothing to the meat.
    weight = np.divide(rss, room**2, out=np.zeros_like(rss), where=room > 1e-12)
    covariance = bread @ ((patterns.T * weight) @ patterns) @ bread
    se = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = np.where(se > 0, 2 * scipy_stats.norm.sf(np.abs(params / se)), np.nan)
    z = float(scipy_stats.norm.ppf(1 - ALPHA / 2))
    tss = float(((y - y.mean()) ** 2).sum())
    r_squared = 1.0 - float(rss.sum()) / tss if tss > 0 else float("nan")
    k = patterns.shape[1]
    adjusted = 1.0 - (n - 1) / (n - k) * (1.0 - r_squared) if n > k else float("nan")
    return LinearFit(params, params - z * se, params + z * se, p_values, r_squared, adjusted)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The Benjamini-Hochberg adjusted p-values (false discovery rate) of a family of tests, in input order."""
    if not p_values:
        return []
    _, adjusted, _, _ = multipletests(list(p_values), alpha=ALPHA, method="fdr_bh")
    return [float(p) for p in adjusted]
