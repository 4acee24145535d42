"""The reduced (local) model against the full therapy model, and its level quadratures."""

import numpy as np
import pytest

from scarwise.cohort import pixel_levels, profile_levels, protocol_dose, remaining_depth
from scarwise.cohort._reduced import base_rates, retention_fraction
from scarwise.core.errors import InvalidParameterError
from scarwise.surface.synthetic import scar_profile
from scarwise.therapy import ModelParameters, get_protocol, simulate_protocol, synthetic_region

DAYS = [0.0, 30.0, 90.0]
P = ModelParameters()


@pytest.fixture(scope="module")
def region():
    return synthetic_region(n=32, dx_mm=0.2)


def _reduced_volumes(region, protocol, n_levels):
    dose = protocol_dose(protocol)
    rates = base_rates(P, dose.kinetics)[None]
    out = []
    for k in region.scar_ids:
        pix = region.depth0_mm[region.labels == k]
        depth, area = pixel_levels(pix, pixel_area_mm2=region.grid.cell_area_mm2, n_levels=n_levels)
        radius = np.sqrt(area.sum() / np.pi)
        rem = remaining_depth(rates, np.zeros(depth.size, dtype=np.int64), depth, dose, days=DAYS,
                              radius_mm=np.full(depth.size, radius), dt_days=0.1,
                              factor_diffusivity_mm2_per_day=P.factor_diffusivity_mm2_per_day,
                              factor_decay_per_day=P.factor_decay_per_day)
        out.append((rem * area[:, None]).sum(axis=0))
    return np.array(out)


@pytest.mark.parametrize("name", ["fractional_co2", "microneedling"])
def test_region_wide_device_matches_full_model(region, name):
    # uniform injury: diffusion and taxis vanish, every cell is the local ODE -> agreement to the time step
    prot = get_protocol(name)
    full = simulate_protocol(region, prot, days=DAYS, backend="numpy", dt_days=0.1)
    full_v = np.array([s.volume_mm3 for s in full.scars])
    every_pixel = _reduced_volumes(region, prot, n_levels=10_000)
    np.testing.assert_allclose(every_pixel, full_v, rtol=2e-3)
    four = _reduced_volumes(region, prot, n_levels=4)  # the cohort quadrature
    np.testing.assert_allclose(four, full_v, rtol=1e-2)
    assert (full_v[:, -1] < full_v[:, 0]).all()


@pytest.fixture(scope="module")
def open_region():
    # the same three scars 12-13 mm apart on a 24 mm region: each scar's agent and factor spread
    # (<= 1.5 mm) stay clear of the edges and of the other scars, as the reduction assumes
    return synthetic_region(n=96, dx_mm=0.25)


_CACHE: dict = {}


def _improvements(region, name):
    key = (region.grid.nx, name)
    if key not in _CACHE:
        _CACHE[key] = _run_both(region, name)
    return _CACHE[key]


def _run_both(region, name):
    prot = get_protocol(name)
    full = simulate_protocol(region, prot, days=DAYS, backend="numba", dt_days=0.1)
    full_v = np.array([s.volume_mm3 for s in full.scars])
    red = _reduced_volumes(region, prot, n_levels=4)
    return 100 * (1 - full_v[:, -1] / full_v[:, 0]), 100 * (1 - red[:, -1] / red[:, 0])


# Measured error of the reduced model (improvement at 90 days, percentage points; scars icepick, boxcar,
# rolling): subcision 0.6/0.0/1.0, adsc 1.0/0.8/1.4, prp 5.4 low/0.5/1.0, fractional_co2+prp 3.5 low/1.4/4.0.
@pytest.mark.parametrize("name, tol_points", [("subcision", 1.5), ("adsc", 1.5), ("prp", 6.0),
                                              ("fractional_co2+prp", 5.0)])
def test_scar_confined_protocols_within_documented_error(open_region, name, tol_points):
    imp_full, imp_red = _improvements(open_region, name)
    assert np.abs(imp_red - imp_full).max() < tol_points, (imp_full, imp_red)
    assert (imp_red > 0).all()
    if name == "prp":  # boxcar and rolling close; the small icepick cone under-predicted (conservative)
        assert np.abs(imp_red[1:] - imp_full[1:]).max() < 2.0
        assert imp_red[0] < imp_full[0]


def test_prp_gap_on_a_small_closed_region_is_the_region_not_the_reduction(region, open_region):
    # On the 6.4 mm region the no-flux edges keep all injected PRP and the scars (3 mm apart) share it:
    # the full model's icepick improvement is several times its open-skin value, while the reduced model
    # (isolated scars) gives the same on both. That geometry, not a wrong rate, was the 14-35 point gap.
    small_full, small_red = _improvements(region, "prp")
    open_full, open_red = _improvements(open_region, "prp")
    assert small_full[0] > 3 * open_full[0]
    assert abs(small_red[0] - open_red[0]) < 1.5
    assert (small_full - small_red).max() > 14.0 and (open_full - open_red).max() < 6.0


def test_untreated_course_is_flat():
    dose = protocol_dose(get_protocol("none"))
    rem = remaining_depth(base_rates(P, dose.kinetics)[None], np.zeros(3, dtype=np.int64),
                          np.array([0.1, 0.2, 0.3]), dose, days=[0, 100, 365])
    np.testing.assert_array_equal(rem, np.repeat([[0.1], [0.2], [0.3]], 3, axis=1))


@pytest.mark.parametrize("kind", ["icepick", "boxcar", "rolling"])
def test_profile_levels_keep_volume(kind):
    depth, area = profile_levels(kind, width_mm=2.0, depth_mm=0.5, n_levels=4)
    r = np.linspace(0, 1.0, 200_001)
    dr = r[1] - r[0]
    exact = np.sum(scar_profile(kind, r, width_mm=2.0, depth_mm=0.5) * 2 * np.pi * r) * dr
    assert np.isclose((depth * area).sum(), exact, rtol=5e-3)
    assert np.isclose(area.sum(), np.pi, rtol=1e-12)


def test_retention_limits():
    # a huge disc keeps everything, a tiny one almost nothing; no diffusion keeps all
    keep = retention_fraction(np.array([1e-3, 1.0, 100.0]), diffusivity_mm2_per_day=0.4, decay_per_day=2.0)
    assert keep[0] < 0.01 and 0.2 < keep[1] < 0.9 and keep[2] > 0.99
    assert retention_fraction(0.5, diffusivity_mm2_per_day=0.0, decay_per_day=1.0) == 1.0


def test_bad_days():
    dose = protocol_dose(get_protocol("none"))
    with pytest.raises(InvalidParameterError, match="days"):
        remaining_depth(np.ones((1, 12)), np.zeros(1, dtype=np.int64), np.ones(1), dose, days=[-1])
