"""Agreement with surfalize 0.19, run side by side on the same levelled data.

surfalize takes heights and steps in the same unit; we pass um for both, so its heights,
volumes, Sal and Ssw come out in um (ours: Sal and Ssw in mm, converted below).
"""

import warnings

import numpy as np
import pytest
from scipy import ndimage

from scarwise.core import HeightMap
from scarwise.surface.form import remove_form
from scarwise.surface.iso25178 import PARAMETERS, areal_parameters

surfalize = pytest.importorskip("surfalize")

DX_MM = 0.02

#: Relative tolerance per parameter, with the reason.
#: - 1e-9: same formula, only floating-point summation order differs.
#: - Sal, Str 2e-3: our ACF transform is single precision; a threshold crossing may move by one of
#:   the 1000 samples of its ray (1e-3 of the ray length).
#: - Std, Ssw 1e-12: argmax of the same float64 spectrum (a bin can only move on an exact tie).
#: - feature parameters 1e-9: the same segmentation and pruning, step for step.
TOLERANCE = {**dict.fromkeys(PARAMETERS, 1e-9), "Sal": 2e-3, "Str": 2e-3, "Std": 1e-12, "Ssw": 1e-12}


def _random_rough(seed=0, shape=(150, 190)):
    rng = np.random.default_rng(seed)
    z = ndimage.gaussian_filter(rng.standard_normal(shape), (2.0, 3.5)) * 0.02
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]] * DX_MM
    return z + 0.05 * x - 0.02 * y  # tilted: both sides level first


def _scar_like(seed=1, shape=(160, 200)):
    rng = np.random.default_rng(seed)
    z = ndimage.gaussian_filter(rng.standard_normal(shape), 1.5) * 0.008
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]] * DX_MM
    r_ice = np.hypot(x - 1.0, y - 1.2)
    z -= 0.3 * np.clip(1 - r_ice / 0.15, 0, None)  # icepick: a cone 0.3 mm deep
    r_box = np.hypot(x - 2.6, y - 1.8)
    z -= 0.15 / (1 + np.exp((r_box - 0.5) / 0.03))  # boxcar: flat floor, steep walls
    z -= 0.1 * np.exp(-((x - 3.2) ** 2 + (y - 0.6) ** 2) / 0.2)  # rolling
    return z + 0.01 * (x - 2) ** 2 + 0.03 * y  # cheek curvature and tilt


def _surfalize_values(z_mm, names):
    s = surfalize.Surface(z_mm * 1000, DX_MM * 1000, DX_MM * 1000).level()
    theirs = s.roughness_parameters([n for n in names if n in s.AVAILABLE_PARAMETERS])
    theirs["Std"] = s.Std()
    theirs["Smc"] = s.Smc(10)
    theirs["Smr"] = s.Smr(float(s.data.max()) - 1.0)  # our c: 1 um below the highest point
    for key in ("Sal", "Ssw"):
        theirs[key] /= 1000  # um -> mm
    for key in ("Spd", "Svd"):
        theirs[key] *= 1e6  # 1/um^2 -> 1/mm^2
    for key in ("Spc", "Svc"):
        theirs[key] *= 1e3  # 1/um -> 1/mm
    return theirs


@pytest.mark.parametrize("make", [_random_rough, _scar_like])
def test_every_shared_parameter_agrees(make):
    z = make()
    ours = areal_parameters(remove_form(HeightMap(z, DX_MM, DX_MM)), parameters=PARAMETERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _surfalize_values(z, PARAMETERS)
    assert set(theirs) == set(PARAMETERS)  # every parameter we compute, surfalize computes too
    for name in PARAMETERS:
        assert ours[name] == pytest.approx(theirs[name], rel=TOLERANCE[name], abs=1e-12, nan_ok=True), name
    if make is _random_rough:  # (on the scar-like map 5 % of Sz prunes every motif: zero densities)
        assert np.isfinite([ours[k] for k in ("Svd", "Svc", "S5v", "S10z", "Spc")]).all()  # not trivially NaN


def test_feature_motif_at_a_missing_point_is_left_out():
    z = _random_rough(seed=4, shape=(120, 140))
    s = remove_form(HeightMap(z, DX_MM, DX_MM))
    names = ["Svd", "S5v"]
    full = areal_parameters(s, parameters=names)
    pit = np.unravel_index(np.argmin(s.z[5:-5, 5:-5]), (110, 130))
    holed = s.z.copy()
    holed[pit[0] + 5, pit[1] + 5] = np.nan  # at the deepest pit
    cut = areal_parameters(s.with_z(holed), parameters=names)
    valid_share = np.isfinite(holed).mean()
    # one pit fewer, over an area smaller by the missing point's share
    assert cut["Svd"] * valid_share == pytest.approx(full["Svd"] - 1 / ((119 * 139) * DX_MM**2), rel=1e-9)
    assert cut["S5v"] < full["S5v"]


def test_missing_points_left_out_or_filled():
    z = _scar_like(seed=5, shape=(96, 120))
    holed = z - z.mean()  # datum at the mean, as our Smc takes it
    holed[40:44, 50:60] = np.nan
    holed[0, 0] = np.nan
    s = HeightMap(holed, DX_MM, DX_MM)
    ours = areal_parameters(s)
    valid = ~np.isnan(holed)
    # height and material parameters: those of the valid points alone, i.e. surfalize's with the
    # missing points masked out (it leaves masked points out of both)
    masked = surfalize.Surface(np.where(valid, holed, 0.0) * 1000, DX_MM * 1000, DX_MM * 1000, mask=~valid)
    names = ("Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku", "Sk", "Spk", "Svk", "Smr1", "Smr2", "Vmp", "Vmc", "Vvv")
    theirs = masked.roughness_parameters(names)
    theirs["Smc"] = masked.Smc(10) - np.nanmean(holed) * 1000
    for name in (*names, "Smc"):
        assert ours[name] == pytest.approx(theirs[name], rel=1e-9, abs=1e-9), name
    # Sdq: differences touching a missing point are left out
    gx = np.diff(holed, axis=1) / DX_MM
    gy = np.diff(holed, axis=0) / DX_MM
    assert ours["Sdq"] == pytest.approx(np.sqrt(np.nanmean(gx**2) + np.nanmean(gy**2)), rel=1e-12)
    # FFT-based parameters: missing points filled with the mean of the valid ones
    filled = np.where(valid, holed, np.nanmean(holed))
    from_filled = areal_parameters(HeightMap(filled, DX_MM, DX_MM), parameters=["Sal", "Str", "Std", "Ssw"])
    for name in ("Sal", "Str", "Std", "Ssw"):
        assert ours[name] == pytest.approx(from_filled[name], rel=1e-6), name
    assert all(np.isfinite(v) for v in ours.values())
