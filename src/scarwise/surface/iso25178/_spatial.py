"""Spatial parameters Sal, Str (autocorrelation) and Std, Ssw (spectrum); ISO 25178-2:2021, 4.2.

As surfalize 0.19 computes them, so that the two agree:

- The autocorrelation function is the unbiased linear estimator of the mean-removed heights,
  ``ACF(t) = sum z(p) z(p + t) / (number of overlapping pairs)``, from one zero-padded FFT.
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

Speed and memory: the ACF is only inverse-transformed for the lags around zero that the
region needs (the window grows until the region sits well inside it), the spectrum uses the
real-input half plane (conjugate bins weighted twice), and the ACF transform runs in single
precision (relative error ~1e-7 of ACF(0), well below the 1/1000 ray sampling), so a 2048 x 2048
map needs about 4 map-sizes of extra memory.
"""

from __future__ import annotations

import math

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


def _filled(z_mm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean-removed heights with missing points set to the mean (0 after removal)."""
    valid = ~np.isnan(z_mm)
    mean = z_mm[valid].mean() if not valid.all() else z_mm.mean()
    return np.where(valid, z_mm - mean, 0.0)


def _power_spectrum(d: NDArray[np.float64], shape: tuple[int, int]) -> NDArray[np.complex64]:
    """|FFT|^2 of ``d`` zero-padded to ``shape`` (real half plane along x), as complex64."""
    a = scipy.fft.rfft(d.astype(np.float32), n=shape[1], axis=1, workers=-1)
    f = scipy.fft.fft(a, n=shape[0], axis=0, workers=-1, overwrite_x=True)
    del a
    step = 256
    for r in range(0, f.shape[0], step):
        block = f[r : r + step]
        block[...] = block.real**2 + block.imag**2
    return f


def _acf_window(power: NDArray[np.complex64], n: tuple[int, int], h: tuple[int, int]) -> NDArray[np.float64]:
    """Unbiased linear ACF at lags |ty| <= h[0], |tx| <= h[1], zero lag at (h[0], h[1])."""
    size_y = power.shape[0]
    size_x = 2 * (power.shape[1] - 1) if power.shape[1] > 1 else 1
    rows_needed = np.arange(-h[0], h[0] + 1) % size_y
    cols = np.arange(-h[1], h[1] + 1)
    inv_y = np.empty((rows_needed.size, power.shape[1]), dtype=power.dtype)
    step = 256  # inverse along y in column blocks: only the rows of the wanted lags are kept
    for c in range(0, power.shape[1], step):
        inv_y[:, c : c + step] = scipy.fft.ifft(power[:, c : c + step], axis=0, workers=-1)[rows_needed]
    acf = scipy.fft.irfft(inv_y, n=size_x, axis=1, workers=-1)[:, cols % size_x].astype(np.float64)
    overlap = np.outer(n[0] - np.abs(np.arange(-h[0], h[0] + 1)), n[1] - np.abs(cols))
    return acf / overlap


def _decay_region(acf: NDArray[np.float64], threshold: float) -> NDArray[np.bool_]:
    labels, _ = ndimage.label(acf > threshold)
    centre = labels[acf.shape[0] // 2, acf.shape[1] // 2]
    return labels == centre


def acf_parameters(z_mm: NDArray[np.float64], dx_mm: float, dy_mm: float) -> dict[str, float]:
    """Sal (mm) and Str (-) of ``z_mm`` (mm, NaN = missing)."""
    d = _filled(z_mm)
    ny, nx = d.shape
    shape = (scipy.fft.next_fast_len(2 * ny - 1), scipy.fft.next_fast_len(2 * nx - 1, real=True))
    power = _power_spectrum(d, shape)
    hy, hx = min(ny - 1, max(4 * _MARGIN, ny // 16)), min(nx - 1, max(4 * _MARGIN, nx // 16))
    while True:
        acf = _acf_window(power, (ny, nx), (hy, hx))
        centre_value = acf[hy, hx]
        if not centre_value > 0:
            return {"Sal": math.nan, "Str": math.nan}
        threshold = ACF_THRESHOLD * centre_value
        region = _decay_region(acf, threshold)
        rows = np.flatnonzero(region.any(axis=1))
        cols = np.flatnonzero(region.any(axis=0))
        grow_y = hy < ny - 1 and (rows[0] < _MARGIN or rows[-1] > 2 * hy - _MARGIN)
        grow_x = hx < nx - 1 and (cols[0] < _MARGIN or cols[-1] > 2 * hx - _MARGIN)
        if not (grow_y or grow_x):
            break
        hy = min(ny - 1, 2 * hy) if grow_y else hy
        hx = min(nx - 1, 2 * hx) if grow_x else hx
    del power
    edge = region ^ ndimage.binary_dilation(region, iterations=1)
    idx = np.argwhere(edge)
    if idx.size == 0:
        return {"Sal": math.nan, "Str": math.nan}
    centre = np.array([hy, hx])
    t = np.linspace(0.0, 1.0, _RAY_SAMPLES)
    offsets = idx - centre
    coords = np.array(
        [(centre[0] + offsets[:, 0, None] * t[None, :]).ravel(), (centre[1] + offsets[:, 1, None] * t[None, :]).ravel()]
    )
    along = ndimage.map_coordinates(acf, coords, order=3).reshape(len(idx), _RAY_SAMPLES)
    distances = np.linalg.norm(offsets * np.array([dy_mm, dx_mm]), axis=1)
    crossing = np.argmin(np.abs(along - threshold), axis=1)
    lengths = distances * t[crossing]
    shortest, longest = float(lengths.min()), float(lengths.max())
    touches = (hy == ny - 1 and (region[0].any() or region[-1].any())) or (
        hx == nx - 1 and (region[:, 0].any() or region[:, -1].any())
    )
    return {"Sal": shortest, "Str": math.nan if touches else shortest / longest}


def spectral_parameters(z_mm: NDArray[np.float64], dx_mm: float, dy_mm: float) -> dict[str, float]:
    """Std (degrees) and Ssw (mm) of ``z_mm`` (mm, NaN = missing)."""
    d = _filled(z_mm)
    ny, nx = d.shape
    amp = np.abs(scipy.fft.rfft2(d, workers=-1))  # (ny, nx // 2 + 1)
    fy = np.fft.fftfreq(ny, d=dy_mm)
    fx = np.fft.fftfreq(nx, d=dx_mm)[: amp.shape[1]].copy()
    if nx % 2 == 0:
        fx[-1] = -fx[-1]  # the full transform lists the Nyquist column at -1/(2 dx)
    # Columns other than 0 and Nyquist stand for themselves and their conjugate mirror.
    weight = np.full(amp.shape[1], 2.0)
    weight[0] = 1.0
    if nx % 2 == 0:
        weight[-1] = 1.0
    theta = np.mod(np.rad2deg(np.arctan2(-fy[:, None], fx[None, :])), 180.0)
    nbins = int(round(180.0 / STD_ANGLE_STEP_DEG))
    bins = np.minimum((theta / STD_ANGLE_STEP_DEG).astype(np.int64), nbins - 1)
    spectrum = np.bincount(bins.ravel(), weights=(amp * weight[None, :]).ravel(), minlength=nbins)
    peak = np.unravel_index(int(np.argmax(amp)), amp.shape)
    radial = math.hypot(fx[peak[1]], fy[peak[0]])
    flat = not amp.max() > 0
    return {
        "Std": math.nan if flat else float(np.argmax(spectrum)) * STD_ANGLE_STEP_DEG,
        "Ssw": math.nan if flat or radial == 0 else 1.0 / radial,
    }
