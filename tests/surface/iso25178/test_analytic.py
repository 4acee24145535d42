"""Areal parameters on surfaces whose values are worked out by hand."""

import math

import numpy as np
import pytest

from scarwise.core import HeightMap
from scarwise.surface.iso25178 import areal_parameters

A_MM = 0.002  # 2 um amplitude
WAVE_MM = 0.32
DX = 0.01  # 32 samples per period


def _sine(n_periods=8, rows=20, extra=0):
    x = np.arange(n_periods * 32 + extra) * DX
    return HeightMap(np.tile(A_MM * np.sin(2 * np.pi * x / WAVE_MM), (rows, 1)), DX, DX)


def test_sinusoid_height_parameters():
    p = areal_parameters(_sine(), parameters=["Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku"])
    a_um = A_MM * 1000
    # a whole number of periods sampled evenly: the discrete means equal the continuous ones
    # mean |sin| over N = 32 even samples of a period is 2 cot(pi / N) / N, -> 2 / pi as N grows
    assert p["Sa"] == pytest.approx(a_um * 2 / math.tan(math.pi / 32) / 32, rel=1e-12)
    assert p["Sa"] == pytest.approx(2 * a_um / math.pi, rel=4e-3)
    assert p["Sq"] == pytest.approx(a_um / math.sqrt(2), rel=1e-12)
    assert p["Sp"] == pytest.approx(a_um, rel=1e-12)  # the crest falls on a sample
    assert p["Sv"] == pytest.approx(a_um, rel=1e-12)
    assert p["Sz"] == pytest.approx(2 * a_um, rel=1e-12)
    assert abs(p["Ssk"]) < 1e-12
    assert p["Sku"] == pytest.approx(1.5, rel=1e-12)  # mean sin^4 / (mean sin^2)^2 = (3/8) / (1/4)


def test_sinusoid_sdq_forward_differences():
    s = _sine(extra=1)  # nx - 1 differences cover whole periods
    sdq = areal_parameters(s, parameters=["Sdq"])["Sdq"]
    # (z(x+dx) - z(x)) / dx = 2A sin(pi dx / L) cos(...) / dx; along y it is 0
    exact = math.sqrt(2) * A_MM * math.sin(math.pi * DX / WAVE_MM) / DX
    assert sdq == pytest.approx(exact, rel=1e-12)
    assert sdq == pytest.approx(2 * math.pi * A_MM / WAVE_MM / math.sqrt(2), rel=2e-3)  # continuous limit


@pytest.mark.parametrize(("gx", "gy"), [(0.1, 0.0), (0.0, 0.5), (0.3, -0.4)])
def test_tilted_plane_sdr(gx, gy):
    y, x = np.mgrid[0:30, 0:40]
    z = gx * x * 0.01 + gy * y * 0.02
    z[3:6, 3:6] = np.nan  # cells touching missing points are left out, the rest is the same plane
    p = areal_parameters(HeightMap(z, 0.01, 0.02), parameters=["Sdr", "Sdq"])
    assert p["Sdr"] == pytest.approx((math.sqrt(1 + gx**2 + gy**2) - 1) * 100, rel=1e-12)
    assert p["Sdq"] == pytest.approx(math.hypot(gx, gy), rel=1e-12)


def test_gaussian_random_surface():
    z = np.random.default_rng(7).standard_normal((256, 256)) * 0.003
    p = areal_parameters(HeightMap(z, 0.01, 0.01), parameters=["Sq", "Ssk", "Sku", "Sa"])
    # 65 536 independent samples: standard errors 0.01 (Ssk) and 0.02 (Sku)
    assert abs(p["Ssk"]) < 0.05
    assert p["Sku"] == pytest.approx(3.0, abs=0.1)
    assert p["Sa"] / p["Sq"] == pytest.approx(math.sqrt(2 / math.pi), rel=0.01)


def test_material_ratio_of_uniform_heights():
    # Evenly spaced distinct heights over [-h, h]: the material ratio curve is the straight line
    # height(mr) = h (1 - 2 mr / 100), so the core is everything and the volumes are triangles.
    h_um = 3.0
    z = np.linspace(-h_um, h_um, 4000).reshape(2, 2000) / 1000
    p = areal_parameters(HeightMap(z, 0.01, 0.01), smr_c_um=1.0, smc_p_percent=10.0)
    assert p["Sk"] == pytest.approx(2 * h_um, rel=1e-9)
    assert p["Spk"] == pytest.approx(0.0, abs=1e-9) and p["Svk"] == pytest.approx(0.0, abs=1e-9)
    assert p["Smr1"] == pytest.approx(0.0, abs=1e-9) and p["Smr2"] == pytest.approx(100.0, abs=1e-9)
    assert p["Smr"] == pytest.approx(100 * 1.0 / (2 * h_um), rel=1e-9)  # 1 um below the top
    assert p["Smc"] == pytest.approx(h_um * (1 - 2 * 0.10), rel=1e-9)  # height at 10 % above the mean
    assert p["Sxp"] == pytest.approx(h_um * (1 - 2 * 0.025), rel=1e-9)  # Smc(2.5 %) - Smc(50 %)
    assert p["Sdc"] == p["Sxp"]
    # Vm(p) = (1/100) int_0^p (height(m) - height(p)) dm = h p^2 / 1e4 and Vv(p) = h (100 - p)^2 / 1e4 (um).
    # The integrals stop at the curve sample closest to height(p): samples are 0.01 % apart, so the
    # volumes are good to about 2 * 0.005 / p relative (1e-3 at p = 10 %).
    assert p["Vmp"] == pytest.approx(h_um * 10**2 / 1e4, rel=2e-3)
    assert p["Vmc"] == pytest.approx(h_um * (80**2 - 10**2) / 1e4, rel=2e-3)
    assert p["Vvv"] == pytest.approx(h_um * 20**2 / 1e4, rel=2e-3)
    assert p["Vvc"] == pytest.approx(h_um * (90**2 - 20**2) / 1e4, rel=2e-3)


def test_sinusoid_spatial_parameters():
    s = _sine(n_periods=64, rows=16)
    p = areal_parameters(s, parameters=["Sal", "Str", "Std", "Ssw"])
    # ACF of a sine is cos(2 pi t / L) / 2: falls to 0.2 of its peak at t = L acos(0.2) / (2 pi).
    # The unbiased estimator on a finite map adds a term ~ 1 / (nx - t) (here 0.4 % of Sal).
    assert p["Sal"] == pytest.approx(WAVE_MM * math.acos(0.2) / (2 * math.pi), rel=0.01)
    assert math.isnan(p["Str"])  # along the crests it never decorrelates
    assert p["Std"] == 0.0  # wave vector along +x
    assert p["Ssw"] == pytest.approx(WAVE_MM, rel=1e-12)


@pytest.mark.parametrize("angle", [30.0, 90.0, 135.0])
def test_std_of_oblique_wave(angle):
    rows, cols = np.mgrid[0:128, 0:128]
    y_up = -rows * DX  # Std is counter-clockwise from +x with y pointing to the first row
    phi = math.radians(angle)
    z = A_MM * np.sin(2 * np.pi * (cols * DX * math.cos(phi) + y_up * math.sin(phi)) / 0.16)
    std = areal_parameters(HeightMap(z, DX, DX), parameters=["Std"])["Std"]
    assert std == pytest.approx(angle, abs=1.0)
