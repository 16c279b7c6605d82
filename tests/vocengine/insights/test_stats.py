from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

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
