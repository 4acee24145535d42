"""Material-ratio (Abbott-Firestone) parameters (ISO 25178-2:2021, 4.4 and 4.5; ISO 13565-2).

The areal material ratio curve is sampled as surfalize samples it: at ``NBINS`` = 10 000
material ratios ``mr`` equally spaced from 0 to 100 %, the height at ``mr`` being the
``1 - mr/100`` quantile of the valid heights (linear interpolation between order statistics,
numpy's default ``quantile`` method), from one sort of the valid heights.

From that curve, as in surfalize 0.19 (``AbbottFirestoneCurve``):

- Sk, Spk, Svk, Smr1, Smr2, Spkx, Svkx, Sak1, Sak2: the central 40 % window of smallest secant
  slope (first one on ties), a least-squares equivalent line through the curve points in it,
  its heights at 0 % and 100 % bound the core; Spk = 2 Sak1 / Smr1 and Svk = 2 Sak2 /
  (100 - Smr2), with the peak and dale areas integrated (trapezoid rule) up to the curve point
  closest to the core limit.
- Vmp (p = 10 %), Vmc (10 %, 80 %), Vvc (10 %, 80 %), Vvv (80 %): material and void volumes per
  unit area, integrated up to the curve point closest to the height at p (trapezoid rule), in
  um (= um^3/um^2 = ml/m^2).
- Sxp = Smc(2.5 %) - Smc(50 %) and Sdc, the same height difference under its 2021 name.

Two parameters need a stated reference (surfalize takes it from the caller):

- Smr (%) at a height ``c`` given as a depth *below the highest point* (default 1 um, the
  MountainsMap convention), so that the value does not depend on the height datum.
- Smc (um) at material ratio ``p`` (default 10 %), as a height above the mean plane (the mean
  of the valid heights; on a least-squares levelled surface this is surfalize's datum).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Number of material-ratio classes of the sampled curve (surfalize's default).
NBINS = 10_000
#: Width of the equivalent-line window in % (ISO 25178-2, ISO 13565-2).
EQUIVALENCE_LINE_WIDTH = 40.0


def quantiles(z: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.quantile(z[~isnan(z)], q)`` (linear method), from one in-place sort of the valid heights.

    numpy's ``quantile`` partitions around every wanted rank, which is several times slower than
    one (SIMD) sort when 20 000 ranks are wanted; the interpolation below is numpy's, term by term.
    """
    values = z[~np.isnan(z)] if np.isnan(z).any() else z.ravel().copy()
    values.sort()
    n = values.size
    virtual = n * q + (1.0 + q * (1.0 - 1.0 - 1.0)) - 1.0  # numpy's linear method: q (n - 1)
    below = np.clip(np.floor(virtual), 0, n - 1).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    a, b = values[below], values[above]
    t = virtual - below
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)


def _trapezoid_abs(y: NDArray[np.float64], x: NDArray[np.float64]) -> float:
    """``|np.trapezoid(y, x)|`` (written out: ``np.trapezoid`` is numpy >= 2 only)."""
    if y.size < 2:
        return 0.0
    return float(abs((np.diff(x) * (y[1:] + y[:-1]) / 2.0).sum()))


def material_parameters(z_mm: NDArray[np.float64], mean_mm: float, *, smr_c_um: float, smc_p_percent: float) -> dict:
    """All material-ratio parameters of the heights ``z_mm`` (mm, NaN = missing) about ``mean_mm``."""
    mr = np.linspace(0.0, 100.0, NBINS)
    height = (quantiles(z_mm, 1.0 - mr / 100.0) - mean_mm) * 1000.0  # um above the mean, non-increasing
    h_asc, mr_asc = height[::-1], mr[::-1]

    def mc(p: float) -> float:
        return float(np.interp(p, mr, height))

    def smr(c: float) -> float:
        return float(np.interp(c, h_asc, mr_asc))

    starts = np.flatnonzero(mr <= 100.0 - EQUIVALENCE_LINE_WIDTH)
    slopes = (np.interp(mr[starts] + EQUIVALENCE_LINE_WIDTH, mr, height) - height[starts]) / EQUIVALENCE_LINE_WIDTH
    i0 = int(np.argmax(slopes))  # smallest |slope|, the first on ties
    i1 = int(np.searchsorted(mr, mr[i0] + EQUIVALENCE_LINE_WIDTH, side="right"))
    slope, intercept = np.polyfit(mr[i0:i1], height[i0:i1], 1)
    y_upper = float(intercept)
    y_lower = float(slope * 100.0 + intercept)
    smr1, smr2 = smr(y_upper), smr(y_lower)
    k_up = int(np.argmin(np.abs(height - y_upper)))
    k_lo = int(np.argmin(np.abs(height - y_lower)))
    sak1 = _trapezoid_abs(mr[:k_up], height[:k_up])
    sak2 = _trapezoid_abs(100.0 - mr[k_lo:], height[k_lo:])

    def vm(p: float) -> float:
        k = int(np.argmin(np.abs(height - mc(p))))
        return _trapezoid_abs(mr[:k], height[:k]) / 100.0

    def vv(p: float) -> float:
        k = int(np.argmin(np.abs(height - mc(p))))
        return _trapezoid_abs(100.0 - mr[k:], height[k:]) / 100.0

    sxp = mc(2.5) - mc(50.0)
    return {
        "Sk": y_upper - y_lower,
        "Spk": 2.0 * sak1 / smr1 if sak1 > 0 else 0.0,
        "Svk": 2.0 * sak2 / (100.0 - smr2) if sak2 > 0 else 0.0,
        "Spkx": float(height[0]) - y_upper,
        "Svkx": y_lower - float(height[-1]),
        "Sak1": sak1,
        "Sak2": sak2,
        "Smr1": smr1,
        "Smr2": smr2,
        "Smr": smr(float(height[0]) - smr_c_um),
        "Smc": mc(smc_p_percent),
        "Sxp": sxp,
        "Sdc": sxp,
        "Vmp": vm(10.0),
        "Vmc": vm(80.0) - vm(10.0),
        "Vvc": vv(10.0) - vv(80.0),
        "Vvv": vv(80.0),
    }
