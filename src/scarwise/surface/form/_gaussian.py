"""ISO 16610-61 areal Gaussian filters (mean surface, S- and L-filters).

The weighting function is the ISO 16610-21/-61 Gaussian

    s(x) = 1 / (alpha * lc) * exp(-pi * (x / (alpha * lc))**2),   alpha = sqrt(ln 2 / pi),

whose amplitude transmission exp(-pi * (alpha * lc / lambda)**2) is 50 % at the cut-off
wavelength ``lambda = lc``; as a normal distribution its standard deviation is
``sigma = alpha * lc / sqrt(2 * pi) = 0.1874 lc`` (the same sigma surfalize's ``GaussianFilter``
passes to ``scipy.ndimage.gaussian_filter``). The areal filter is the product of two profile
filters, applied separably along x and y, each truncated at ``|x| <= lc`` (5.3 sigma; the weight
left out is below 1e-7 of the total).

Edges and missing points use normalized convolution: ``mean = (s * (z w)) / (s * w)`` with
``w`` = 1 at valid points and 0 at missing ones and outside the map. At the map's edges this is
the zero-order end-effect correction of ISO 16610-28 (the weights that fall outside are dropped
and the rest renormalized), so there is no reflection artefact; where less than
:data:`MIN_WEIGHT_FRACTION` of the full kernel weight is valid the mean is NaN. surfalize reflects
the data at the edges instead (``mode='reflect'``), so the two agree away from the edges only.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core import HeightMap, InvalidParameterError
from scarwise.core._checks import check_positive

#: alpha of the ISO 16610-21 Gaussian weighting function, sqrt(ln 2 / pi).
ALPHA = math.sqrt(math.log(2.0) / math.pi)
#: Below this share of the full kernel weight on valid points the filtered value is NaN: a hole
#: wider than about the cut-off is not filled by extrapolation from its rim.
MIN_WEIGHT_FRACTION = 0.05
#: A cut-off longer than this many times the map's longest side is refused (the filter could
#: only return the mean plane, which is surely not what was meant).
MAX_CUTOFF_OVER_EXTENT = 2.0
#: Kernels longer than this use FFT convolution; shorter ones direct convolution.
_FFT_MIN_TAPS = 64


def _kernel(cutoff_px: float) -> NDArray[np.float64]:
    """Sampled ISO Gaussian weights truncated at +-cutoff, normalized to unit sum."""
    radius = max(1, int(math.ceil(cutoff_px)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-math.pi * (x / (ALPHA * cutoff_px)) ** 2)
    return k / k.sum()


def _convolve_axis(a: NDArray[np.float64], k: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """``a`` convolved with the symmetric kernel ``k`` along ``axis``, zeros outside ('same' size)."""
    if k.size == 1:
        return a.copy()
    if k.size < _FFT_MIN_TAPS:
        return ndimage.correlate1d(a, k, axis=axis, mode="constant", cval=0.0)
    n = a.shape[axis]
    r = k.size // 2
    size = scipy.fft.next_fast_len(n + k.size - 1, real=True)
    fa = scipy.fft.rfft(a, n=size, axis=axis, workers=-1)
    fk = scipy.fft.rfft(k, n=size)
    shape = [1] * a.ndim
    shape[axis] = fk.size
    out = scipy.fft.irfft(fa * fk.reshape(shape), n=size, axis=axis, workers=-1)
    return np.take(out, np.arange(r, r + n), axis=axis)


def _check_cutoff(surface: HeightMap, name: str, cutoff_mm: float) -> None:
    check_positive(**{name: cutoff_mm})
    extent = max(surface.nx * surface.dx_mm, surface.ny * surface.dy_mm)
    if cutoff_mm > MAX_CUTOFF_OVER_EXTENT * extent:
        raise InvalidParameterError(
            f"{name} = {cutoff_mm} mm is more than {MAX_CUTOFF_OVER_EXTENT:g} times the map's longest side "
            f"({extent:.4g} mm); choose a cut-off shorter than the map (e.g. {extent / 5:.3g} mm)"
        )


def gaussian_filter(surface: HeightMap, cutoff_mm: float) -> HeightMap:
    """ISO 16610-61 areal Gaussian mean (low-pass) surface.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing.
    cutoff_mm : float
        Nesting index (cut-off wavelength) in mm: a sinusoid of this wavelength keeps 50 % of
        its amplitude; at most twice the map's longest side.

    Returns
    -------
    HeightMap
        The mean surface in mm; NaN where missing points leave less than 5 % of the kernel
        weight (in practice: inside holes wider than about the cut-off).

    Examples
    --------
    >>> import numpy as np
    >>> from scarwise.core import HeightMap
    >>> flat = HeightMap(np.full((20, 30), 0.25), 0.01, 0.01)
    >>> bool(np.allclose(gaussian_filter(flat, 0.08).z, 0.25))
    True
    """
    _check_cutoff(surface, "cutoff_mm", cutoff_mm)
    valid = surface.valid
    kx = _kernel(cutoff_mm / surface.dx_mm)
    ky = _kernel(cutoff_mm / surface.dy_mm)
    zw = np.where(valid, surface.z, 0.0)
    num = _convolve_axis(_convolve_axis(zw, kx, 1), ky, 0)
    if valid.all():
        # The weight of a full map is separable: one 1-D convolution of ones per axis.
        wy = _convolve_axis(np.ones(surface.ny), ky, 0)
        wx = _convolve_axis(np.ones(surface.nx), kx, 0)
        den = wy[:, None] * wx[None, :]
    else:
        den = _convolve_axis(_convolve_axis(valid.astype(np.float64), kx, 1), ky, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den >= MIN_WEIGHT_FRACTION, num / np.maximum(den, 1e-300), np.nan)
    return surface.with_z(mean)


def l_filter(surface: HeightMap, lc_mm: float) -> HeightMap:
    """Remove waviness: the surface minus its ISO Gaussian mean at cut-off ``lc_mm``.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing.
    lc_mm : float
        L-filter nesting index in mm (wavelengths longer than this are removed).

    Returns
    -------
    HeightMap
        The S-L (roughness) surface in mm, NaN where the input or the mean is missing.
    """
    mean = gaussian_filter(surface, lc_mm)
    return surface.with_z(surface.z - mean.z, l_filter_mm=float(lc_mm))


def s_filter(surface: HeightMap, ls_mm: float) -> HeightMap:
    """Remove small-scale components: the ISO Gaussian mean at cut-off ``ls_mm``.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing.
    ls_mm : float
        S-filter nesting index in mm (wavelengths shorter than this are removed).

    Returns
    -------
    HeightMap
        The low-passed surface in mm; points missing in the input stay missing.
    """
    mean = gaussian_filter(surface, ls_mm)
    return surface.with_z(np.where(surface.valid, mean.z, np.nan), s_filter_mm=float(ls_mm))
