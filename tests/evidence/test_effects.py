"""Effect sizes against statsmodels and hand-worked formulas; conversions; split-face assumptions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import (
    effect_sizes,
    hedges_correction,
    log_odds_ratio,
    log_risk_ratio,
    mean_difference,
    mean_sd_from_median_iqr,
    mean_sd_from_median_range,
    paired_difference,
    paired_sensitivity,
    se_from_p,
    smd_from_t,
    standardized_mean_difference,
)


def test_invalid_input():
    with pytest.raises(InvalidParameterError, match=">= 0"):
        log_risk_ratio([-1], [5], [2], [5])
    with pytest.raises(InvalidParameterError, match="n >= 2"):
        mean_difference([1], [1], [1], [0], [1], [5])
    with pytest.raises(InvalidParameterError, match=r"\(-1, 1\)"):
        paired_difference([1], [1], [0], [1], [10], r=1.0)
    with pytest.raises(InvalidParameterError, match="exact value"):
        se_from_p([0.5], [0.0])
    with pytest.raises(InvalidParameterError, match="needs columns"):
        effect_sizes("SMD", yi=[1.0], vi=[0.1])
    with pytest.raises(InvalidParameterError, match="unknown"):
        effect_sizes("XYZ", yi=[1.0], vi=[0.1])
    with pytest.raises(InvalidParameterError, match="non-finite"):
        mean_difference([np.nan], [1], [5], [0], [1], [5])


def test_log_rr_and_or_match_statsmodels():
    sm = pytest.importorskip("statsmodels.stats.meta_analysis")
    a, n1, c, n2 = np.array([30, 9, 4]), np.array([32, 135, 130]), np.array([27, 23, 8]), np.array([33, 135, 122])
    rr = log_risk_ratio(a, n1 - a, c, n2 - c)
    y, v = sm.effectsize_2proportions(a, n1, c, n2, statistic="risk-ratio")
    np.testing.assert_allclose(rr.yi, y)
    np.testing.assert_allclose(rr.vi, v)
    orr = log_odds_ratio(a, n1 - a, c, n2 - c)
    y, v = sm.effectsize_2proportions(a, n1, c, n2, statistic="odds-ratio")
    np.testing.assert_allclose(orr.yi, y)
    np.testing.assert_allclose(orr.vi, v)


def test_zero_cells_get_half_added_only_where_needed():
    es = log_odds_ratio([0, 5], [10, 5], [3, 5], [7, 5])
    assert es.yi[0] == pytest.approx(np.log(0.5 * 7.5 / (10.5 * 3.5)))
    assert es.yi[1] == 0.0 and es.vi[1] == pytest.approx(4 / 5)


def test_smd_hedges_g():
    sm = pytest.importorskip("statsmodels.stats.meta_analysis")
    g = standardized_mean_difference([10, 5], [2, 1], [20, 8], [9, 5.5], [2.5, 1.2], [25, 9])
    smd, _ = sm.effectsize_smd(np.array([10, 5]), np.array([2, 1]), np.array([20, 8]), np.array([9, 5.5]),
                               np.array([2.5, 1.2]), np.array([25, 9]))
    # statsmodels uses the approximate correction 1 - 3/(4 df - 1); ours is the exact gamma ratio
    np.testing.assert_allclose(g.yi, smd, rtol=2e-3)
    df = np.array([43, 15])
    assert hedges_correction(df) == pytest.approx(1 - 3 / (4 * df - 1), rel=1e-3)
    sp = np.sqrt((19 * 4 + 24 * 6.25) / 43)
    j = np.exp(special.gammaln(21.5) - 0.5 * np.log(21.5) - special.gammaln(21))
    assert g.yi[0] == pytest.approx(j * 1 / sp)
    assert g.vi[0] == pytest.approx(1 / 20 + 1 / 25 + g.yi[0] ** 2 / 90)


def test_smd_from_t_equals_smd_from_means():
    m1, s1, n1, m2, s2, n2 = 10.0, 2.0, 20, 9.0, 2.5, 25
    sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    t = (m1 - m2) / (sp * np.sqrt(1 / n1 + 1 / n2))
    a = smd_from_t(t, n1, n2)
    b = standardized_mean_difference(m1, s1, n1, m2, s2, n2)
    assert a.yi[0] == pytest.approx(b.yi[0]) and a.vi[0] == pytest.approx(b.vi[0])


def test_paired_design_and_correlation_sensitivity():
    raw0 = paired_difference([2.13], [0.56], [2.36], [0.56], [40], r=0.0)
    indep = mean_difference([2.13], [0.56], [40], [2.36], [0.56], [40])
    assert raw0.vi[0] == pytest.approx(indep.vi[0])                     # r = 0: as two independent groups
    sens = paired_sensitivity([2.13], [0.56], [2.36], [0.56], [40], standardized=False)
    vis = [sens[r].vi[0] for r in (0.2, 0.5, 0.8)]
    assert vis[0] > vis[1] > vis[2]                                       # more correlation, more precision
    assert all("assumed" in e.note for e in sens.values())
    d = paired_difference([2.13], [0.56], [2.36], [0.56], [40], r=0.5, standardized=True)
    assert d.yi[0] == pytest.approx(hedges_correction(39) * (-0.23) / 0.56)


def test_median_iqr_conversion_on_a_normal_sample():
    n = 400
    q = stats.norm.ppf([0.25, 0.5, 0.75], loc=10, scale=2)
    mean, sd = mean_sd_from_median_iqr(q[0], q[1], q[2], n)
    assert mean[0] == pytest.approx(10)
    assert sd[0] == pytest.approx(2, rel=0.01)
    with pytest.raises(InvalidParameterError):
        mean_sd_from_median_iqr(3, 2, 4, 20)


def test_se_from_p_round_trip():
    se = 0.3
    for est in (0.2, 0.9):
        p = 2 * stats.norm.sf(est / se)
        assert se_from_p(est, p)[0] == pytest.approx(se)
        p_t = 2 * stats.t.sf(est / se, 14)
        assert se_from_p(est, p_t, df=14)[0] == pytest.approx(se)


def test_median_range_conversion_against_expected_normal_extremes():
    # Blom's approximation: the expected extreme of n normal draws is mu ± sd Φ⁻¹((n - 0.375)/(n + 0.25))
    rng = np.random.default_rng(7)
    n = 200
    sims = rng.normal(5.0, 1.5, (4000, n))
    lo, med, hi = sims.min(axis=1).mean(), np.median(sims, axis=1).mean(), sims.max(axis=1).mean()
    mean, sd = mean_sd_from_median_range(lo, med, hi, n)
    assert mean[0] == pytest.approx(5.0, abs=0.01)
    assert sd[0] == pytest.approx(1.5, rel=0.02)
    with pytest.raises(InvalidParameterError):
        mean_sd_from_median_range(3, 5, 4, 20)
