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
Z = float(scipy_stats.norm.ppf(1 - ALPHA / 2))


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


def rates(successes: NDArray[np.int64], n: NDArray[np.int64]) -> list[Estimate]:
    """`rate` of each pair, the Wilson intervals computed together (one call per rate took milliseconds
    apiece in reports of thousands)."""
    successes, n = np.asarray(successes, dtype=np.int64), np.asarray(n, dtype=np.int64)
    some = n > 0
    low = np.full(len(n), np.nan)
    high = np.full(len(n), np.nan)
    if some.any():
        low[some], high[some] = proportion_confint(successes[some], n[some], alpha=ALPHA, method="wilson")
    values = np.divide(successes, n, out=np.full(len(n), np.nan), where=some)
    return [
        Estimate(value=_r(v), ci_low=_r(lo), ci_high=_r(hi), n=count)
        if count
        else Estimate(value=None, ci_low=None, ci_high=None, n=0)
        for v, lo, hi, count in zip(values.tolist(), low.tolist(), high.tolist(), n.tolist(), strict=True)
    ]


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
    return (*_katz(a, n1, c, n2), p_value)


def _katz(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float]:
    if 0 in (a, c, n1 - a, n2 - c):
        a_, n1_, c_, n2_ = a + 0.5, n1 + 1.0, c + 0.5, n2 + 1.0
    else:
        a_, n1_, c_, n2_ = float(a), float(n1), float(c), float(n2)
    log_ratio = math.log((a_ / n1_) / (c_ / n2_))
    se = math.sqrt(1 / a_ - 1 / n1_ + 1 / c_ - 1 / n2_)
    return math.exp(log_ratio), math.exp(log_ratio - Z * se), math.exp(log_ratio + Z * se)


def risk_ratios(
    a: NDArray[np.int64], n1: NDArray[np.int64], c: NDArray[np.int64], n2: NDArray[np.int64]
) -> list[tuple[float, float, float, float]]:
    """`risk_ratio` of each (a, n1, c, n2), the Fisher p-values in one call: scipy's `fisher_exact`
    (alternative "greater") is `hypergeom.cdf(n1 - a, n1 + n2, n1, n - k)` with k = a + c events, 1 where a
    margin is 0."""
    a, n1, c, n2 = (np.asarray(v, dtype=np.int64) for v in (a, n1, c, n2))
    total, events = n1 + n2, a + c
    degenerate = (n1 == 0) | (n2 == 0) | (events == 0) | (events == total)
    p_values = np.minimum(scipy_stats.hypergeom.cdf(n1 - a, total, n1, total - events), 1.0)
    p_values = np.where(degenerate, 1.0, p_values)
    cells = zip(a.tolist(), n1.tolist(), c.tolist(), n2.tolist(), strict=True)
    return [(*_katz(*cell), p) for cell, p in zip(cells, p_values.tolist(), strict=True)]


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
    first, group = distinct_rows(x)
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


def distinct_rows(x: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """`np.unique(x, axis=0, return_index=True, return_inverse=True)` without the unique rows: the same
    groups in the same order, found by sorting each row's bits as big-endian 64-bit words (np.unique with
    an axis sorts rows as records, which took most of the drivers query)."""
    n = len(x)
    packed = np.packbits(x, axis=1)
    width = -(-packed.shape[1] // 8) * 8 or 8
    padded = np.zeros((n, width), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    words = padded.view(">u8").astype(np.uint64)  # (n, width / 8); big-endian keeps the bytes' order
    if n == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    order = np.lexsort(words.T[::-1]) if words.shape[1] > 1 else np.argsort(words[:, 0], kind="stable")
    ordered = words[order]
    changed = np.concatenate(([True], (ordered[1:] != ordered[:-1]).any(axis=1)))
    group_sorted = np.cumsum(changed) - 1
    group = np.empty(n, dtype=np.intp)
    group[order] = group_sorted
    return order[changed].astype(np.intp), group


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The Benjamini-Hochberg adjusted p-values (false discovery rate) of a family of tests, in input order."""
    if not p_values:
        return []
    _, adjusted, _, _ = multipletests(list(p_values), alpha=ALPHA, method="fdr_bh")
    return [float(p) for p in adjusted]
