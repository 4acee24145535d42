"""Spatial parameters Sal, Str (autocorrelation) and Std, Ssw (spectrum); ISO 25178-2:2021, 4.2.

As surfalize 0.19 computes them, so that the two agree:

- The autocorrelation function is the unbiased linear estimator of the mean-removed heights,
  ``ACF(t) = sum z(p) z(p + t) / (number of overlapping pairs)``, from a zero-padded FFT.
- Sal (mm) and Str (-) use ``s = 0.2``: the connected region around zero lag where ACF >
  s ACF(0) is found; along the ray from the centre to every pixel just outside it the ACF is
  interpolated (cubic spline, 1000 samples) and the threshold crossing located; Sal is the
  shortest of these decay lengths and Str = shortest / longest. Str is NaN when the region
  reaches the border of the lag range (the texture does not decorrelate within the map in some
  direction); Sal is NaN only if no decay is found at all.
- Std (degrees, 0 <= Std < 180, counter-clockwise from +x with y pointing up the map, i.e. to
  the first row) is the angle of the largest angular amplitude density: the Fourier amplitudes
  of the mean-removed heights summed into 0.5 degree bins.
- Ssw (mm) is the wavelength of the largest Fourier amplitude.

Missing points are filled with the mean of the valid heights before these FFT-based
parameters (so they add nothing to the ACF or the spectrum); surfalize refuses such maps.

Speed and memory: the ACF is needed only at lags ``|t| <= h`` around zero (a window that grows
until the thresholded region sits well inside it), and circular correlation of data zero-padded
to ``n + h`` is exact there, so the transform is barely larger than the map; it runs in single
precision (relative error ~1e-7 of ACF(0), far below the 1/1000 ray sampling). The spectrum
uses the real-input half plane, conjugate bins counted twice.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numba
import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy import ndimage

#: ACF threshold s of Sal and Str (ISO 25178-3 default).
ACF_THRESHOLD = 0.2
#: Angular bin width of the amplitude density for Std, in degrees (surfalize's default).
STD_ANGLE_STEP_DEG = 0.5
#: Samples along each centre-to-edge ray of the ACF (surfalize's value).
_RAY_SAMPLES = 1000
#: Lags kept between the thresholded region and the window edge (spline end effects ~0.27**16).
_MARGIN = 16
#: Factor by which the lag window grows when the region comes closer than the margin to its edge.
_GROWTH = 4


def centred_filled(z_mm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Heights minus the mean of the valid ones, missing points set to 0 (the mean)."""
    valid = ~np.isnan(z_mm)
    mean = z_mm[valid].mean()
    return np.where(valid, z_mm - mean, 0.0)


def _acf_window(d32: NDArray[np.float32], h: tuple[int, int]) -> NDArray[np.float64]:
    """Unbiased linear ACF of ``d32`` at lags |ty| <= h[0], |tx| <= h[1], zero lag at (h[0], h[1])."""
    ny, nx = d32.shape
    size = (scipy.fft.next_fast_len(ny + h[0]), scipy.fft.next_fast_len(nx + h[1], real=True))
    f = scipy.fft.rfft2(d32, s=size, workers=-1)
    np.multiply(f, np.conj(f), out=f)
    circular = scipy.fft.irfft2(f, s=size, workers=-1)
    del f
    lag_y = np.arange(-h[0], h[0] + 1)
    lag_x = np.arange(-h[1], h[1] + 1)
    acf = circular[np.ix_(lag_y % size[0], lag_x % size[1])].astype(np.float64)
    return acf / np.outer(ny - np.abs(lag_y), nx - np.abs(lag_x))


