"""Hypothesis properties of the estimators."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scarwise.evidence import meta_analysis, pool_many

METHODS = ["FE", "DL", "HS", "SJ", "PM", "ML", "REML"]

studies = st.integers(min_value=2, max_value=15).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k),
        st.lists(st.floats(0.005, 2.0, allow_nan=False), min_size=k, max_size=k),
    )
)


@settings(max_examples=60, deadline=None)
@given(studies)
def test_estimate_inside_range_of_study_effects(data):
    y, v = map(np.array, data)
    for method in METHODS:
        r = meta_analysis(y, v, method=method)
        assert y.min() - 1e-9 <= r.estimate <= y.max() + 1e-9, method
        assert r.tau2 >= 0 and r.ci_lb <= r.estimate <= r.ci_ub


@settings(max_examples=40, deadline=None)
@given(studies, st.randoms(use_true_random=False))
def test_invariant_to_study_order(data, rnd):
    y, v = map(np.array, data)
    perm = np.array(rnd.sample(range(len(y)), len(y)))
    for method in METHODS:
        a = meta_analysis(y, v, method=method)
        b = meta_analysis(y[perm], v[perm], method=method)
        assert abs(a.estimate - b.estimate) <= 1e-8 * (1 + abs(a.estimate))
        assert abs(a.tau2 - b.tau2) <= 1e-8 * (1 + a.tau2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=15), st.floats(-2, 2),
       st.lists(st.floats(-0.3, 0.3), min_size=15, max_size=15))
def test_estimators_agree_when_tau2_is_zero(v, mu, shrink):
    # Effects closer to their mean than their standard errors: Q < k - 1 - 1, so every truncated
    # estimator gives tau² = 0 and all pool to the fixed-effect estimate.
    v = np.array(v)
    y = mu + np.array(shrink[: len(v)]) * np.sqrt(v) / np.sqrt(len(v))
    fe = meta_analysis(y, v, method="FE")
    assert fe.q < len(v) - 1
    for method in ["DL", "PM", "ML", "REML"]:
        r = meta_analysis(y, v, method=method)
        assert r.tau2 == 0.0, method
        assert r.estimate == np.float64(fe.estimate) or abs(r.estimate - fe.estimate) < 1e-12
        assert abs(r.se - fe.se) < 1e-12


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["FE", "DL", "ML", "REML"]), st.booleans())
def test_compiled_and_numpy_pooling_agree(data, method, hksj):
    y, v = (np.array(x)[None] for x in data)
    a = pool_many(y, v, method=method, hksj=hksj, backend="numpy")
    b = pool_many(y, v, method=method, hksj=hksj, backend="numba")
    assert abs(a.tau2[0] - b.tau2[0]) <= 1e-7 * (1 + a.tau2[0])
    for key in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "q", "p", "q_p"):
        # NaN only where both are (a z of 0/0 when every effect is equal under Knapp–Hartung)
        np.testing.assert_allclose(getattr(b, key), getattr(a, key), rtol=1e-7, atol=1e-7, err_msg=key)
