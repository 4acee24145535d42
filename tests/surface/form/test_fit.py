"""Plane and polynomial form removal: invalid input, exact cases, agreement with surfalize."""

import numpy as np
import pytest

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.surface.form import fit_plane, fit_polynomial, remove_form


def _rough(ny=60, nx=80, seed=1, holes=False):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ny, 0:nx] * 0.02
    z = 0.05 + 0.03 * x - 0.02 * y + 0.004 * rng.standard_normal((ny, nx))
    if holes:
        z[10:15, 20:30] = np.nan
        z[rng.random((ny, nx)) < 0.02] = np.nan
    return HeightMap(z, 0.02, 0.02)


@pytest.mark.parametrize("method", ["poly", "poly:0", "poly:9", "poly:x", "cubic", "Plane", "", "poly:3 "])
def test_invalid_method_lists_choices(method):
    with pytest.raises(InvalidParameterError, match="poly:N"):
        remove_form(_rough(), method=method)


def test_invalid_method_type_and_degree():
    with pytest.raises(InvalidParameterError, match="string"):
        remove_form(_rough(), method=1)
    for degree in (-1, 9, 2.0, True):
        with pytest.raises(InvalidParameterError, match="degree"):
            fit_polynomial(_rough(), degree)


def test_too_few_points():
    with pytest.raises(EmptySurfaceError):
        remove_form(HeightMap(np.full((5, 5), np.nan), 0.1, 0.1))
    z = np.full((5, 5), np.nan)
    z[0, :4] = 1.0  # 4 points fit a plane (3 terms) but not a cubic (10 terms)
    assert np.isfinite(fit_plane(HeightMap(z, 0.1, 0.1))).all()
    with pytest.raises(EmptySurfaceError, match="lower degree"):
        remove_form(HeightMap(z, 0.1, 0.1), method="poly:3")


def test_none_returns_surface_unchanged():
    s = _rough()
    assert remove_form(s, method="none") is s


def test_plane_removed_exactly_with_holes_and_anisotropic_pixels():
    y, x = np.mgrid[0:40, 0:50]
    x_mm, y_mm = x * 0.01, y * 0.03
    z = 0.2 + 0.5 * x_mm - 0.3 * y_mm
    z[5:9, 5:9] = np.nan
    out = remove_form(HeightMap(z, 0.01, 0.03))
    assert np.isnan(out.z[5:9, 5:9]).all()  # missing stays missing
    assert np.nanmax(np.abs(out.z)) < 1e-13
    plane = fit_plane(HeightMap(z, 0.01, 0.03))
    np.testing.assert_allclose(plane, 0.2 + 0.5 * x_mm - 0.3 * y_mm, atol=1e-13)  # evaluated in the hole too


@pytest.mark.parametrize("degree", [2, 5, 8])
def test_polynomial_of_its_degree_removed_exactly(degree):
    rng = np.random.default_rng(degree)
    y, x = np.mgrid[0:50, 0:70]
    u, v = x / 69 * 2 - 1, y / 49 * 2 - 1  # polynomial in any affine coordinates has the same degree
    z = sum(rng.normal() * u**a * v**b for a in range(degree + 1) for b in range(degree + 1 - a))
    out = remove_form(HeightMap(z, 0.01, 0.01), method=f"poly:{degree}")
    assert np.abs(out.z).max() < 1e-9 * np.abs(z).max()
    # one degree lower leaves a residual
    lower = remove_form(HeightMap(z, 0.01, 0.01), method=f"poly:{degree - 1}")
    assert np.abs(lower.z).max() > 1e-4


def test_plane_matches_surfalize_level():
    surfalize = pytest.importorskip("surfalize")
    for holes in (False, True):
        s = _rough(holes=holes)
        ours = remove_form(s).z
        theirs = surfalize.Surface(s.z * 1000, 20.0, 20.0).level().data / 1000
        # both solve the same least-squares problem; only rounding differs
        np.testing.assert_allclose(ours, theirs, atol=1e-12, equal_nan=True)


def test_poly3_matches_surfalize_detrend_polynomial():
    surfalize = pytest.importorskip("surfalize")
    s = _rough(seed=3, holes=True)
    z = s.z + 0.01 * (s.x_mm[None, :] ** 3) - 0.02 * (s.y_mm[:, None] ** 2) * s.x_mm[None, :]
    s = s.with_z(z)
    ours = remove_form(s, method="poly:3").z
    theirs = surfalize.Surface(s.z * 1000, 20.0, 20.0).detrend_polynomial(degree=3).data / 1000
    np.testing.assert_allclose(ours, theirs, atol=1e-11, equal_nan=True)


def test_metadata_records_form():
    assert remove_form(_rough(), method="poly:2").metadata["form_removed"] == "poly:2"