@functools.cache
def make_ray_crossings() -> Callable[..., NDArray[np.int64]]:
    """Compiled kernel: per ray, the first sample where the cubic-spline ACF is closest to the threshold.

    ``coef`` are cubic B-spline coefficients of the ACF window (``ndimage.spline_filter``), the
    rays run from ``(cy, cx)`` to ``(cy, cx) + offsets[r]`` in ``n`` samples ``linspace(0, 1, n)``:
    what ``ndimage.map_coordinates(order=3)`` followed by ``argmin`` gives, without the point
    arrays (every sample is at least the margin inside the window).
    """

    @numba.njit(cache=True, nogil=True)
    def ray_crossings(coef, cy, cx, offsets, n, threshold):
        out = np.empty(offsets.shape[0], np.int64)
        step = 1.0 / (n - 1)
        wy = np.empty(4)
        wx = np.empty(4)
        for r in range(offsets.shape[0]):
            oy = offsets[r, 0]
            ox = offsets[r, 1]
            best = np.inf
            arg = 0
            for k in range(n):
                t = k * step if k < n - 1 else 1.0
                y = cy + oy * t
                x = cx + ox * t
                iy = int(np.floor(y))
                ix = int(np.floor(x))
                fy = y - iy
                fx = x - ix
                for w, f in ((wy, fy), (wx, fx)):
                    g = 1.0 - f
                    w[0] = g * g * g / 6.0
                    w[1] = (3.0 * f * f * f - 6.0 * f * f + 4.0) / 6.0
                    w[2] = (-3.0 * f * f * f + 3.0 * f * f + 3.0 * f + 1.0) / 6.0
                    w[3] = f * f * f / 6.0
                v = 0.0
                for a in range(4):
                    row = 0.0
                    for b in range(4):
                        row += coef[iy - 1 + a, ix - 1 + b] * wx[b]
                    v += row * wy[a]
                d = abs(v - threshold)
                if d < best:
                    best = d
                    arg = k
            out[r] = arg
        return out

    return ray_crossings


def _first_window(d32: NDArray[np.float32]) -> tuple[int, int]:
    """Lag window likely to hold the thresholded region, from the ACF of a 4x4.. block-averaged map.

    Averaging removes short-wavelength texture, so the coarse ACF decays no faster than the full
    one and its region is, if anything, larger: the window is rarely too small (then it grows).
    """
    ny, nx = d32.shape
    f = min(ny, nx) // 256
    if f < 2:
        return ny - 1, nx - 1
    cy, cx = ny // f, nx // f
    coarse = d32[: cy * f, : cx * f].reshape(cy, f, cx, f).mean(axis=(1, 3))
    acf = _acf_window(coarse, (cy - 1, cx - 1))
    if not acf[cy - 1, cx - 1] > 0:
        return ny - 1, nx - 1
    labels, _ = ndimage.label(acf > ACF_THRESHOLD * acf[cy - 1, cx - 1])
    region = labels == labels[cy - 1, cx - 1]
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    extent_y = max(cy - 1 - rows[0], rows[-1] - (cy - 1)) + 1
    extent_x = max(cx - 1 - cols[0], cols[-1] - (cx - 1)) + 1
    return (
        min(ny - 1, int(1.25 * extent_y * f) + 2 * _MARGIN),
        min(nx - 1, int(1.25 * extent_x * f) + 2 * _MARGIN),
    )


