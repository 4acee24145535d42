"""Height parameters Sa, Sq, Sp, Sv, Sz, Ssk, Sku (ISO 25178-2:2021, 4.1).

All are computed over the valid points of the surface as given, about their arithmetic mean
(the mean plane of a surface levelled by least squares): with ``d = z - mean(z)`` in um,
``Sa = mean|d|``, ``Sq = sqrt(mean d**2)``, ``Sp = max d``, ``Sv = -min d``, ``Sz = Sp + Sv``,
``Ssk = mean d**3 / Sq**3``, ``Sku = mean d**4 / Sq**4`` (NaN for a perfectly flat surface).
This is surfalize's ``height_parameters`` with missing points left out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numba
import numpy as np
from numpy.typing import NDArray

#: Heights are in mm in a HeightMap; height parameters are reported in um.
UM_PER_MM = 1000.0


@functools.cache
def make_height_moments() -> Callable[[NDArray[np.float64]], tuple]:
    """Compiled two-pass kernel: ``(n, mean, sum|d|, sum d^2, sum d^3, sum d^4, min d, max d)``."""

    @numba.njit(cache=True, nogil=True)
    def height_moments(z):  # z: (ny, nx) float64, NaN = missing
        n = 0
        total = 0.0
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                v = z[i, j]
                if v == v:
                    n += 1
                    total += v
        mean = total / n if n > 0 else math.nan
        s1 = s2 = s3 = s4 = 0.0
        lo = math.inf
        hi = -math.inf
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                v = z[i, j]
                if v == v:
                    d = v - mean
                    d2 = d * d
                    s1 += abs(d)
                    s2 += d2
                    s3 += d2 * d
                    s4 += d2 * d2
                    lo = min(lo, d)
                    hi = max(hi, d)
        return n, mean, s1, s2, s3, s4, lo, hi

    return height_moments


def height_moments(z_mm: NDArray[np.float64]) -> tuple:
    """``(n, mean, sum|d|, sum d^2, sum d^3, sum d^4, min d, max d)`` of the valid heights (mm)."""
    return make_height_moments()(np.ascontiguousarray(z_mm, dtype=np.float64))


def height_parameters(z_mm: NDArray[np.float64], *, moments: tuple | None = None) -> dict[str, float]:
    """Sa, Sq, Sp, Sv, Sz (um), Ssk, Sku (-) of the valid points of ``z_mm`` (mm, NaN = missing).

    ``moments`` is :func:`height_moments` of ``z_mm`` when already computed.
    """
    n, _, s1, s2, s3, s4, lo, hi = height_moments(z_mm) if moments is None else moments
    sq_mm = math.sqrt(s2 / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ssk = float(np.float64(s3 / n) / np.float64(sq_mm) ** 3)
        sku = float(np.float64(s4 / n) / np.float64(sq_mm) ** 4)
    return {
        "Sa": s1 / n * UM_PER_MM,
        "Sq": sq_mm * UM_PER_MM,
        "Sp": hi * UM_PER_MM,
        "Sv": abs(lo) * UM_PER_MM,
        "Sz": (hi - lo) * UM_PER_MM,
        "Ssk": ssk,
        "Sku": sku,
    }

