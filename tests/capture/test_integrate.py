"""Integration of slopes to heights against analytic surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.capture import integrate_dct, integrate_fft, integrate_lsq, integrate_slopes
from scarwise.core import InvalidParameterError

DX, DY = 0.02, 0.025


def _grid(ny=90, nx=120):
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    return x * DX, y * DY


def _same_up_to_constant(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    d = (a - b)[ok]
    return np.abs(d - d.mean()).max()


def test_paraboloid_integrates_exactly():
    """Trapezoid steps are exact for quadratics, so the least-squares methods recover z to rounding."""
    x, y = _grid()
    z = 0.3 * (x - 1.1) ** 2 - 0.2 * (x - 1.1) * (y - 0.9) + 0.5 * (y - 0.9) ** 2 + 0.1 * x
    p = 0.6 * (x - 1.1) - 0.2 * (y - 0.9) + 0.1
    q = -0.2 * (x - 1.1) + 1.0 * (y - 0.9)
    assert _same_up_to_constant(integrate_dct(p, q, dx_mm=DX, dy_mm=DY), z) < 1e-10
    assert _same_up_to_constant(integrate_lsq(p, q, dx_mm=DX, dy_mm=DY), z) < 1e-10
    # Masked: a hole and a separate island; each region is exact up to its own constant.
    mask = np.ones_like(z, dtype=bool)
    mask[30:50, 40:70] = False
    mask[:, 100] = False
    zl = integrate_lsq(p, q, dx_mm=DX, dy_mm=DY, mask=mask)
    assert np.isnan(zl[~mask]).all()
    assert _same_up_to_constant(zl[:, :100], z[:, :100]) < 1e-8
    assert _same_up_to_constant(zl[:, 101:], z[:, 101:]) < 1e-8
    # The paraboloid is not periodic: Frankot-Chellappa on the mirrored field is close but not exact.
    range_z = np.ptp(z)
    assert _same_up_to_constant(integrate_fft(p, q, dx_mm=DX, dy_mm=DY), z) < 0.02 * range_z


def test_gaussian_bump_all_methods():
    """A bump well inside the patch: mirror extension is smooth, so Frankot-Chellappa is spectrally exact."""
    x, y = _grid(128, 128)
    s = 0.25
    r2 = (x - 1.3) ** 2 + (y - 1.6) ** 2
    z = -0.4 * np.exp(-r2 / (2 * s**2))
    p = z * (-(x - 1.3) / s**2)
    q = z * (-(y - 1.6) / s**2)
    fc = integrate_fft(p, q, dx_mm=DX, dy_mm=DY)
    assert _same_up_to_constant(fc, z) < 1e-6
    # Trapezoid differences carry O(h^2) error: within 1% of the depth at this sampling.
    for method in ("dct", "lsq"):
        zz = integrate_slopes(p, q, dx_mm=DX, dy_mm=DY, method=method)
        assert _same_up_to_constant(zz, z) < 0.01 * 0.4, method


def test_missing_slopes_are_missing_heights():
    x, y = _grid(40, 50)
    p, q = np.full(x.shape, 0.1), np.zeros(x.shape)
    p[5, 7] = np.nan
    for method in ("dct", "fft", "lsq"):
        z = integrate_slopes(p, q, dx_mm=DX, dy_mm=DY, method=method)
        assert np.isnan(z[5, 7]) and np.isfinite(z).sum() == z.size - 1
        assert _same_up_to_constant(z, 0.1 * x) < 1e-2 * 0.1 * x.max()


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="shapes differ"):
        integrate_dct(np.zeros((4, 4)), np.zeros((4, 5)), dx_mm=1, dy_mm=1)
    with pytest.raises(InvalidParameterError, match="unknown"):
        integrate_slopes(np.zeros((4, 4)), np.zeros((4, 4)), dx_mm=1, dy_mm=1, method="poisson")
    with pytest.raises(InvalidParameterError, match="dx_mm"):
        integrate_fft(np.zeros((4, 4)), np.zeros((4, 4)), dx_mm=0, dy_mm=1)
    with pytest.raises(InvalidParameterError, match="no valid"):
        integrate_lsq(np.full((4, 4), np.nan), np.zeros((4, 4)), dx_mm=1, dy_mm=1)
    with pytest.raises(InvalidParameterError, match="2 x 2"):
        integrate_dct(np.zeros((1, 4)), np.zeros((1, 4)), dx_mm=1, dy_mm=1)


def test_compiled_divergence_matches_numpy():
    from scarwise.capture._integrate import _differences, _divergence, _slope_divergence

    rng = np.random.default_rng(1)
    p, q = rng.normal(size=(7, 9)), rng.normal(size=(7, 9))
    out = np.empty((7, 9))
    _slope_divergence(p, q, DX, DY, out)
    np.testing.assert_allclose(out, _divergence(*_differences(p, q, DX, DY), (7, 9)), atol=1e-14)
