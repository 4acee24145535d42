"""Calibration: the packaged evidence allows none (said, not faked); the ABC recovers a known truth."""

import numpy as np
import pytest

from scarwise.cohort._calibrate import (
    SINGLE,
    calibrate,
    evidence_targets,
    identifiable_parameters,
    predictive_interval,
    sobol_indices,
)
from scarwise.cohort._patients import Population
from scarwise.cohort._trials import REPORTED, STUDY_DESIGNS, TrialDesign, simulate_trial
from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import load_studies

HEADER = ("id,first_author,journal,design,n,treatments,comparator,outcome_scale,verified,"
          "effect_measure,yi,vi,effect_note")
TRUE_MU = 0.6  # device_response log-multiplier mean used to make the synthetic studies


def test_packaged_evidence_gives_one_single_study_target_and_says_why_not_for_the_rest():
    targets, status = evidence_targets(load_studies(extra=None))
    (t,) = targets  # park2019: the one verified effect on scar volume with a known design
    assert t.name == "conditioned_medium/3d_volume" and t.kind == SINGLE and t.k == 1
    assert t.designs[0].study_id == "park2019" and t.derived_by_assumption == ("park2019",)
    assert t.estimate == pytest.approx(23.5 - 15.0)
    assert (t.ci_low, t.ci_high) == pytest.approx((t.estimate - 1.959964 * t.se, t.estimate + 1.959964 * t.se))
    by = {s.protocol: s for s in status}
    assert [p for p, s in by.items() if s.calibrated] == ["fractional_co2+conditioned_medium"]
    assert "single study (k = 1)" in by["fractional_co2+conditioned_medium"].reason
    assert not by["none"].calibrated and "by construction" in by["none"].reason
    assert "compares fractional_co2+conditioned_medium with fractional_co2" in by["fractional_co2"].reason
    assert "kwon2020 (ecca)" in by["fractional_co2+exosomes"].reason  # an effect, but not on a model scale
    assert identifiable_parameters(targets) == ("agent_potency",)
    with pytest.raises(InvalidParameterError, match="no verified pooled effect"):
        calibrate([], evidence_version="x")


def test_reported_arms_match_the_evidence_table():
    studies = {s.id: s for s in load_studies(extra=None).studies}
    for sid, arms in REPORTED.items():
        assert studies[sid].verified and arms.text in studies[sid].reported
        assert studies[sid].outcome_scale == STUDY_DESIGNS[sid].outcome
        assert studies[sid].n == STUDY_DESIGNS[sid].n


def _design(sid, n):
    return TrialDesign(study_id=sid, treatment="fractional_co2", control="none", sessions=3, follow_up_days=120.0, n=n)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Four synthetic verified studies (MD on % volume reduction) made by the model at TRUE_MU."""
    truth = Population().with_mu(device_response=TRUE_MU)
    designs = {f"syn_{k}": _design(f"syn_{k}", n) for k, n in zip("abcd", (20, 30, 25, 24), strict=True)}
    rows = [HEADER]
    outcomes = {}
    for sid, d in designs.items():
        o = simulate_trial(d, truth, seed=999)  # other patients than calibration will simulate
        outcomes[sid] = o
        if sid != "syn_d":  # syn_d is held back
            rows.append(f"{sid},Synthetic,none,RCT,{d.n},fractional_co2,none,3d_volume,true,MD,{o.yi},{o.vi},"
                        "simulated by the test at a known parameter")
    path = tmp_path_factory.mktemp("ev") / "synthetic.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = load_studies(extra=path)
    targets, status = evidence_targets(table, designs=designs, protocols=["fractional_co2"])
    return table, targets, status, designs, outcomes


def test_abc_recovers_truth_reproduces_pooled_effect_and_held_back_study(synthetic):
    table, targets, status, designs, outcomes = synthetic
    assert status[0].calibrated and len(targets) == 1 and len(targets[0].designs) == 3
    assert targets[0].kind == "pooled (REML, k = 3)" and identifiable_parameters(targets) == ("device_response",)
    post = calibrate(targets, evidence_version=table.version, n_draws=60, accept=0.2, seed=3)
    mu = post.samples[:, 0]
    assert abs(np.median(mu) - TRUE_MU) < 0.3  # prior is U(-1.5, 1.5)
    cov = post.coverage()[0]
    assert cov["within_ci"] and not cov["ci_includes_zero"] and abs(cov["z"]) < 2, cov
    lo, hi, _ = predictive_interval(post, designs["syn_d"], seed=3)
    assert lo <= outcomes["syn_d"].yi <= hi
    # with the study's own sampling variance added the interval widens around the same centre
    lo2, hi2, _ = predictive_interval(post, designs["syn_d"], seed=3, observed_vi=4.0)
    assert lo2 < lo and hi2 > hi and abs((lo2 + hi2) - (lo + hi)) < 0.5 * (hi2 - lo2)


def test_park2019_fit_is_inside_its_ci_only_because_the_ci_includes_zero():
    """The one real target: the model's conditioned-medium effect stays far below 8.5 points even at the
    prior's edge, so "inside the CI" holds only because the CI (k = 1, p = .143) also holds no effect."""
    (t,), _ = evidence_targets(load_studies(extra=None))
    post = calibrate([t], evidence_version="test", parameters=("agent_potency",), n_draws=30, accept=0.2, seed=2)
    (cov,) = post.coverage()
    assert cov["ci_includes_zero"] and cov["within_ci"]
    med = float(np.median(post.simulated[:, 0]))
    assert cov["z"] == pytest.approx((med - t.estimate) / t.se)
    assert med < 2.0 and cov["z"] < -1.0  # best draws reach a fraction of the reported 8.5-point difference
    assert np.median(post.samples[:, 0]) > 0.6  # pushed towards the upper end of U(-1.5, 1.5)


def test_calibration_same_on_dask(synthetic, client):
    table, targets, *_ = synthetic
    a = calibrate(targets, evidence_version=table.version, n_draws=10, accept=0.3, seed=5, draws_per_task=4)
    b = calibrate(targets, evidence_version=table.version, n_draws=10, accept=0.3, seed=5, draws_per_task=4,
                  client=client)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.simulated, b.simulated)


def test_sobol_names_device_response_for_a_laser():
    s = sobol_indices("fractional_co2", n_base=32)
    assert s["agent_potency"]["ST"] == pytest.approx(0.0, abs=1e-9)  # no agent in this protocol
    assert s["device_response"]["ST"] > s["fibroblast_proliferation"]["ST"]


def test_held_back_check_compares_reported_arms_and_effect_with_the_predictive_interval():
    from scarwise.cohort import held_back_check

    res = held_back_check("park2019", replicates=30, seed=1)
    assert res["held_back"] and res["design"]["n"] == 15
    for arm in ("treatment", "control"):
        a = res["arms"][arm]
        lo, hi = a["predicted_interval_pct"]
        assert lo <= a["predicted_median_pct"] <= hi
        assert a["within"] == (lo <= a["reported_pct"] <= hi)
    e = res["effect"]
    assert e["reported"] == pytest.approx(8.5) and e["effect_source"] == "derived_by_assumption"
    lo, hi = e["predicted_interval"]
    m_lo, m_hi = e["model_interval"]
    assert lo < m_lo <= m_hi < hi  # the study's SE widens the model-only interval
    assert e["within"] == (lo <= 8.5 <= hi)
    fitted = held_back_check("park2019", replicates=10, seed=1, used_in_fit=["park2019"])
    assert not fitted["held_back"] and "not a held-back test" in fitted["note"]
    with pytest.raises(InvalidParameterError, match="no trial design"):
        held_back_check("kwon2020")
