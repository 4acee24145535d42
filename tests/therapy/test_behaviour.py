"""Behaviour of the model on an analytic region with three scars."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scarwise.therapy import Grid, ModelParameters, ScarRegion, get_protocol, simulate_protocol
from scarwise.therapy._model import L, M
from scarwise.therapy._protocols import AgentDose

from .conftest import BACKENDS

DAYS = [0, 30, 90]
DT = 0.25  # day; coarse but stable (the solver tests check accuracy)


def test_no_treatment_leaves_the_scars_unchanged(region):
    res = simulate_protocol(region, get_protocol("none"), days=DAYS, dt_days=DT)
    assert [s.id for s in res.scars] == [1, 2, 3]
    for s in res.scars:
        m = region.labels == s.id
        assert s.depth_mm == (pytest.approx(region.depth0_mm[m].max(), abs=0),) * 3
        assert s.volume_mm3[0] == s.volume_mm3[-1] == pytest.approx(region.depth0_mm[m].sum() * 0.04)
        assert not s.hypertrophy and s.max_overfill_mm == 0.0
    assert res.to_json()["model"]["calibrated"] is False


def test_treatment_reduces_depth_and_volume(region):
    res = simulate_protocol(region, get_protocol("microneedling+prp"), days=DAYS, dt_days=DT)
    for s in res.scars:
        assert s.volume_mm3[-1] < s.volume_mm3[0]
        assert s.depth_mm[-1] <= s.depth_mm[0]


def test_depth_never_negative_and_overfill_is_flagged(region):
    strong = ModelParameters(collagen_synthesis_per_day=0.2, overfill_capacity_fraction=0.5)
    maps = simulate_protocol(region, get_protocol("prp"), days=[0, 60, 120], params=strong, keep_maps=True,
                             dt_days=DT)
    assert all(min(s.depth_mm) >= 0 and min(s.volume_mm3) >= 0 for s in maps.scars)
    assert all(m.min() >= 0 for m in maps.maps.values())
    assert any(s.hypertrophy for s in maps.scars)  # filled past the skin level: the model says so
    mild = simulate_protocol(region, get_protocol("prp"), days=[0, 60, 120],
                             params=ModelParameters(overfill_capacity_fraction=0.0), dt_days=DT)
    assert not any(s.hypertrophy for s in mild.scars)


def _with_concentration(name: str, factor: float):
    p = get_protocol(name)
    agent = dataclasses.replace(p.agent, concentration_per_ul=p.agent.concentration_per_ul * factor)
    return dataclasses.replace(p, agent=agent)


def test_more_retained_cells_never_give_less_collagen(region):
    collagen = []
    for factor in (0.0, 0.5, 1.0, 2.0, 4.0):
        fields = {}
        simulate_protocol(region, _with_concentration("adsc", factor), days=[60], dt_days=DT,
                          on_sample=lambda s, f=fields: f.update(u=s.u.copy()))
        collagen.append(fields["u"][L] + fields["u"][M])
    for lo, hi in zip(collagen[:-1], collagen[1:], strict=True):
        assert np.all(hi >= lo - 1e-15)
    assert collagen[-1].sum() > collagen[0].sum()


def test_longer_retention_never_gives_less_collagen(region):
    p = get_protocol("adsc")
    totals = []
    for half_life in (0.5, 2.0, 8.0):
        kin = dataclasses.replace(p.agent.product.kinetics, retention_decay_per_day=np.log(2) / half_life)
        prod = dataclasses.replace(p.agent.product, kinetics=kin)
        q = dataclasses.replace(p, agent=dataclasses.replace(p.agent, product=prod))
        totals.append(sum(s.volume_mm3[-1] for s in simulate_protocol(region, q, days=[60], dt_days=DT).scars))
    assert totals[0] >= totals[1] >= totals[2]  # more retained cells -> more fill -> less void


def test_results_do_not_depend_on_grid_orientation(region):
    p = get_protocol("microneedling+prp")
    g = region.grid
    oblong = ScarRegion(region.depth0_mm[:, :28], region.labels[:, :28], Grid(g.ny, 28, 0.2, 0.23))
    a = simulate_protocol(oblong, p, days=DAYS, dt_days=DT)
    b = simulate_protocol(oblong.transposed(), p, days=DAYS, dt_days=DT)
    for sa, sb in zip(a.scars, b.scars, strict=True):
        np.testing.assert_allclose(sb.depth_mm, sa.depth_mm, rtol=1e-12)
        np.testing.assert_allclose(sb.volume_mm3, sa.volume_mm3, rtol=1e-12)


@pytest.mark.parametrize("backend, rtol", [("numba", 1e-6), ("jax", 1e-4)])
def test_backends_agree_with_numpy(region, backend, rtol):
    if backend not in BACKENDS:
        pytest.skip("jax is not installed (pip install 'scarwise[jax]')")
    p = get_protocol("fractional_co2+prp")
    ref = simulate_protocol(region, p, days=DAYS, backend="numpy", dt_days=DT)
    got = simulate_protocol(region, p, days=DAYS, backend=backend, dt_days=DT)
    for sa, sb in zip(ref.scars, got.scars, strict=True):
        np.testing.assert_allclose(sb.volume_mm3, sa.volume_mm3, rtol=rtol)
        np.testing.assert_allclose(sb.depth_mm, sa.depth_mm, rtol=rtol)


def test_json_follows_the_contract(region):
    out = simulate_protocol(region, get_protocol("subcision"), days=[0, 30], dt_days=DT).to_json()
    assert out["protocol"] == "subcision" and out["days"] == [0.0, 30.0]
    assert set(out["model"]) >= {"calibrated", "parameter_source"}
    for s in out["scars"]:
        assert len(s["depth_mm"]) == len(s["volume_mm3"]) == 2 and isinstance(s["id"], int)


def test_bad_days_are_refused(region):
    with pytest.raises(ValueError, match="days is empty"):
        simulate_protocol(region, get_protocol("none"), days=[], dt_days=DT)
    with pytest.raises(ValueError, match=">= 0"):
        simulate_protocol(region, get_protocol("none"), days=[-1, 5], dt_days=DT)
    with pytest.raises(ValueError, match="10-year"):
        simulate_protocol(region, get_protocol("none"), days=[10_000], dt_days=DT)


def test_topical_agent_is_not_an_injection():
    assert isinstance(get_protocol("fractional_co2+exosomes").agent, AgentDose)
    assert not get_protocol("fractional_co2+exosomes").agent.injected
