"""Compiled pieces of the spatial parameters against the scipy calls they replace."""

import numpy as np
import pytest
from scipy import ndimage

from scarwise.core import HeightMap
from scarwise.surface.iso25178 import _spatial, areal_parameters
from scarwise.surface.iso25178._spatial import _RAY_SAMPLES, _acf_window, make_ray_crossings


def test_ray_crossings_equal_map_coordinates_argmin():
    rng = np.random.default_rng(0)
    acf = ndimage.gaussian_filter(rng.standard_normal((90, 100)), 3.0)
    offsets = rng.integers(-25, 26, size=(200, 2)).astype(np.float64)
    cy, cx, threshold = 45.0, 50.0, 0.01
    coef = ndimage.spline_filter(acf, order=3, mode="mirror")
    ours = make_ray_crossings()(coef, cy, cx, offsets, _RAY_SAMPLES, threshold)
    t = np.linspace(0.0, 1.0, _RAY_SAMPLES)
    coords = np.array([(cy + offsets[:, 0, None] * t).ravel(), (cx + offsets[:, 1, None] * t).ravel()])
    along = ndimage.map_coordinates(acf, coords, order=3).reshape(len(offsets), _RAY_SAMPLES)
    np.testing.assert_array_equal(ours, np.argmin(np.abs(along - threshold), axis=1))


def test_acf_window_is_the_unbiased_linear_acf():
    rng = np.random.default_rng(1)
    d = rng.standard_normal((30, 40))
    d -= d.mean()
    h = (5, 7)
    acf = _acf_window(d.astype(np.float32), h)
    for ty in (-5, 0, 3):
        for tx in (-7, -2, 0, 6):
            a = d[max(0, -ty) : 30 - max(0, ty), max(0, -tx) : 40 - max(0, tx)]
            b = d[max(0, ty) : 30 + min(0, ty), max(0, tx) : 40 + min(0, tx)]
            expected = (a * b).mean()
            assert abs(acf[h[0] + ty, h[1] + tx] - expected) < 1e-5 * (d**2).mean()


@pytest.mark.parametrize("first", [(20, 20), (299, 299)])
def test_window_growth_gives_surfalize_sal_and_str(monkeypatch, first):
    surfalize = pytest.importorskip("surfalize")
    # long correlation: a window of 20 lags must grow (x4 per step) until the region fits
    monkeypatch.setattr(_spatial, "_first_window", lambda d32: first)
    rng = np.random.default_rng(3)
    z = ndimage.gaussian_filter(rng.standard_normal((300, 300)), (12.0, 25.0)) * 0.01
    p = areal_parameters(HeightMap(z, 0.01, 0.01), parameters=["Sal", "Str"])
    s = surfalize.Surface(z * 1000, 10.0, 10.0)
    assert p["Sal"] * 1000 == pytest.approx(s.Sal(), rel=2e-3)  # tolerance as in test_vs_surfalize
    assert p["Str"] == pytest.approx(s.Str(), rel=2e-3)
