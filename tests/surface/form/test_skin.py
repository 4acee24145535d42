"""Robust skin level: exact on quadratic form, not dragged by scars, brute-force regression check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.surface.form import skin_level
from scarwise.surface.form._skin import _ALPHA, _LocalQuadratic
from scarwise.surface.synthetic import make_skin_patch


def grid(nx: int, ny: int, dx: float, dy: float):
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    return x * dx, y * dy


# --- invalid input first -------------------------------------------------------------------------
def test_invalid_input():
    x, _ = grid(50, 40, 0.05, 0.05)
    surface = HeightMap(x * 0.0, 0.05, 0.05)
    with pytest.raises(InvalidParameterError, match="HeightMap"):
        skin_level(x)
    with pytest.raises(InvalidParameterError, match="cutoff_mm"):
        skin_level(surface, cutoff_mm=0.0)
    with pytest.raises(InvalidParameterError, match="cutoff_mm"):
        skin_level(surface, cutoff_mm=float("nan"))
    with pytest.raises(InvalidParameterError, match="iterations"):
        skin_level(surface, iterations=-1)
    with pytest.raises(InvalidParameterError, match="iterations"):
        skin_level(surface, iterations=True)
    with pytest.raises(EmptySurfaceError):
        skin_level(HeightMap(np.full((20, 20), np.nan), 0.05, 0.05))


# --- form is followed ------------------------------------------------------------------------------
@pytest.mark.parametrize(("dx", "dy"), [(0.05, 0.05), (0.03, 0.07)])
def test_plane_is_reproduced_exactly(dx, dy):
    x, y = grid(240, 160, dx, dy)
    z = 0.2 + 0.05 * x - 0.03 * y
    level = skin_level(HeightMap(z, dx, dy))
    np.testing.assert_allclose(level, z, atol=1e-5)  # 10 nm: the tiny ridge on the slope terms


@pytest.mark.parametrize(("radius_mm", "max_err_mm"), [(40.0, 0.001), (20.0, 0.008)])
def test_curved_tilted_cheek_is_followed(radius_mm, max_err_mm):
    # A convex spherical cheek tilted 3 degrees over a 15 mm patch: a local quadratic follows it;
    # what remains is the sphere's quartic term, x^4 / (8 R^3) over the kernel, largest in the
    # corners (about 6 um at R = 20 mm, where the corners slope 30 degrees) and < 0.5 um inside.
    x, y = grid(300, 300, 0.05, 0.05)
    rho2 = (x - 7.5) ** 2 + (y - 7.5) ** 2
    z = np.sqrt(radius_mm**2 - rho2) - radius_mm + math.tan(math.radians(3)) * x
    err = np.abs(skin_level(HeightMap(z, 0.05, 0.05)) - z)
    assert err.max() < max_err_mm
    assert err[75:225, 75:225].max() < 0.0005


def test_deep_scars_do_not_drag_the_level():
    # 25% of a plane covered by 0.5 mm deep pits: the level stays on the plane.
    x, y = grid(300, 300, 0.05, 0.05)
    plane = 0.02 * x + 0.01 * y
    z = plane.copy()
    pits = (np.hypot((x % 5.0) - 2.5, (y % 5.0) - 2.5) < 1.4)
    assert 0.2 < pits.mean() < 0.3
    z[pits] -= 0.5
    level = skin_level(HeightMap(z, 0.05, 0.05))
    assert np.abs(level - plane).max() < 0.003
    plain = skin_level(HeightMap(z, 0.05, 0.05), iterations=0)  # non-robust: dragged down
    assert (plane - plain).max() > 0.05


def test_synthetic_cheek_with_scars_holes_and_texture():
    patch = make_skin_patch(nx=400, ny=400, pixel_mm=0.03, n_scars=6, seed=4, tilt=(0.04, -0.02),
                            curvature_radius_mm=20.0, holes=3, texture_um=10.0)
    level = skin_level(patch.surface)
    assert np.isfinite(level).all()
    err = level - patch.form_mm
    assert float(np.sqrt(np.mean(err**2))) < 0.005  # texture is zero-mean: level ~ form
    for scar in patch.scars:
        i, j = round(scar.center_mm[1] / 0.03), round(scar.center_mm[0] / 0.03)
        assert abs(err[i, j]) < 0.015, scar


def test_local_quadratic_matches_brute_force_weighted_least_squares():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(30, 34))
    weights = rng.uniform(0.0, 1.0, size=values.shape)
    weights[5:9, 10:20] = 0.0
    sigma_x, sigma_y = 2.5, 3.1
    fast = _LocalQuadratic(sigma_x=sigma_x, sigma_y=sigma_y)(values, weights)
    yy, xx = np.mgrid[0:30, 0:34].astype(float)
    for i, j in [(0, 0), (15, 17), (7, 14), (29, 33), (3, 30)]:
        u, v = (xx - j) / sigma_x, (yy - i) / sigma_y
        inside = (np.abs(xx - j) <= math.ceil(3 * sigma_x)) & (np.abs(yy - i) <= math.ceil(3 * sigma_y))
        g = np.exp(-0.5 * (u**2 + v**2)) * weights * inside
        design = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1).reshape(-1, 6)
        sw = np.sqrt(g.ravel())
        coef, *_ = np.linalg.lstsq(design * sw[:, None], values.ravel() * sw, rcond=None)
        np.testing.assert_allclose(fast[i, j], coef, atol=2e-3)


def test_iso_gaussian_constant():
    # ISO 16610-61: the Gaussian weight's transmission is 50% at the cutoff wavelength.
    assert math.exp(-math.pi * _ALPHA**2) == pytest.approx(0.5)


def test_sparse_scattered_points_still_give_a_level():
    # 3% of the points of a tilted plane, scattered: cells the regular sampling misses fall back
    # to the median of all their valid pixels.
    rng = np.random.default_rng(2)
    x, y = grid(300, 300, 0.02, 0.02)
    z = np.where(rng.random(x.shape) < 0.97, np.nan, 0.05 * x - 0.02 * y)
    level = skin_level(HeightMap(z, 0.02, 0.02))
    assert np.isfinite(level).all()
    assert np.abs(level - (0.05 * x - 0.02 * y)).max() < 0.005


def test_irregular_missing_border_does_not_bias_the_level():
    # Valid only inside a 6.5 mm disk of a tilted, curved surface: cells cut by the border have
    # their median off-centre; the slope correction keeps the level within a few um of the form.
    x, y = grid(500, 500, 0.03, 0.03)
    form = 0.05 * x - 0.03 * y + np.sqrt(30.0**2 - (x - 7.5) ** 2 - (y - 7.5) ** 2) - 30.0
    z = np.where(np.hypot(x - 7.5, y - 7.5) < 6.5, form, np.nan)
    level = skin_level(HeightMap(z, 0.03, 0.03))
    inside = ~np.isnan(z)
    assert np.abs(level - form)[inside].max() < 0.006
