from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from vocengine.insights import stats
from vocengine.insights.stats import benjamini_hochberg, ols_hc3, rate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ols_hc3_gives_the_numbers_of_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 3000, 8
    x = rng.random((n, k)) < rng.uniform(0.05, 0.4, k)
    y = np.where(rng.random(n) < 0.3, -100.0, np.where(rng.random(n) < 0.5, 0.0, 100.0)) - 40 * x[:, 2]
    ours = ols_hc3(y, x)
    theirs = sm.OLS(y, sm.add_constant(x.astype(float))).fit(cov_type="HC3")
    bounds = np.asarray(theirs.conf_int(alpha=0.05))
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.ci_low, bounds[:, 0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.ci_high, bounds[:, 1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.p_values, theirs.pvalues, rtol=1e-7, atol=1e-12)
    assert ours.r_squared == pytest.approx(theirs.rsquared, rel=1e-9)
    assert ours.adjusted_r_squared == pytest.approx(theirs.rsquared_adj, rel=1e-9)


def test_rate_has_a_wilson_interval_and_benjamini_hochberg_adjusts() -> None:
    share = rate(5, 5)
    assert (share.value, share.n, share.ci_high) == (1.0, 5, 1.0) and share.ci_low is not None
    assert 0.56 < share.ci_low < 0.57
    assert benjamini_hochberg([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])


def test_vectorised_rates_and_risk_ratios_equal_the_one_at_a_time_ones() -> None:
    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(0, 40, 400), rng.integers(0, 40, 400)
    a, c = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    a[:3], n1[:3], c[:3], n2[:3] = (0, 5, 3), (0, 5, 3), (0, 0, 2), (4, 5, 9)
    ratios = stats.risk_ratios(a, n1, c, n2)
    for cell, ratio in zip(zip(a.tolist(), n1.tolist(), c.tolist(), n2.tolist(), strict=True), ratios, strict=True):
        if cell[1] and cell[3]:
            assert ratio == stats.risk_ratio(*cell)
    assert stats.rates(a, n1) == [stats.rate(k, n) for k, n in zip(a.tolist(), n1.tolist(), strict=True)]


def test_distinct_rows_match_numpy_unique_over_rows() -> None:
    rng = np.random.default_rng(3)
    for width in (1, 8, 9, 70):
        x = rng.random((500, width)) < 0.1
        _, first, group = np.unique(np.packbits(x, axis=1), axis=0, return_index=True, return_inverse=True)
        got_first, got_group = stats.distinct_rows(x)
        assert got_first.tolist() == first.tolist() and got_group.tolist() == group.reshape(-1).tolist()
