"""Robust skin-level reference: the skin surface with scars, raised lesions and texture removed.

Method (a robust, second-order Gaussian regression in the spirit of ISO 16610-71, computed on a
coarse grid because the result is smooth):

1. **Cells.** The map is cut into cells about ``cutoff_mm / 16`` wide; each cell is summarised by
   the median of at most 9 x 9 samples spread evenly about its centre (bilinear, NaN ignored).
   The median already ignores pores, texture and scars smaller than a cell. A cell cut by
   missing data keeps the mean offset of its valid samples from its centre; each pass moves its
   median back to the centre along the locally fitted slope (otherwise a sloping cheek with a
   ragged NaN border biases the level by slope x half a cell).
2. **Local quadratic regression.** At every cell a quadratic ``a + b x + c y + d x² + e xy + f y²``
   is fitted by weighted least squares with the ISO 16610-61 Gaussian weight
   ``exp(-π (r / (α λc))²)``, ``α = √(ln 2 / π)``; the fitted ``a`` is the skin level there. The
   normal equations come from 21 separable correlations, so the cost does not depend on the
   cutoff. A quadratic follows a curved cheek exactly (a sphere up to its quartic term); a tiny
   ridge on the non-constant terms keeps the normal equations solvable where few cells are valid.
3. **Robustness.** Cells are re-weighted with Tukey's biweight of their residual,
   ``c = 4.685 σ`` with ``σ = 1.4826 · MAD`` of the residuals, and the fit is repeated
   (``iterations`` times): deep scars and raised lesions get weight zero and stop dragging the
   reference, both up and down.
4. **Back to full resolution** by separable cubic (Keys) interpolation, evaluated as two small
   matrix products; the regression is also evaluated two cells beyond each border so that the
   interpolation never extrapolates flat.

References
----------
ISO 16610-71:2014, Robust areal filters: Gaussian regression filters.
ISO 16610-61:2015, Linear areal filters: Gaussian filters (weighting function, ``α``).
Brinkmann S, Bodschwinna H, Lemke HW. Accessing roughness in three-dimensions using Gaussian
regression filtering. *Int J Mach Tools Manuf* 2001;41:2153–61 (cited from memory, UNVERIFIED).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core import HeightMap, InvalidParameterError
from scarwise.core._checks import check_positive

#: ISO 16610-61 Gaussian constant: the weight falls to 50% at the cutoff wavelength.
_ALPHA = math.sqrt(math.log(2.0) / math.pi)
#: Cells per cutoff wavelength; the Gaussian sigma is then about 3 cells.
_CELLS_PER_CUTOFF = 16
#: Largest number of samples per cell side used for its median.
_SAMPLES_PER_CELL = 9
#: Tukey biweight constant (95% efficiency at the normal distribution).
_TUKEY_C = 4.685
#: Smallest robust scale in mm, so a noise-free surface does not reject its own curvature.
_MIN_SCALE_MM = 0.002
#: Cells evaluated beyond each border, for the interpolation stencil.
_PAD = 2


def skin_level(
    surface: HeightMap,
    *,
    cutoff_mm: float = 8.0,
    iterations: int = 8,
) -> NDArray[np.float64]:
    """The skin level of a surface: a robust, locally quadratic fit that ignores scars.

    Parameters
    ----------
    surface : HeightMap
        Heights ``z`` (ny, nx) in mm, NaN where missing.
    cutoff_mm : float
        Cutoff wavelength λc of the Gaussian regression in mm (default 8 mm: about twice the
        widest rolling scar in diameter, while a 20 mm cheek still bends within it). Larger
        values bridge larger scars; smaller ones follow tighter form.
    iterations : int
        Robust re-weighting passes (0: a plain, non-robust regression).

    Returns
    -------
    (ny, nx) ndarray of float64
        Skin level in mm, defined everywhere (also under missing points).

    Notes
    -----
    See the module docstring for the method. Depth below the skin level is
    ``skin_level(surface) - surface.z``.

    Examples
    --------
    >>> import numpy as np
    >>> from scarwise.core import HeightMap
    >>> y, x = np.mgrid[0:200, 0:200] * 0.05
    >>> z = 0.01 * x - 0.002 * (x - 5) ** 2
    >>> z[90:110, 90:110] -= 0.3   # a 1 mm boxcar-like pit
    >>> level = skin_level(HeightMap(z, 0.05, 0.05))
    >>> bool(abs(level[100, 100] - (z[100, 100] + 0.3)) < 0.005)
    True
    """
    if not isinstance(surface, HeightMap):
        raise InvalidParameterError(f"surface must be a HeightMap, got {type(surface).__name__}")
    check_positive(cutoff_mm=cutoff_mm)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise InvalidParameterError(f"iterations must be a whole number >= 0, got {iterations!r}")
    if iterations > 100:
        raise InvalidParameterError(f"iterations must be at most 100, got {iterations}")
    surface.require_valid()

    cell_mm = cutoff_mm / _CELLS_PER_CUTOFF
    ncy, rows = _cells(surface.ny, surface.dy_mm, cell_mm)
    ncx, cols = _cells(surface.nx, surface.dx_mm, cell_mm)
    # Per cell: median, and the mean offset (in cells) of the valid samples from the centre.
    medians, off_y, off_x = _cell_medians(surface.z, rows, cols)
    if np.isnan(medians).any():  # sparse data the sampling missed: median of every valid pixel
        _fill_empty_cells(medians, off_y, off_x, surface.z)
    hy = surface.ny * surface.dy_mm / ncy  # cell pitch in mm
    hx = surface.nx * surface.dx_mm / ncx

    sigma_mm = _ALPHA * cutoff_mm / math.sqrt(2.0 * math.pi)
    sx, sy = sigma_mm / hx, sigma_mm / hy  # Gaussian sigma in cells
    valid = np.pad(~np.isnan(medians), _PAD, constant_values=False)
    values = np.pad(np.nan_to_num(medians), _PAD)
    shift_x, shift_y = np.pad(off_x, _PAD) / sx, np.pad(off_y, _PAD) / sy
    base = valid.astype(np.float64)
    regression = _LocalQuadratic(sigma_x=sx, sigma_y=sy)

    weights = base
    coef = regression(values, weights)
    for _ in range(max(1, int(iterations))):
        # A cell cut by missing data has its median where its valid samples are, not at its
        # centre: move it back along the local slope before fitting again.
        centred = values - coef[..., 1] * shift_x - coef[..., 2] * shift_y
        if iterations > 0:
            resid = centred - coef[..., 0]
            r = resid[valid]
            scale = max(1.4826 * float(np.median(np.abs(r - np.median(r)))), _MIN_SCALE_MM)
            u = resid / (_TUKEY_C * scale)
            weights = base * np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)
        new_coef = regression(centred, weights)
        change = float(np.max(np.abs(new_coef[..., 0] - coef[..., 0])))
        coef = new_coef
        if change < 1e-6:
            break
    fit = coef[..., 0]

    wy = _keys_matrix(surface.ny, ncy)
    wx = _keys_matrix(surface.nx, ncx)
    return wy @ fit @ wx.T


def _cells(n: int, pitch_mm: float, cell_mm: float) -> tuple[int, NDArray[np.float64]]:
    """Number of cells along one axis and, per cell, the (fractional) pixel positions it samples.

    Samples lie symmetrically about the exact cell centre, an odd number per side where
    possible, so the median of a plane's samples is its value at the centre.
    """
    n_cells = max(1, min(n, int(round(n * pitch_mm / cell_mm)), 1024))  # at most 1024 cells a side
    size = n / n_cells  # pixels per cell (not necessarily whole)
    k = int(min(_SAMPLES_PER_CELL, max(1, math.floor(size))))
    centres = (np.arange(n_cells) + 0.5) * size - 0.5
    offsets = (np.arange(k) - (k - 1) / 2.0) * (size / k)
    return n_cells, np.clip(centres[:, None] + offsets[None, :], 0.0, n - 1.0)


def _cell_medians(
    z: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]
) -> tuple[NDArray, NDArray, NDArray]:
    """Per cell: NaN-ignoring median of ``z`` sampled bilinearly at the cells' sample positions,
    and the mean (row, column) offset of the valid samples from the cell centre, in cells."""
    ncy, ky = rows.shape
    ncx, kx = cols.shape
    r, c = rows.ravel(), cols.ravel()
    r0 = np.clip(np.floor(r).astype(np.intp), 0, max(z.shape[0] - 2, 0))
    c0 = np.clip(np.floor(c).astype(np.intp), 0, max(z.shape[1] - 2, 0))
    r1, c1 = np.minimum(r0 + 1, z.shape[0] - 1), np.minimum(c0 + 1, z.shape[1] - 1)
    tr, tc = (r - r0)[:, None], (c - c0)[None, :]
    sub = ((1 - tr) * ((1 - tc) * z[np.ix_(r0, c0)] + tc * z[np.ix_(r0, c1)])
           + tr * ((1 - tc) * z[np.ix_(r1, c0)] + tc * z[np.ix_(r1, c1)]))
    sub = sub.reshape(ncy, ky, ncx, kx).transpose(0, 2, 1, 3)
    ok = ~np.isnan(sub)
    n_ok = np.maximum(ok.sum(axis=(2, 3)), 1)
    # Sample offsets from the exact cell centres, in cells.
    size_y, size_x = z.shape[0] / ncy, z.shape[1] / ncx
    oy = (rows - ((np.arange(ncy) + 0.5) * size_y - 0.5)[:, None]) / size_y
    ox = (cols - ((np.arange(ncx) + 0.5) * size_x - 0.5)[:, None]) / size_x
    off_y = (ok * oy[:, None, :, None]).sum(axis=(2, 3)) / n_ok
    off_x = (ok * ox[None, :, None, :]).sum(axis=(2, 3)) / n_ok
    sub = np.sort(sub.reshape(ncy, ncx, ky * kx), axis=-1)  # NaN sorts last
    count = (~np.isnan(sub)).sum(axis=-1)
    lo = np.clip((count - 1) // 2, 0, None)[..., None]
    hi = np.clip(count // 2, 0, None)[..., None]
    med = 0.5 * (np.take_along_axis(sub, lo, -1) + np.take_along_axis(sub, hi, -1))[..., 0]
    med[count == 0] = np.nan
    return med, off_y, off_x


def _fill_empty_cells(
    medians: NDArray[np.float64], off_y: NDArray[np.float64], off_x: NDArray[np.float64], z: NDArray[np.float64]
) -> None:
    """Fill, in place, empty cells that hold valid pixels: median and mean offset of all of them."""
    ncy, ncx = medians.shape
    ny, nx = z.shape
    cell_row = np.minimum((np.arange(ny) * ncy) // ny, ncy - 1)
    cell_col = np.minimum((np.arange(nx) * ncx) // nx, ncx - 1)
    empty = np.isnan(medians)
    pick = empty[cell_row[:, None], cell_col[None, :]] & ~np.isnan(z)
    if not pick.any():
        return
    iy, ix = np.nonzero(pick)
    cell = cell_row[iy] * ncx + cell_col[ix]
    values = z[iy, ix]
    order = np.lexsort((values, cell))
    cell, values = cell[order], values[order]
    ids, start, count = np.unique(cell, return_index=True, return_counts=True)
    lo, hi = start + (count - 1) // 2, start + count // 2
    medians.flat[ids] = 0.5 * (values[lo] + values[hi])
    size_y, size_x = ny / ncy, nx / ncx
    sum_y = np.bincount(cell_row[iy] * ncx + cell_col[ix], weights=iy, minlength=ncy * ncx)[ids]
    sum_x = np.bincount(cell_row[iy] * ncx + cell_col[ix], weights=ix, minlength=ncy * ncx)[ids]
    centre_y = ((ids // ncx) + 0.5) * size_y - 0.5
    centre_x = ((ids % ncx) + 0.5) * size_x - 0.5
    off_y.flat[ids] = (sum_y / count - centre_y) / size_y
    off_x.flat[ids] = (sum_x / count - centre_x) / size_x


class _LocalQuadratic:
    """Gaussian-weighted local quadratic regression on a regular grid (constant term returned)."""

    def __init__(self, *, sigma_x: float, sigma_y: float) -> None:
        self.kx = self._kernels(sigma_x)
        self.ky = self._kernels(sigma_y)

    @staticmethod
    def _kernels(sigma: float) -> list[NDArray[np.float64]]:
        radius = max(1, int(math.ceil(3.0 * sigma)))
        d = np.arange(-radius, radius + 1) / sigma  # offsets in units of sigma
        g = np.exp(-0.5 * d * d)
        return [g * d**p for p in range(5)]

    def __call__(self, values: NDArray, weights: NDArray) -> NDArray:
        wz = weights * values
        # Moments S[a, b] = sum w g dx^a dy^b (a + b <= 4) and T[a, b] = sum w z g dx^a dy^b (a + b <= 2).
        sx = [ndimage.correlate1d(weights, self.kx[a], axis=1, mode="constant") for a in range(5)]
        tx = [ndimage.correlate1d(wz, self.kx[a], axis=1, mode="constant") for a in range(3)]
        s = {(a, b): ndimage.correlate1d(sx[a], self.ky[b], axis=0, mode="constant")
             for a in range(5) for b in range(5 - a)}
        t = {(a, b): ndimage.correlate1d(tx[a], self.ky[b], axis=0, mode="constant")
             for a in range(3) for b in range(3 - a)}
        terms = [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
        shape = values.shape
        mat = np.empty(shape + (6, 6))
        rhs = np.empty(shape + (6,))
        for i, (a1, b1) in enumerate(terms):
            rhs[..., i] = t[(a1, b1)]
            for j, (a2, b2) in enumerate(terms):
                mat[..., i, j] = s[(a1 + a2, b1 + b2)]
        s00 = s[(0, 0)]
        ridge = 1e-6 * np.maximum(s00, 1e-12)
        for i in range(1, 6):
            mat[..., i, i] += ridge
        mat[..., 0, 0] += 1e-12
        coef = np.linalg.solve(mat, rhs[..., None])[..., 0]  # (..., 6): a, b, c, d, e, f
        empty = s00 < 1e-9
        if empty.any():  # no valid cell within reach: take the nearest fitted value
            if empty.all():
                raise InvalidParameterError("no valid cells to fit a skin level; is the surface all missing?")
            _, (iy, ix) = ndimage.distance_transform_edt(empty, return_indices=True)
            coef = coef[iy, ix]
        return coef


def _keys_matrix(n: int, n_cells: int) -> NDArray[np.float64]:
    """(n, n_cells + 2 * _PAD) matrix of Keys cubic weights from padded cell centres to pixels."""
    pos = (np.arange(n) + 0.5) * n_cells / n - 0.5 + _PAD  # pixel positions in padded cell units
    base = np.floor(pos).astype(np.intp)
    t = pos - base
    out = np.zeros((n, n_cells + 2 * _PAD))
    rows = np.arange(n)
    for offset in (-1, 0, 1, 2):
        dist = np.abs(t - offset)
        w = np.where(dist <= 1, 1.5 * dist**3 - 2.5 * dist**2 + 1,
                     np.where(dist < 2, -0.5 * dist**3 + 2.5 * dist**2 - 4 * dist + 2, 0.0))
        np.add.at(out, (rows, np.clip(base + offset, 0, n_cells + 2 * _PAD - 1)), w)
    return out