def acf_parameters(centred_mm: NDArray[np.float64], dx_mm: float, dy_mm: float) -> dict[str, float]:
    """Sal (mm) and Str (-) of mean-removed heights without missing points (:func:`centred_filled`)."""
    d32 = centred_mm.astype(np.float32)
    ny, nx = d32.shape
    hy, hx = _first_window(d32)
    while True:
        acf = _acf_window(d32, (hy, hx))
        centre_value = acf[hy, hx]
        if not centre_value > 0:
            return {"Sal": math.nan, "Str": math.nan}
        threshold = ACF_THRESHOLD * centre_value
        labels, _ = ndimage.label(acf > threshold)
        region = labels == labels[hy, hx]
        rows = np.flatnonzero(region.any(axis=1))
        cols = np.flatnonzero(region.any(axis=0))
        grow_y = hy < ny - 1 and (rows[0] < _MARGIN or rows[-1] > 2 * hy - _MARGIN)
        grow_x = hx < nx - 1 and (cols[0] < _MARGIN or cols[-1] > 2 * hx - _MARGIN)
        if not (grow_y or grow_x):
            break
        hy = min(ny - 1, _GROWTH * hy) if grow_y else hy
        hx = min(nx - 1, _GROWTH * hx) if grow_x else hx
    # crop to the region plus the margin (the spline sees the same neighbourhood, less work)
    r0, r1 = max(rows[0] - _MARGIN, 0), min(rows[-1] + _MARGIN, 2 * hy) + 1
    c0, c1 = max(cols[0] - _MARGIN, 0), min(cols[-1] + _MARGIN, 2 * hx) + 1
    touches = (hy == ny - 1 and (region[0].any() or region[-1].any())) or (
        hx == nx - 1 and (region[:, 0].any() or region[:, -1].any())
    )
    clipped = rows[0] < _MARGIN or rows[-1] > 2 * hy - _MARGIN or cols[0] < _MARGIN or cols[-1] > 2 * hx - _MARGIN
    acf, region = acf[r0:r1, c0:c1], region[r0:r1, c0:c1]
    hy, hx = hy - r0, hx - c0  # the zero lag in the cropped window
    edge = region ^ ndimage.binary_dilation(region, iterations=1)
    idx = np.argwhere(edge)
    if idx.size == 0:
        return {"Sal": math.nan, "Str": math.nan}
    centre = np.array([hy, hx])
    t = np.linspace(0.0, 1.0, _RAY_SAMPLES)
    offsets = idx - centre
    if clipped:  # rays reach the map's lag limit: scipy's own boundary handling, as surfalize
        rows_t = (centre[0] + offsets[:, 0, None] * t[None, :]).ravel()
        cols_t = (centre[1] + offsets[:, 1, None] * t[None, :]).ravel()
        along = ndimage.map_coordinates(acf, np.array([rows_t, cols_t]), order=3).reshape(len(idx), _RAY_SAMPLES)
        crossing = np.argmin(np.abs(along - threshold), axis=1)
    else:  # every ray at least the margin inside: the same cubic spline, compiled
        coef = ndimage.spline_filter(acf, order=3, mode="mirror")
        crossing = make_ray_crossings()(coef, float(hy), float(hx), offsets.astype(np.float64), _RAY_SAMPLES, threshold)
    distances = np.linalg.norm(offsets * np.array([dy_mm, dx_mm]), axis=1)
    lengths = distances * t[crossing]
    shortest, longest = float(lengths.min()), float(lengths.max())
    return {"Sal": shortest, "Str": math.nan if touches else shortest / longest}


@functools.lru_cache(maxsize=4)
def _angle_bins(ny: int, nx: int, dx_mm: float, dy_mm: float) -> tuple[NDArray[np.int16], NDArray[np.float64]]:
    """Std angle bin of every real-FFT coefficient, and the half-plane column weights."""
    fy = np.fft.fftfreq(ny, d=dy_mm)
    fx = np.fft.fftfreq(nx, d=dx_mm)[: nx // 2 + 1].copy()
    weight = np.full(fx.size, 2.0)  # a column stands for itself and its conjugate mirror...
    weight[0] = 1.0  # ...except the zero column, which holds its own mirror
    if nx % 2 == 0:
        fx[-1] = -fx[-1]  # the full transform lists the Nyquist column at -1/(2 dx)
        weight[-1] = 1.0
    theta = np.mod(np.rad2deg(np.arctan2(-fy[:, None], fx[None, :])), 180.0)
    nbins = int(round(180.0 / STD_ANGLE_STEP_DEG))
    bins = np.minimum((theta / STD_ANGLE_STEP_DEG).astype(np.int64), nbins - 1).astype(np.int16)
    bins.flags.writeable = False
    weight.flags.writeable = False
    return bins, weight


def spectral_parameters(centred_mm: NDArray[np.float64], dx_mm: float, dy_mm: float) -> dict[str, float]:
    """Std (degrees) and Ssw (mm) of mean-removed heights without missing points."""
    ny, nx = centred_mm.shape
    amp = np.abs(scipy.fft.rfft2(centred_mm, workers=-1))  # (ny, nx // 2 + 1)
    bins, weight = _angle_bins(ny, nx, float(dx_mm), float(dy_mm))
    amp_max = float(amp.max())
    peak = np.unravel_index(int(np.argmax(amp)), amp.shape)
    amp *= weight[None, :]
    nbins = int(round(180.0 / STD_ANGLE_STEP_DEG))
    spectrum = np.bincount(bins.ravel(), weights=amp.ravel(), minlength=nbins)
    fy = np.fft.fftfreq(ny, d=dy_mm)[peak[0]]
    fx = np.fft.rfftfreq(nx, d=dx_mm)[peak[1]]
    radial = math.hypot(fx, fy)
    flat = not amp_max > 0
    return {
        "Std": math.nan if flat else float(np.argmax(spectrum)) * STD_ANGLE_STEP_DEG,
        "Ssw": math.nan if flat or radial == 0 else 1.0 / radial,
    }
