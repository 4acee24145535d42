"""Synthetic skin patches: analytic profile volumes, placement, determinism, form."""

import itertools
import math

import numpy as np
import pytest
from scipy import integrate

from scarwise.core import InvalidParameterError
from scarwise.surface.synthetic import (
    DEPTH_RANGE_MM,
    WIDTH_RANGE_MM,
    ScarSpec,
    demo_patch,
    make_skin_patch,
    random_scars,
    scar_profile,
)


def _single(type_, width, depth, pixel=0.005):
    n = int(round((width + 0.4) / pixel)) + 1
    c = (n - 1) * pixel / 2
    return make_skin_patch(nx=n, ny=n, pixel_mm=pixel, scars=[(type_, (c, c), width, depth)],
                           pores=False, texture_um=0.0)


def test_invalid_input():
    with pytest.raises(InvalidParameterError, match="unknown"):
        scar_profile("keloid", np.zeros(3), width_mm=1.0, depth_mm=0.1)
    with pytest.raises(InvalidParameterError, match="width_mm"):
        scar_profile("icepick", np.zeros(3), width_mm=0.0, depth_mm=0.1)
    with pytest.raises(InvalidParameterError, match="overlap"):
        make_skin_patch(nx=200, ny=200, scars=[("boxcar", (2.0, 2.0), 2.0, 0.2),
                                               ("boxcar", (3.0, 2.5), 2.0, 0.2)])
    with pytest.raises(InvalidParameterError, match="could not place"):
        random_scars(np.random.default_rng(0), 20, extent_mm=(5.0, 5.0), types=("rolling",))
    with pytest.raises(InvalidParameterError, match="curvature"):
        make_skin_patch(nx=200, ny=200, n_scars=0, curvature_radius_mm=1.0)


def test_cone_volume_matches_analytic():
    width, depth = 1.0, 0.6
    scar = _single("icepick", width, depth).scars[0]
    expected = math.pi * (width / 2) ** 2 * depth / 3
    assert scar.volume_mm3 == pytest.approx(expected, rel=0.02)
    assert scar.area_mm2 == pytest.approx(math.pi * 0.25)


@pytest.mark.parametrize("type_,width,depth", [("boxcar", 2.0, 0.3), ("rolling", 4.0, 0.25),
                                               ("hypertrophic", 1.5, -0.3)])
def test_volume_matches_quadrature(type_, width, depth):
    scar = _single(type_, width, depth, pixel=0.01).scars[0]
    quad, _ = integrate.quad(
        lambda r: 2 * math.pi * r * abs(scar_profile(type_, np.array(r), width_mm=width, depth_mm=depth)),
        0, width / 2, limit=200)
    assert scar.volume_mm3 == pytest.approx(quad, rel=0.01)
    if type_ == "rolling":  # closed form: pi d R^2 (1/2 - 2/pi^2)
        assert quad == pytest.approx(math.pi * depth * (width / 2) ** 2 * (0.5 - 2 / math.pi**2), rel=1e-6)


@pytest.mark.parametrize("type_", ["icepick", "boxcar", "rolling", "hypertrophic"])
def test_profile_shape(type_):
    width, depth = 2.0, (-0.3 if type_ == "hypertrophic" else 0.4)
    r = np.linspace(0, 1.5, 3001)
    p = scar_profile(type_, r, width_mm=width, depth_mm=depth)
    assert p[0] == pytest.approx(depth)
    assert np.all(p[r >= 1.0] == 0)
    assert np.all(np.diff(np.abs(p)) <= 1e-12)  # monotone from centre to rim
    flat = np.abs(p) > 0.99 * abs(depth)
    floor_share = r[flat].max() / 1.0
    if type_ == "boxcar":
        assert floor_share > 0.8  # flat floor, steep walls
    elif type_ == "icepick":
        assert floor_share < 0.02  # tapers to a point
    elif type_ == "rolling":
        assert floor_share < 0.1


def test_depth_and_centre_on_grid():
    patch = make_skin_patch(nx=400, ny=300, pixel_mm=0.025, n_scars=4, hypertrophic=1, seed=3,
                            pores=False, texture_um=0.0, tilt=(0.05, -0.02))
    rel = patch.form_mm - patch.surface.z
    yy, xx = np.meshgrid(patch.surface.y_mm, patch.surface.x_mm, indexing="ij")
    for s in patch.scars:
        inside = np.hypot(xx - s.center_mm[0], yy - s.center_mm[1]) < s.width_mm / 2
        extreme = rel[inside].max() if s.depth_mm > 0 else rel[inside].min()
        assert extreme == pytest.approx(s.depth_mm, abs=1e-12)
        assert abs(rel[inside]).sum() * 0.025**2 == pytest.approx(s.volume_mm3)
    assert sum(s.type == "hypertrophic" for s in patch.scars) == 1


def test_random_scars_do_not_overlap_and_stay_inside():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        scars = random_scars(rng, 9, extent_mm=(18.0, 15.0), min_gap_mm=1.0)
        assert sorted(s.type for s in scars) == ["boxcar"] * 3 + ["icepick"] * 3 + ["rolling"] * 3
        for s in scars:
            r = s.width_mm / 2
            assert WIDTH_RANGE_MM[s.type][0] <= s.width_mm <= WIDTH_RANGE_MM[s.type][1]
            assert DEPTH_RANGE_MM[s.type][0] <= s.depth_mm <= DEPTH_RANGE_MM[s.type][1]
            assert r + 1.0 <= s.center_mm[0] <= 18.0 - r - 1.0
            assert r + 1.0 <= s.center_mm[1] <= 15.0 - r - 1.0
        for a, b in itertools.combinations(scars, 2):
            gap = math.dist(a.center_mm, b.center_mm) - a.width_mm / 2 - b.width_mm / 2
            assert gap >= 1.0


