"""Shared preparation of height maps for registration: NaN-aware smoothing, block means, detrending."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage


def detrend(z: NDArray[np.float64], valid: NDArray[np.bool_], *, degree: int = 1,
            max_points: int = 200_000) -> NDArray:
    """``z`` minus its least-squares polynomial of total ``degree`` over the valid samples.

    Fitted on a strided subset, in coordinates scaled to [-1, 1] for conditioning. Degree 4 takes
    a cheek's curvature out as well as the scanner's tilt.
    """
    ny, nx = z.shape
    stride = max(1, int(np.ceil(np.sqrt(ny * nx / max_points))))
    rows, cols = np.mgrid[0:ny:stride, 0:nx:stride]
    ok = valid[::stride, ::stride]
    n_terms = (degree + 1) * (degree + 2) // 2
    if ok.sum() < 2 * n_terms:
        return z - np.nanmean(z) if valid.any() else z.copy()

    def scaled(n: int, idx: NDArray) -> NDArray:
        return 2.0 * idx / max(n - 1, 1) - 1.0

    def basis(u: NDArray, v: NDArray) -> list[NDArray]:
        return [u**i * v**j for i in range(degree + 1) for j in range(degree + 1 - i)]

    u, v = scaled(nx, cols[ok]), scaled(ny, rows[ok])
    design = np.column_stack(basis(u, v))
    try:  # normal equations: a 15 x 15 solve, far faster than an SVD of the design
        coef = np.linalg.solve(design.T @ design, design.T @ z[::stride, ::stride][ok])
    except np.linalg.LinAlgError:
        coef, *_ = np.linalg.lstsq(design, z[::stride, ::stride][ok], rcond=None)
    uu = scaled(nx, np.arange(nx))[None, :]
    vv = scaled(ny, np.arange(ny))[:, None]
    form = sum(c * t for c, t in zip(coef, basis(uu, vv), strict=True))
    return z - form


def block_mean(z: NDArray[np.float64], valid: NDArray[np.bool_], fy: int, fx: int) -> NDArray:
    """Mean of each ``fy`` x ``fx`` block over its valid samples (NaN where a block has none).

    A ragged last row/column of blocks is dropped.
    """
    if fy <= 1 and fx <= 1:
        return np.where(valid, z, np.nan)
    ny, nx = (z.shape[0] // fy) * fy, (z.shape[1] // fx) * fx
    zz = np.where(valid, z, 0.0)[:ny, :nx]
    ww = valid[:ny, :nx].astype(np.float64)
    # Sum rows, then columns: two contiguous reductions are much faster than one over axes (1, 3).
    total = zz.reshape(ny // fy, fy, nx).sum(axis=1).reshape(ny // fy, nx // fx, fx).sum(axis=2)
    count = ww.reshape(ny // fy, fy, nx).sum(axis=1).reshape(ny // fy, nx // fx, fx).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _sum2(a: NDArray) -> NDArray:
    a = a[: a.shape[0] // 2 * 2, : a.shape[1] // 2 * 2]
    a = a[0::2] + a[1::2]
    return a[:, 0::2] + a[:, 1::2]


def block_pyramid(z: NDArray[np.float64], valid: NDArray[np.bool_], factors: set[int]) -> dict[int, NDArray]:
    """:func:`block_mean` for several power-of-two factors at once, each level from the one below."""
    out: dict[int, NDArray] = {}
    if 1 in factors:
        out[1] = np.where(valid, z, np.nan)
    total, count, f = np.where(valid, z, 0.0), valid.astype(np.float64), 1
    while f < max(factors):
        total, count, f = _sum2(total), _sum2(count), 2 * f
        if f in factors:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def resample_to_pixel(
    z: NDArray[np.float64], dy_mm: float, dx_mm: float, pixel_mm: float
) -> tuple[NDArray, tuple[float, float]]:
    """Heights (NaN = missing) brought to a square ``pixel_mm`` grid.

    Block means by the whole factor first (anti-aliasing), then bilinear interpolation for the
    rest. Returns the image and the position ``(x0, y0)`` in mm of its sample (0, 0) in the input's
    coordinates (a block mean sits at the centre of its block).
    """
    valid = np.isfinite(z)
    fy = max(1, int(np.floor(pixel_mm / dy_mm + 1e-9)))
    fx = max(1, int(np.floor(pixel_mm / dx_mm + 1e-9)))
    reduced = block_mean(z, valid, fy, fx)
    py, px = dy_mm * fy, dx_mm * fx
    origin = (0.5 * (px - dx_mm), 0.5 * (py - dy_mm))
    if abs(py - pixel_mm) < 1e-9 * pixel_mm and abs(px - pixel_mm) < 1e-9 * pixel_mm:
        return reduced, origin
    ny = max(1, int(np.floor((reduced.shape[0] - 1) * py / pixel_mm)) + 1)
    nx = max(1, int(np.floor((reduced.shape[1] - 1) * px / pixel_mm)) + 1)
    rr, cc = np.meshgrid(np.arange(ny) * pixel_mm / py, np.arange(nx) * pixel_mm / px, indexing="ij")
    return ndimage.map_coordinates(reduced, [rr, cc], order=1, cval=np.nan, prefilter=False), origin


def smooth_nan(z: NDArray[np.float64], sigma_px: float, *, min_weight: float = 0.5) -> NDArray:
    """Gaussian smoothing by normalised convolution: NaN where too little data is near or missing."""
    valid = np.isfinite(z)
    if sigma_px <= 0:
        return z.copy()
    if valid.all():  # nothing missing: one plain filter, edges by reflection
        return ndimage.gaussian_filter(z, sigma_px, mode="reflect", truncate=3.0)
    num = ndimage.gaussian_filter(np.where(valid, z, 0.0), sigma_px, mode="constant", truncate=3.0)
    den = ndimage.gaussian_filter(valid.astype(np.float64), sigma_px, mode="constant", truncate=3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[(den < min_weight) | ~valid] = np.nan
    return out


def highpass(z: NDArray[np.float64], sigma_px: float) -> NDArray:
    """``z`` minus its NaN-aware Gaussian smoothing; wide kernels are applied at reduced resolution."""
    k = max(1, int(sigma_px / 4))
    if k == 1:
        return z - smooth_nan(z, sigma_px, min_weight=0.05)
    small = block_mean(z, np.isfinite(z), k, k)
    low_small = smooth_nan(small, sigma_px / k, min_weight=0.05)
    rows = (np.arange(z.shape[0]) - (k - 1) / 2.0) / k  # block centres sit half a block in
    cols = (np.arange(z.shape[1]) - (k - 1) / 2.0) / k
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    low = ndimage.map_coordinates(np.nan_to_num(low_small, nan=0.0), [rr, cc], order=1, mode="nearest",
                                  prefilter=False)
    return z - low
