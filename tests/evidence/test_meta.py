"""Pooling against metafor's published numbers and against PyMARE and statsmodels side by side."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import effect_sizes, meta_analysis, pool_many
from tests.evidence._data import read, reference

REF = reference()
METHODS = ["FE", "DL", "HS", "SJ", "PM", "ML", "REML"]


@pytest.fixture(scope="module")
def bcg():
    d = read("dat_bcg.csv")
    es = effect_sizes("RR", ai=d["ai"], bi=d["bi"], ci=d["ci"], di=d["di"])
    return es.yi, es.vi


def test_invalid_input():
    with pytest.raises(InvalidParameterError, match="method"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], method="XYZ")
    with pytest.raises(InvalidParameterError, match="at least 2"):
        meta_analysis([0.1], [0.1])
    with pytest.raises(InvalidParameterError, match="> 0"):
        meta_analysis([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(InvalidParameterError, match="finite"):
        meta_analysis([0.1, np.nan], [0.1, 0.1])
    with pytest.raises(InvalidParameterError, match="ci_level"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], ci_level=95)


@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_bcg_matches_metafor_to_4_decimals(bcg, method):
    r = meta_analysis(*bcg, method=method)
    for key, want in REF["bcg"][method].items():
        got = getattr(r, key)
        tol = 0.005 if key == "i2" else 0.00005   # I² published to 2 decimals of a percent, the rest to 4
        assert got == pytest.approx(want, abs=tol), key


def test_bcg_q_profile_ci_matches_metafor(bcg):
    r = meta_analysis(*bcg, method="DL")
    ref = REF["bcg_confint"]
    # metafor finds the Q-profile bounds with uniroot(tol = eps^0.25 ≈ 1.2e-4); our roots are exact
    # to 1e-10, so the bounds agree to ~1e-4 and the derived I²/H² bounds to ~0.01.
    assert (r.tau2, r.tau2_ci_lb, r.tau2_ci_ub) == pytest.approx(ref["tau2"], abs=2e-4)
    assert (r.i2, r.i2_ci_lb, r.i2_ci_ub) == pytest.approx(ref["i2"], abs=0.01)
    assert r.h2 == pytest.approx(ref["h2"][0], abs=1e-4)


def test_normand1999_mean_difference_matches_paper():
    d = read("dat_normand1999.csv")
    n1, n2 = d["n1i"], d["n2i"]
    sp = np.sqrt(((n1 - 1) * d["sd1i"] ** 2 + (n2 - 1) * d["sd2i"] ** 2) / (n1 + n2 - 2))
    es = effect_sizes("MD", m1i=d["m1i"], sd1i=sp, n1i=n1, m2i=d["m2i"], sd2i=sp, n2i=n2)
    ref = REF["normand1999"]
    np.testing.assert_allclose(es.vi, ref["vi"], atol=0.005)
    for method in ("FE", "DL", "REML"):
        r = meta_analysis(es.yi, es.vi, method=method)
        for key, want in ref[method].items():
            assert getattr(r, key) == pytest.approx(want, abs=0.005), (method, key)   # paper: 2 decimals


def test_prediction_interval_and_hksj_formulas(bcg):
    y, v = bcg
    r = meta_analysis(y, v, method="REML")
    half = 1.959963984540054 * np.sqrt(r.se**2 + r.tau2)
    assert (r.pi_lb, r.pi_ub) == pytest.approx((r.estimate - half, r.estimate + half))
    h = meta_analysis(y, v, method="REML", hksj=True)
    w = 1 / (v + h.tau2)
    se = np.sqrt((w * (y - h.estimate) ** 2).sum() / (len(y) - 1) / w.sum())
    from scipy import stats
    assert h.se == pytest.approx(se)
    assert h.ci_ub - h.estimate == pytest.approx(stats.t.ppf(0.975, len(y) - 1) * se)
    assert h.estimate == r.estimate


@pytest.mark.parametrize("method", ["REML", "ML", "DL"])
def test_agrees_with_pymare(bcg, method):
    pymare = pytest.importorskip("pymare")
    y, v = bcg
    x = np.ones((len(y), 1))
    if method == "DL":
        est = pymare.estimators.DerSimonianLaird(small_sample_correction="wald")
    else:
        est = pymare.estimators.VarianceBasedLikelihoodEstimator(method=method, small_sample_correction="wald")
    est.fit(y=y[:, None], v=v[:, None], X=x)
    fe = est.summary().get_fe_stats()
    r = meta_analysis(y, v, method=method)
    # PyMARE maximises the likelihood with scipy's optimiser: agreement to ~1e-5, not to machine precision
    assert r.tau2 == pytest.approx(float(np.ravel(est.params_["tau2"])[0]), abs=1e-5)
    assert r.estimate == pytest.approx(float(np.ravel(fe["est"])[0]), abs=1e-5)
    assert r.se == pytest.approx(float(np.ravel(fe["se"])[0]), abs=1e-5)


@pytest.mark.parametrize(("method_re", "ours"), [("chi2", "DL"), ("iterated", "PM")])
def test_agrees_with_statsmodels(bcg, method_re, ours):
    sm = pytest.importorskip("statsmodels.stats.meta_analysis")
    y, v = bcg
    res = sm.combine_effects(y, v, method_re=method_re)
    r = meta_analysis(y, v, method=ours)
    assert r.tau2 == pytest.approx(res.tau2, rel=1e-4)   # statsmodels iterates PM to its own tolerance
    assert r.estimate == pytest.approx(res.mean_effect_re, abs=1e-5)
    assert r.se == pytest.approx(res.sd_eff_w_re, abs=1e-5)
    fe = meta_analysis(y, v, method="FE")
    assert fe.estimate == pytest.approx(res.mean_effect_fe)
    assert fe.q == pytest.approx(res.q)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_numba_and_numpy_backends_agree(method):
    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.2, (50, 12))
    y = rng.normal(0.3, np.sqrt(v + 0.05))
    mask = rng.random((50, 12)) > 0.2
    mask[:, :2] = True
    a = pool_many(y, v, mask=mask, method=method, backend="numpy")
    b = pool_many(y, v, mask=mask, method=method, backend="numba")
    np.testing.assert_allclose(a.tau2, b.tau2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10, atol=1e-12)
    assert a.converged.all() and b.converged.all()


FIELDS = ["k", "tau2", "estimate", "se", "ci_lb", "ci_ub", "stat", "p", "i2", "h2", "q", "q_p", "pi_lb", "pi_ub"]


@pytest.mark.parametrize("method", ["FE", "DL", "ML", "REML"])
@pytest.mark.parametrize("hksj", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_compiled_pass_matches_numpy_in_every_field(method, hksj, masked):
    rng = np.random.default_rng(3)
    v = rng.uniform(0.005, 0.4, (40, 15))
    y = rng.normal(0.2, np.sqrt(v + rng.choice([0.0, 0.02, 0.3], (40, 1))))
    mask = rng.random(y.shape) > 0.3 if masked else None
    if masked:
        mask[:, :2] = True
        y[~mask] = np.nan      # masked-out cells are never read
    a = pool_many(y, v, mask=mask, method=method, hksj=hksj, ci_level=0.9, backend="numpy")
    b = pool_many(y, v, mask=mask, method=method, hksj=hksj, ci_level=0.9, backend="numba")
    for key in FIELDS:
        np.testing.assert_allclose(getattr(b, key), getattr(a, key), rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_array_equal(a.converged, b.converged)
    assert b.k.dtype == np.int64 and b.converged.dtype == bool
    if method != "FE":   # both the boundary and interior estimates are exercised
        assert (b.tau2 == 0).any() and (b.tau2 > 0).any()


def test_compiled_q_p_matches_scipy_beyond_its_closed_form():
    from scipy import special

    rng = np.random.default_rng(4)
    v = rng.uniform(0.01, 0.5, (3, 300))
    y = rng.normal(0.0, np.sqrt(v + 0.2 * np.array([[0.0], [0.1], [3.0]])))   # Q from ~df to ~1e4
    b = pool_many(y, v, method="DL", backend="numba")
    np.testing.assert_allclose(b.q_p, special.chdtrc(299, b.q), rtol=1e-12, atol=1e-300)
    from scarwise.evidence._tau2 import _chi2_sf

    x = np.concatenate([[0.0], np.geomspace(1e-3, 1199.0, 60)])
    for df in (1, 2, 3, 4, 19, 20, 99, 199, 200):
        got = np.array([_chi2_sf(df, xi) for xi in x])
        np.testing.assert_allclose(got, special.chdtrc(df, x), rtol=1e-12, atol=1e-300, err_msg=str(df))
    assert np.isnan(_chi2_sf(201, 10.0)) and np.isnan(_chi2_sf(5, 1201.0))


def test_compiled_boundary_check_survives_huge_variance_ratios():
    # tau²/v ≈ 1e12 for 40 studies: products of 32 factors overflow, so logs are taken one by one
    rng = np.random.default_rng(5)
    v = np.r_[np.full(40, 1e-12), rng.uniform(0.5, 1.0, 10)]
    y = rng.normal(0.0, 1.0, v.size)
    for method in ("ML", "REML"):
        a = pool_many(y[None], v[None], method=method, backend="numpy")
        b = pool_many(y[None], v[None], method=method, backend="numba")
        assert b.tau2[0] > 0.1
        np.testing.assert_allclose(b.tau2, a.tau2, rtol=1e-9)
        np.testing.assert_allclose(b.estimate, a.estimate, rtol=1e-9)


def test_batch_input_checks():
    y = np.zeros((3, 4))
    with pytest.raises(InvalidParameterError, match="mask"):
        pool_many(y, y + 1, mask=np.ones((2, 4), bool))
    with pytest.raises(InvalidParameterError, match="backend"):
        pool_many(y, y + 1, backend="gpu")
    for backend in ("numpy", "numba"):
        with pytest.raises(InvalidParameterError, match="finite"):
            pool_many(np.where(np.eye(3, 4) > 0, np.inf, 0.0), y + 1, backend=backend)
        with pytest.raises(InvalidParameterError, match="> 0"):
            pool_many(y, np.where(np.eye(3, 4) > 0, -1.0, 1.0), backend=backend)
        with pytest.raises(InvalidParameterError, match="rescale"):
            pool_many(y + 1e101, y + 1, backend=backend)
        with pytest.raises(InvalidParameterError, match="at least 2"):
            pool_many(y, y + 1, mask=np.eye(3, 4) > 0, backend=backend)
    rng = np.random.default_rng(6)
    v = rng.uniform(0.1, 0.3, (4, 6))
    y = rng.normal(0.0, 0.5, (4, 6))
    full = pool_many(y, v, mask=np.ones_like(y, bool), backend="numba")
    assert np.array_equal(full.tau2, pool_many(y, v, backend="numba").tau2)


def test_compiled_kernel_refuses_mismatched_buffers():
    from scarwise.evidence._tau2 import _pool_kernel, pool_rows

    y = np.zeros((3, 4))
    with pytest.raises(ValueError, match="15"):
        _pool_kernel(y, y + 1, None, 3, False, np.ones(3), 1e-10, 10, np.empty((14, 3)))
    with pytest.raises(ValueError, match="shape"):
        pool_rows(y, np.ones((3, 5)), None, "REML", hksj=False, crit=np.ones(3))


def test_compiled_kernel_reports_statistics_at_an_unconverged_tau2():
    from scarwise.evidence._tau2 import POOL_FIELDS, _pool_kernel

    rng = np.random.default_rng(7)
    v = rng.uniform(0.01, 0.5, (20, 12))
    y = rng.normal(0.3, np.sqrt(v + 0.2))
    out = np.empty((len(POOL_FIELDS), 20))
    for steps in (1, 2, 3):   # ML stopped after a few steps: some rows end inside, some on tau² = 0
        _pool_kernel(y, v, None, 2, False, np.full(20, 1.96), 1e-10, steps, out)
        f = dict(zip(POOL_FIELDS, out, strict=True))
        assert ((f["converged"] == 0) & (f["tau2"] > 0)).sum() >= 5
        w = 1.0 / (v + f["tau2"][:, None])
        np.testing.assert_allclose(f["estimate"], (w * y).sum(1) / w.sum(1), rtol=1e-12)
        np.testing.assert_allclose(f["se"], 1.0 / np.sqrt(w.sum(1)), rtol=1e-12)
    assert ((f["converged"] == 0) & (f["tau2"] == 0)).any()


def test_batch_equals_single_analyses():
    rng = np.random.default_rng(2)
    v = rng.uniform(0.02, 0.3, (5, 8))
    y = rng.normal(0.0, np.sqrt(v + 0.1))
    for method in METHODS:
        batch = pool_many(y, v, method=method)
        for i in range(5):
            single = meta_analysis(y[i], v[i], method=method)
            assert batch.estimate[i] == pytest.approx(single.estimate, abs=1e-12)
            assert batch.tau2[i] == pytest.approx(single.tau2, abs=1e-12)


# 20 studies whose restricted likelihood has an interior local maximum (tau² ≈ 0.034) below its
# value at tau² = 0; found among the benchmark's synthetic analyses, rounded to 4 decimals.
BIMODAL_Y = [1.0027, 1.258, -0.2235, -0.9816, 0.2265, -0.5464, 0.2785, 0.8808, 1.2293, 0.5802, -0.1038,
             0.2753, 0.0457, 0.7502, 0.3059, 1.1962, 0.8268, 0.9515, 0.1343, 1.1322]
BIMODAL_V = [0.2863, 0.4131, 0.3969, 0.3934, 0.3293, 0.1806, 0.0113, 0.4459, 0.3616, 0.4658, 0.358, 0.015,
             0.0675, 0.098, 0.1786, 0.2543, 0.125, 0.4984, 0.024, 0.2221]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_reml_takes_the_global_maximum_at_the_boundary(backend):
    pymare = pytest.importorskip("pymare")
    y, v = np.array(BIMODAL_Y), np.array(BIMODAL_V)
    est = pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald")
    est.fit(y=y[:, None], v=v[:, None], X=np.ones((20, 1)))
    ours = pool_many(y[None], v[None], method="REML", backend=backend)
    assert float(np.ravel(est.params_["tau2"])[0]) == pytest.approx(0.0, abs=1e-6)
    assert ours.tau2[0] == 0.0


def test_paule_mandel_matches_metafor_iterated_dl(bcg):
    # metafor's iterated DL / SJ estimators converge to the Paule–Mandel root: tau² = 0.3181 (4 dp)
    assert meta_analysis(*bcg, method="PM").tau2 == pytest.approx(REF["bcg_pm_tau2"], abs=5e-5)


def test_smd_worked_example_matches_metafor():
    d = read("dat_normand1999.csv")
    s = slice(0, 4)
    es = effect_sizes("SMD", m1i=d["m1i"][s], sd1i=d["sd1i"][s], n1i=d["n1i"][s], m2i=d["m2i"][s],
                      sd2i=d["sd2i"][s], n2i=d["n2i"][s])
    assert meta_analysis(es.yi, es.vi).tau2 == pytest.approx(REF["normand1999_smd_1to4_reml_tau2"], abs=5e-5)