def test_deterministic():
    a = make_skin_patch(nx=400, ny=360, n_scars=3, seed=5, holes=2)
    b = make_skin_patch(nx=400, ny=360, n_scars=3, seed=5, holes=2)
    c = make_skin_patch(nx=400, ny=360, n_scars=3, seed=6, holes=2)
    np.testing.assert_array_equal(a.surface.z, b.surface.z)
    assert a.scars == b.scars
    assert not np.array_equal(np.nan_to_num(a.surface.z), np.nan_to_num(c.surface.z))


def test_form_alone_equals_form_mm():
    radius = 40.0
    patch = make_skin_patch(nx=201, ny=161, pixel_mm=0.05, n_scars=0, pores=False, texture_um=0.0,
                            tilt=(0.1, -0.05), curvature_radius_mm=radius)
    np.testing.assert_array_equal(patch.surface.z, patch.form_mm)
    # Convex sphere centred on the patch plus the plane: check a corner by hand.
    rho2 = 5.0**2 + 4.0**2
    assert patch.form_mm[0, 0] == pytest.approx(math.sqrt(radius**2 - rho2) - radius)
    assert patch.form_mm[-1, -1] == pytest.approx(math.sqrt(radius**2 - rho2) - radius + 0.1 * 10 - 0.05 * 8)


def test_texture_pores_and_holes():
    patch = make_skin_patch(nx=300, ny=300, pixel_mm=0.025, n_scars=2, seed=2, texture_um=8.0, holes=3)
    rough = make_skin_patch(nx=300, ny=300, pixel_mm=0.025, n_scars=0, seed=2, texture_um=8.0, pores=False)
    sq_um = 1000 * np.std(rough.surface.z - rough.form_mm)
    assert 7.0 < sq_um < 12.0  # 8 um band-limited noise plus shallow furrows
    pores = make_skin_patch(nx=300, ny=300, pixel_mm=0.025, n_scars=0, seed=2, texture_um=0.0)
    dz = pores.surface.z - pores.form_mm
    assert -0.05 < dz.min() < -0.01 and dz.max() == 0  # pores: shallow pits only
    assert (dz < -0.005).sum() > 50
    assert np.isnan(patch.surface.z).any()
    yy, xx = np.meshgrid(patch.surface.y_mm, patch.surface.x_mm, indexing="ij")
    for s in patch.scars:  # holes and pores stay off scars
        inside = np.hypot(xx - s.center_mm[0], yy - s.center_mm[1]) < s.width_mm / 2
        assert not np.isnan(patch.surface.z[inside]).any()


def test_texture_band():
    patch = make_skin_patch(nx=256, ny=256, pixel_mm=0.025, n_scars=0, seed=4, pores=False)
    t = patch.surface.z - patch.form_mm
    power = np.abs(np.fft.rfft2(t - t.mean())) ** 2
    f = np.hypot(np.fft.rfftfreq(256, 0.025)[None, :], np.fft.fftfreq(256, 0.025)[:, None])
    in_band = power[(f > 1.5) & (f < 13.0)].sum() / power.sum()
    assert in_band > 0.8  # wavelengths mostly 0.08-0.7 mm (furrows add some low frequencies)


def test_spec_forms_accepted():
    spec = ScarSpec(type="boxcar", center_mm=(2.0, 2.0), width_mm=2.0, depth_mm=0.2)
    a = make_skin_patch(nx=160, ny=160, scars=[spec], pores=False, texture_um=0)
    b = make_skin_patch(nx=160, ny=160, scars=[{"type": "boxcar", "center_mm": (2.0, 2.0),
                                                "width_mm": 2.0, "depth_mm": 0.2}], pores=False, texture_um=0)
    c = make_skin_patch(nx=160, ny=160, scars=a.scars, pores=False, texture_um=0)
    np.testing.assert_array_equal(a.surface.z, b.surface.z)
    np.testing.assert_array_equal(a.surface.z, c.surface.z)


def test_demo_patch():
    patch = demo_patch()
    s = patch.surface
    assert 19.5 < (s.nx - 1) * s.dx_mm < 20.5 and s.dx_mm == 0.025
    assert 10 <= len(patch.scars) <= 14
    assert sum(sc.type == "hypertrophic" for sc in patch.scars) == 1
    assert {sc.type for sc in patch.scars} == {"icepick", "boxcar", "rolling", "hypertrophic"}
    assert patch.form_mm[0, 0] < patch.form_mm[s.ny // 2, s.nx // 2] - 0.5 * 0.1  # curved
    assert np.isfinite(s.z).all()


def test_small_patch_leaves_out_types_that_do_not_fit():
    with pytest.warns(UserWarning, match="no room for rolling"):
        patch = make_skin_patch(nx=200, ny=200, pixel_mm=0.03, n_scars=3, seed=0)
    assert len(patch.scars) == 3 and {s.type for s in patch.scars} <= {"icepick", "boxcar"}
