"""Registration recovers a known transform; refuses scans that do not overlap enough."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.surface.register import RegistrationError, register_surfaces, warp_followup
from tests.surface.register._pairs import big_patch, make_pair


@pytest.fixture(scope="module")
def patch():
    return big_patch()


def test_invalid_input(patch):
    pair = make_pair(patch)
    empty = HeightMap(np.full((40, 40), np.nan), 0.05, 0.05)
    with pytest.raises(EmptySurfaceError):
        register_surfaces(empty, pair.followup)
    with pytest.raises(InvalidParameterError, match="min_overlap_fraction"):
        register_surfaces(pair.baseline, pair.followup, min_overlap_fraction=1.5)


@pytest.mark.parametrize(
    ("theta_deg", "scale", "shift_mm", "tilt"),
    [
        (3.0, 1.0, (1.3, -0.7), (0.0, 0.0)),
        (-4.0, 1.01, (-2.1, 1.6), (0.01, -0.02)),
        (25.0, 1.0, (2.0, -3.0), (0.0, 0.01)),
        (1.5, 0.99, (6.0, 1.0), (-0.02, 0.0)),  # about 60% overlap
        (90.0, 1.0, (15.5, 0.3), (0.0, 0.0)),  # scanner turned a quarter
    ],
)
def test_recovers_known_transform(patch, theta_deg, scale, shift_mm, tilt):
    pair = make_pair(patch, theta_deg=theta_deg, scale=scale, shift_mm=shift_mm, tilt=tilt, z_offset_mm=0.3,
                     noise_um=1.0)
    reg = register_surfaces(pair.baseline, pair.followup)
    assert abs(reg.dx_mm - shift_mm[0]) < 0.05
    assert abs(reg.dy_mm - shift_mm[1]) < 0.05
    assert abs(reg.rotation_deg - theta_deg) < 0.2
    assert abs(reg.scale - scale) < 0.002
    # the follow-up got a +tilt plane in its own coordinates; on the baseline grid the plane that
    # takes it back is minus that gradient, turned by theta and divided by the scale
    th = np.deg2rad(theta_deg)
    m = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    expected = -(m @ np.array(tilt)) / scale**2
    assert reg.z_slope_x == pytest.approx(expected[0], abs=2e-3)
    assert reg.z_slope_y == pytest.approx(expected[1], abs=2e-3)
    assert reg.residual_rms_mm < 0.005
    assert reg.inlier_fraction > 0.9
    # transform maps follow-up points onto the baseline points they were sampled from
    pf = np.array([[3.0, 4.0], [10.0, 2.0]])
    np.testing.assert_allclose(reg.follow_to_base(pf), pf @ m.T + np.array(shift_mm), atol=0.05)
    np.testing.assert_allclose(reg.base_to_follow(reg.follow_to_base(pf)), pf, atol=1e-9)


def test_missing_points_and_different_pixel_sizes():
    holed = big_patch(holes=25)
    pair = make_pair(holed, theta_deg=-3.0, shift_mm=(-1.0, 0.8))
    assert np.isnan(pair.baseline.z).any() and np.isnan(pair.followup.z).any()
    reg = register_surfaces(pair.baseline, pair.followup)
    assert (reg.dx_mm, reg.dy_mm) == pytest.approx((-1.0, 0.8), abs=0.05)
    assert reg.rotation_deg == pytest.approx(-3.0, abs=0.2)
    # the same follow-up sampled at 0.06 mm instead of 0.05 mm: positions are in mm, so scale stays 1
    f = pair.followup
    n = int(f.nx * 0.05 / 0.06)
    yy, xx = np.mgrid[0:n, 0:n] * 0.06
    coarse = HeightMap(ndimage.map_coordinates(f.z, [yy / 0.05, xx / 0.05], order=1, cval=np.nan), 0.06, 0.06)
    reg2 = register_surfaces(pair.baseline, coarse)
    assert (reg2.dx_mm, reg2.dy_mm) == pytest.approx((-1.0, 0.8), abs=0.05)
    assert reg2.rotation_deg == pytest.approx(-3.0, abs=0.2)
    assert reg2.scale == pytest.approx(1.0, abs=0.002)


def test_rigid_option_keeps_scale_one(patch):
    pair = make_pair(patch, theta_deg=4.0, shift_mm=(0.5, 0.5))
    reg = register_surfaces(pair.baseline, pair.followup, estimate_scale=False)
    assert reg.scale == pytest.approx(1.0, abs=1e-9)
    assert reg.rotation_deg == pytest.approx(4.0, abs=0.2)


def test_overlap_fraction_matches_geometry(patch):
    pair = make_pair(patch, shift_mm=(4.0, 0.0))
    reg = register_surfaces(pair.baseline, pair.followup)
    n = pair.baseline.nx
    expected = (n - round(4.0 / 0.05)) / n  # a pure x shift of 4 mm leaves this share covered
    assert reg.overlap_fraction == pytest.approx(expected, abs=0.01)
    assert reg.to_json()["overlap_fraction"] == reg.overlap_fraction


def test_repositioned_unchanged_surface_shows_no_change(patch):
    pair = make_pair(patch, theta_deg=-2.0, shift_mm=(0.8, 1.1), tilt=(0.01, 0.01), z_offset_mm=-0.2)
    reg = register_surfaces(pair.baseline, pair.followup)
    diff = warp_followup(pair.baseline, pair.followup, reg) - pair.baseline.z
    inner = diff[20:-20, 20:-20]
    inner = inner[np.isfinite(inner)]
    assert inner.size > 0.5 * diff.size
    # bilinear resampling of 8 um texture leaves a few micrometres; scars up to 1 mm deep are gone
    assert np.sqrt(np.mean(inner**2)) < 0.004
    assert np.percentile(np.abs(inner), 99.9) < 0.03


@pytest.mark.parametrize("shift_mm", [(13.5, 12.0), (-14.0, 3.0)])
def test_too_small_overlap_raises(patch, shift_mm):
    pair = make_pair(patch, shift_mm=shift_mm)
    with pytest.raises(RegistrationError, match="overlap|does not match|covers only"):
        register_surfaces(pair.baseline, pair.followup)


def test_unrelated_surfaces_raise(patch):
    other = big_patch(seed=11)
    a = make_pair(patch).baseline
    b = make_pair(other).baseline
    with pytest.raises(RegistrationError):
        register_surfaces(a, b)


@pytest.fixture(scope="module")
def cheek():
    """A convex cheek (radius 40 mm) with tilt: form ~1 mm across the field, far above the scars."""
    from scarwise.surface.synthetic import make_skin_patch

    return make_skin_patch(nx=480, ny=480, pixel_mm=0.05, seed=9, n_scars=6, curvature_radius_mm=40.0,
                           tilt=(0.03, -0.02))


def test_curved_cheek_is_registered(cheek):
    pair = make_pair(cheek, theta_deg=5.0, shift_mm=(2.0, 2.0), tilt=(0.01, 0.01), noise_um=1.0)
    reg = register_surfaces(pair.baseline, pair.followup)
    assert (reg.dx_mm, reg.dy_mm) == pytest.approx((2.0, 2.0), abs=0.05)
    assert reg.rotation_deg == pytest.approx(5.0, abs=0.2)
    assert reg.match > 0.9


def test_small_overlap_on_curved_cheek_is_refused_not_misaligned(cheek):
    # about 16% true overlap: a wrong alignment with more overlap must not slip through
    pair = make_pair(cheek, theta_deg=1.0, shift_mm=(13.0, 2.0), noise_um=1.0)
    with pytest.raises(RegistrationError):
        register_surfaces(pair.baseline, pair.followup)
