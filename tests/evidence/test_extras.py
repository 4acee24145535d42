"""Subgroups, meta-regression, leave-one-out, cumulative, Egger and trim-and-fill."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import (
    cumulative,
    effect_sizes,
    egger_test,
    leave_one_out,
    meta_analysis,
    meta_regression,
    regression_by_category,
    subgroup_analysis,
    trim_and_fill,
)
from tests.evidence._data import read, reference

REF = reference()


@pytest.fixture(scope="module")
def bcg():
    d = read("dat_bcg.csv")
    es = effect_sizes("RR", ai=d["ai"], bi=d["bi"], ci=d["ci"], di=d["di"])
    return es.yi, es.vi, d


def test_invalid_input():
    with pytest.raises(InvalidParameterError, match="at least 3"):
        leave_one_out([0.1, 0.2], [0.1, 0.1])
    with pytest.raises(InvalidParameterError, match="k > p"):
        meta_regression([0.1, 0.2], [0.1, 0.1], np.ones((2, 2)))
    with pytest.raises(InvalidParameterError, match="differing precision"):
        egger_test([0.1, 0.2, 0.3], [0.1] * 3)
    with pytest.raises(InvalidParameterError, match="2 categories"):
        regression_by_category([0.1, 0.2, 0.3], [0.1] * 3, ["a", "a", "a"])


def test_egger_matches_metafor_regtest():
    d = read("dat_egger2001.csv")
    es = effect_sizes("OR", ai=d["ai"], bi=d["n1i"] - d["ai"], ci=d["ci"], di=d["n2i"] - d["ci"])
    r = egger_test(es.yi, es.vi)
    assert r.stat == pytest.approx(REF["egger2001"]["regtest_rma_zval"], abs=5e-5)


def test_egger_lm_matches_statsmodels_wls(bcg):
    sm = pytest.importorskip("statsmodels.api")
    y, v, _ = bcg
    fit = sm.WLS(y, sm.add_constant(np.sqrt(v)), weights=1 / v).fit()
    r = egger_test(y, v, model="lm")
    assert r.slope == pytest.approx(fit.params[1])
    assert r.stat == pytest.approx(fit.tvalues[1])
    assert r.p == pytest.approx(fit.pvalues[1])


def test_meta_regression_matches_pymare_and_wls(bcg):
    pymare = pytest.importorskip("pymare")
    y, v, d = bcg
    x = np.column_stack([np.ones_like(y), d["ablat"]])
    r = meta_regression(y, v, x, method="REML")
    est = pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald")
    est.fit(y=y[:, None], v=v[:, None], X=x)
    assert r.tau2 == pytest.approx(float(np.ravel(est.params_["tau2"])[0]), abs=1e-5)
    np.testing.assert_allclose(r.coef, np.ravel(est.params_["fe_params"]), atol=1e-4)
    sm = pytest.importorskip("statsmodels.api")
    fit = sm.WLS(y, x, weights=1 / (v + r.tau2)).fit()
    np.testing.assert_allclose(r.coef, fit.params, rtol=1e-10)
    assert r.qm == pytest.approx(r.stat[1] ** 2)


def test_regression_by_category_equals_subgroup_means_without_heterogeneity(bcg):
    y, v, d = bcg
    r = regression_by_category(y, v, list(d["alloc"]), method="FE")
    sub = subgroup_analysis(y, v, list(d["alloc"]), method="FE")
    base = sub.results[0].estimate
    assert r.coef[0] == pytest.approx(base)
    for j in (1, 2):
        assert r.coef[j] == pytest.approx(sub.results[j].estimate - base)
    # with fixed effects, Q splits exactly into within- and between-subgroup parts
    total = meta_analysis(y, v, method="FE").q
    within = sum(g.q for g in sub.results)
    assert sub.q_between == pytest.approx(total - within)
    assert r.qm == pytest.approx(sub.q_between)


def test_leave_one_out_equals_refits(bcg):
    y, v, _ = bcg
    loo = leave_one_out(y, v, method="REML")
    for i in (0, 5, 12):
        keep = np.arange(len(y)) != i
        assert loo.estimate[i] == pytest.approx(meta_analysis(y[keep], v[keep]).estimate, abs=1e-10)


def test_cumulative_by_year(bcg):
    y, v, d = bcg
    perm, cum = cumulative(y, v, d["year"], method="DL")
    assert list(d["year"][perm]) == sorted(d["year"])
    assert cum.k.tolist() == list(range(2, len(y) + 1))
    assert cum.estimate[-1] == pytest.approx(meta_analysis(y, v, method="DL").estimate)
    assert cum.estimate[0] == pytest.approx(meta_analysis(y[perm][:2], v[perm][:2], method="DL").estimate)


def test_trim_and_fill_symmetric_and_asymmetric():
    rng = np.random.default_rng(4)
    se = np.linspace(0.05, 0.6, 30)
    # a symmetric funnel: every effect mirrored about 0.5 at the same precision
    dev = rng.normal(0, 1, 15) * se[:15]
    y = np.concatenate([0.5 + dev, 0.5 - dev])
    v = np.concatenate([se[:15] ** 2, se[:15] ** 2])
    # L0 rounds a rank statistic: tied mirror pairs can tip it by one study, never more
    assert trim_and_fill(y, v, method="FE", side="left").k0 == 0
    assert trim_and_fill(y, v, method="FE").k0 <= 1
    # drop the small studies with the smallest effects: the funnel's lower-left is empty
    keep = ~((y < 0.5) & (np.sqrt(v) > 0.2))
    tf = trim_and_fill(y[keep], v[keep], method="FE")
    assert tf.side == "left" and tf.k0 > 0
    observed = meta_analysis(y[keep], v[keep], method="FE").estimate
    assert tf.adjusted.estimate < observed                  # filling pulls the estimate back down
    assert all(f < observed for f in tf.filled_yi)
