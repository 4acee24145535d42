"""ISO 16610-61 Gaussian filters: invalid input, 50 % transmission, holes, edges, surfalize."""

import math

import numpy as np
import pytest

from scarwise.core import HeightMap, InvalidParameterError
from scarwise.surface.form import gaussian_filter, l_filter, s_filter
from scarwise.surface.form._gaussian import ALPHA


def _wave(wavelength_mm, *, n=400, dx=0.01, axis=1):
    pos = np.arange(n) * dx
    z = np.sin(2 * np.pi * pos / wavelength_mm)
    z = np.tile(z, (60, 1)) if axis == 1 else np.tile(z[:, None], (1, 60))
    return HeightMap(z, dx, dx)


@pytest.mark.parametrize("cutoff", [0.0, -1.0, math.nan, math.inf, "0.8", None])
def test_invalid_cutoff(cutoff):
    s = _wave(0.5)
    for f in (gaussian_filter, l_filter, s_filter):
        with pytest.raises(InvalidParameterError, match="must be a finite number > 0"):
            f(s, cutoff)


def test_cutoff_much_longer_than_map_refused():
    s = _wave(0.5)  # 4 mm x 0.6 mm
    with pytest.raises(InvalidParameterError, match="longest side"):
        gaussian_filter(s, 9.0)
    gaussian_filter(s, 7.9)  # up to twice the longest side is accepted


def _amplitude(z, margin):
    inner = z[:, margin:-margin] if z.shape[1] > 2 * margin else z[margin:-margin]
    return (inner.max() - inner.min()) / 2


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("ratio", [1.0, 2.0, 0.5])
def test_transmission_matches_iso_weighting(axis, ratio):
    cutoff = 0.4
    wave = _wave(cutoff * ratio, axis=axis)
    mean = gaussian_filter(wave, cutoff).z
    mean = mean if axis == 1 else mean.T
    expected = math.exp(-math.pi * (ALPHA / ratio) ** 2)  # ISO 16610-21 transmission; 0.5 at the cut-off
    assert _amplitude(mean, margin=60) == pytest.approx(expected, abs=0.005)
    if ratio == 1.0:
        assert _amplitude(mean, margin=60) == pytest.approx(0.5, abs=0.01)


def test_l_plus_mean_is_surface_and_s_filter_is_mean():
    rng = np.random.default_rng(0)
    s = HeightMap(rng.standard_normal((50, 70)), 0.01, 0.01)
    mean = gaussian_filter(s, 0.08).z
    np.testing.assert_allclose(l_filter(s, 0.08).z + mean, s.z, atol=1e-12)
    np.testing.assert_allclose(s_filter(s, 0.08).z, mean, atol=0)
    assert l_filter(s, 0.08).metadata["l_filter_mm"] == 0.08


def test_constant_kept_at_edges_and_fft_path_equals_direct():
    flat = HeightMap(np.full((30, 300), 2.5), 0.01, 0.01)
    np.testing.assert_allclose(gaussian_filter(flat, 1.5).z, 2.5, rtol=1e-12)  # long kernel: FFT path
    rng = np.random.default_rng(4)
    s = HeightMap(rng.standard_normal((40, 300)), 0.01, 0.01)
    # 0.3 mm -> 61 taps (direct); 0.32 mm -> 65 taps (FFT); compare each with a brute-force sum
    for cutoff in (0.3, 0.32):
        r = int(math.ceil(cutoff / 0.01))
        k = np.exp(-math.pi * (np.arange(-r, r + 1) * 0.01 / (ALPHA * cutoff)) ** 2)
        k /= k.sum()
        pad = np.pad(s.z, r)
        ones = np.pad(np.ones_like(s.z), r)
        # separable brute-force sums over the zero-padded map (weights and values)
        rows = sum(k[b] * pad[:, b : b + 300] for b in range(2 * r + 1))
        num = sum(k[a] * rows[a : a + 40] for a in range(2 * r + 1))
        wrows = sum(k[b] * ones[:, b : b + 300] for b in range(2 * r + 1))
        den = sum(k[a] * wrows[a : a + 40] for a in range(2 * r + 1))
        np.testing.assert_allclose(gaussian_filter(s, cutoff).z, num / den, atol=1e-12)


def test_hole_does_not_spread():
    y, x = np.mgrid[0:120, 0:120] * 0.01
    z = 0.1 * np.sin(2 * np.pi * x / 1.0) + 0.05 * np.cos(2 * np.pi * y / 0.8)
    holed = z.copy()
    holed[50:54, 60:64] = np.nan  # small hole: filled by its surroundings
    holed[10:40, 10:40] = np.nan  # hole much wider than the cut-off: NaN at its centre
    mean = gaussian_filter(HeightMap(holed, 0.01, 0.01), 0.05).z
    outside = ~np.isnan(holed)
    assert np.isfinite(mean[outside]).all()
    assert np.isfinite(mean[50:54, 60:64]).all()
    assert np.isnan(mean[20:30, 20:30]).all()
    full = gaussian_filter(HeightMap(z, 0.01, 0.01), 0.05).z
    # away from holes the result is the hole-free one; next to them still close (smooth surface)
    np.testing.assert_allclose(mean[70:, 70:], full[70:, 70:], atol=1e-12)
    assert np.nanmax(np.abs(mean - full)[outside]) < 0.01
    rough = l_filter(HeightMap(holed, 0.01, 0.01), 0.05).z
    np.testing.assert_array_equal(np.isnan(rough), np.isnan(holed))
    np.testing.assert_array_equal(np.isnan(s_filter(HeightMap(holed, 0.01, 0.01), 0.05).z), np.isnan(holed))


def test_matches_surfalize_gaussian_filter_away_from_edges():
    surfalize = pytest.importorskip("surfalize")
    rng = np.random.default_rng(2)
    z = rng.standard_normal((120, 150)) * 0.01
    cutoff = 0.1  # mm; 10 px
    ours = gaussian_filter(HeightMap(z, 0.01, 0.01), cutoff).z
    theirs = surfalize.Surface(z * 1000, 10.0, 10.0).filter("lowpass", cutoff * 1000).data / 1000
    # Same sigma (cutoff * sqrt(ln2 / 2) / pi). surfalize truncates at 4 sigma (0.75 cutoff), we at
    # 5.3 sigma (the cut-off): the weight between is 6e-5 of the total, so |difference| < 1e-4 * max|z|.
    # At the edges surfalize reflects the data and we renormalize, so only the interior is compared.
    m = 10
    assert np.abs(ours[m:-m, m:-m] - theirs[m:-m, m:-m]).max() < 1e-4 * np.abs(z).max()
    assert np.abs(ours[m:-m, m:-m]).max() > 1e-3 * np.abs(z).max()  # not trivially zero
    highpass = surfalize.Surface(z * 1000, 10.0, 10.0).filter("highpass", cutoff * 1000).data / 1000
    ours_l = l_filter(HeightMap(z, 0.01, 0.01), cutoff).z
    assert np.abs(ours_l[m:-m, m:-m] - highpass[m:-m, m:-m]).max() < 1e-4 * np.abs(z).max()
