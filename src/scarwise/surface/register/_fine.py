"""Fine registration: robust Gauss–Newton (Lucas–Kanade) on heights, coarse to fine.

The follow-up is warped onto baseline samples by a similarity transform and a plane is added in
z (the scanner's tilt and height differ between visits):

    r(p) = z_follow(A (p - c) + b) + z0 + zx (x - cx) + zy (y - cy) - z_base(p),
    A = [[a, -s], [s, a]]  (rotation and scale, linear in a and s)

so every parameter enters the Jacobian through the follow-up gradient or directly. Each step is a
weighted least-squares solve; the weights are Tukey's biweight on residuals scaled by their
median absolute deviation (iteratively reweighted least squares), so scars that changed between
visits, and other real change, stop pulling on the fit. Levels go from the coarse pixel down to
the native pixel, both surfaces block-averaged and smoothed alike on each level; the finest
levels use a strided subset of baseline samples but interpolate the full-resolution follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core import HeightMap
from scarwise.surface.register._prepare import block_pyramid, highpass, smooth_nan

#: Tukey biweight tuning constant in robust standard deviations (95% efficiency for Gaussian noise).
TUKEY_C = 4.685
#: Residuals within this many robust standard deviations count as inliers in the quality figure.
INLIER_SIGMAS = 3.0
#: Baseline samples used per level at most (strided); enough for sub-micrometre parameter noise.
MAX_POINTS = 60_000
#: The finest level has at most about this many samples (2048² maps stop at half resolution,
#: where a pixel of 0.02 mm still puts the transform well inside 0.01 mm).
MAX_LEVEL_POINTS = 1_100_000
#: Band-pass (heights minus their Gaussian smoothing at this sigma, mm) for the match figure:
#: skin texture and scar edges, not form or swelling.
MATCH_BAND_MM = 0.5
#: Gauss–Newton iterations per level at most; a level stops earlier once the warp moves less than
#: STOP_PX pixels anywhere in the field.
MAX_ITER = 12
STOP_PX = 0.01


@dataclass(frozen=True, slots=True)
class FineResult:
    """p_follow = A (p_base - centre) + b; z_base ~ z_follow(warp) + z0 + zx (x-cx) + zy (y-cy)."""

    a: NDArray[np.float64]  # (2, 2)
    b: NDArray[np.float64]  # (2,)
    centre: NDArray[np.float64]  # (2,)
    plane: NDArray[np.float64]  # (z0, zx, zy)
    sigma_mm: float  # robust standard deviation of the residuals
    match: float  # robust correlation of the band-passed heights on the overlap (1: identical)
    residual_rms_mm: float  # RMS of inlier residuals
    inlier_fraction: float
    n_points: int
    iterations: int


@dataclass(frozen=True, slots=True)
class _Level:
    factor: int
    base_xy: NDArray[np.float64]  # (2, n) positions in baseline mm
    base_z: NDArray[np.float64]  # (n,)
    follow: NDArray[np.float64]  # smoothed follow-up heights at this level
    grad: tuple[NDArray[np.float64], NDArray[np.float64]]  # d/dx, d/dy in mm/mm
    origin: tuple[float, float]  # follow-up mm position of its sample (0, 0)
    pixel: tuple[float, float]  # follow-up level pixel (x, y) in mm
    base_image: NDArray[np.float64]  # smoothed baseline heights at this level
    base_idx: tuple[NDArray, NDArray]  # (rows, cols) in base_image of the points


def _level_image(surface: HeightMap, small: NDArray, factor: int,
                 ) -> tuple[NDArray, tuple[float, float], tuple[float, float]]:
    px, py = surface.dx_mm * factor, surface.dy_mm * factor
    origin = (0.5 * (px - surface.dx_mm), 0.5 * (py - surface.dy_mm))
    return smooth_nan(small, 1.0), origin, (px, py)


def _make_level(baseline: HeightMap, followup: HeightMap, pyramids: tuple[dict, dict], factor: int) -> _Level:
    bz, bo, bp = _level_image(baseline, pyramids[0][factor], factor)
    fz, fo, fp = _level_image(followup, pyramids[1][factor], factor)
    stride = max(1, int(np.ceil(np.sqrt(bz.size / MAX_POINTS))))
    ii, jj = np.mgrid[0 : bz.shape[0] : stride, 0 : bz.shape[1] : stride]
    zb = bz[ii, jj].ravel()
    xy = np.vstack([bo[0] + jj.ravel() * bp[0], bo[1] + ii.ravel() * bp[1]])
    ok = np.isfinite(zb)
    gy, gx = np.gradient(fz, fp[1], fp[0])
    return _Level(factor, xy[:, ok], zb[ok], fz, (gx, gy), fo, fp, bz, (ii.ravel()[ok], jj.ravel()[ok]))


def _sample(level: _Level, pf: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    coords = [(pf[1] - level.origin[1]) / level.pixel[1], (pf[0] - level.origin[0]) / level.pixel[0]]
    z = ndimage.map_coordinates(level.follow, coords, order=1, cval=np.nan, prefilter=False)
    gx = ndimage.map_coordinates(level.grad[0], coords, order=1, cval=np.nan, prefilter=False)
    gy = ndimage.map_coordinates(level.grad[1], coords, order=1, cval=np.nan, prefilter=False)
    return z, gx, gy


def _robust_sigma(r: NDArray) -> float:
    med = float(np.median(r))
    return max(1.4826 * float(np.median(np.abs(r - med))), 1e-9)


def refine(
    baseline: HeightMap,
    followup: HeightMap,
    a0: NDArray,
    b0: NDArray,
    centre: NDArray,
    *,
    start_factor: int,
    rigid: bool = False,
) -> FineResult:
    """Refine p_follow = A (p_base - centre) + b from a coarse start, coarse to fine.

    ``rigid`` keeps A a pure rotation (scale 1) by renormalising (a, s) after every step.
    """
    a_s = np.array([a0[0, 0], a0[1, 0]], dtype=np.float64)  # (a, s)
    b = np.asarray(b0, dtype=np.float64).copy()
    plane = np.full(3, np.nan)
    finest = 1
    while baseline.nx * baseline.ny / finest**2 > MAX_LEVEL_POINTS:
        finest *= 2
    factors = []
    f = max(finest, int(start_factor))
    while f > finest:
        factors.append(f)
        f //= 2
    factors.append(finest)
    pyramids = (block_pyramid(baseline.z, baseline.valid, set(factors)),
                block_pyramid(followup.z, followup.valid, set(factors)))
    iterations = 0
    half = 0.5 * max(baseline.nx * baseline.dx_mm, baseline.ny * baseline.dy_mm)
    for factor in factors:
        level = _make_level(baseline, followup, pyramids, factor)
        xc = level.base_xy[0] - centre[0]
        yc = level.base_xy[1] - centre[1]
        for _ in range(MAX_ITER):
            iterations += 1
            a, s = a_s
            pf = np.vstack([a * xc - s * yc + b[0], s * xc + a * yc + b[1]])
            zf, gx, gy = _sample(level, pf)
            ok = np.isfinite(zf) & np.isfinite(gx) & np.isfinite(gy)
            if ok.sum() < 50:
                break
            if np.isnan(plane[0]):
                plane = np.array([float(np.median(level.base_z[ok] - zf[ok])), 0.0, 0.0])
            x, y, g1, g2 = xc[ok], yc[ok], gx[ok], gy[ok]
            r = zf[ok] + plane[0] + plane[1] * x + plane[2] * y - level.base_z[ok]
            sigma = _robust_sigma(r)
            u = (r - np.median(r)) / (TUKEY_C * sigma)
            w = np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)
            jac = np.column_stack([g1 * x + g2 * y, -g1 * y + g2 * x, g1, g2,
                                   np.ones_like(x), x, y])
            jw = jac * w[:, None]
            normal = jw.T @ jac
            scale = np.sqrt(np.diag(normal)) + 1e-30  # Jacobi scaling: the columns differ in units
            try:
                step = np.linalg.solve(normal / np.outer(scale, scale), -(jw.T @ r) / scale) / scale
            except np.linalg.LinAlgError:
                break
            a_s += step[:2]
            if rigid:
                a_s /= np.hypot(*a_s)
            b += step[2:4]
            plane += step[4:]
            move = (abs(step[0]) + abs(step[1])) * half + np.hypot(step[2], step[3])
            if move < STOP_PX * min(level.pixel):
                break
    # Quality on the finest level at the final transform.
    a, s = a_s
    pf = np.vstack([a * xc - s * yc + b[0], s * xc + a * yc + b[1]])
    zf, _, _ = _sample(level, pf)
    ok = np.isfinite(zf)
    r = zf[ok] + plane[0] + plane[1] * xc[ok] + plane[2] * yc[ok] - level.base_z[ok]
    linear = np.array([[a, -s], [s, a]])
    if r.size < 50:
        return FineResult(linear, b, np.asarray(centre, float), plane, np.inf, -1.0, np.inf, 0.0, int(r.size),
                          iterations)
    sigma = _robust_sigma(r)
    inlier = np.abs(r - np.median(r)) < INLIER_SIGMAS * sigma
    rms = float(np.sqrt(np.mean(r[inlier] ** 2))) if inlier.any() else np.inf
    return FineResult(linear, b, np.asarray(centre, float), plane, sigma, _match(level, pf), rms,
                      float(inlier.mean()), int(r.size), iterations)


def _match(level: _Level, pf: NDArray) -> float:
    """Robust correlation of the band-passed baseline and warped follow-up at the sample points.

    1 - var(difference) / (var(base) + var(follow)), variances from the median absolute deviation:
    the normalised cross-correlation when both have equal spread, about 0 for unrelated skin, and
    insensitive to the minority of samples that really changed.
    """
    hb = highpass(level.base_image, MATCH_BAND_MM / level.pixel[0])
    hf = highpass(level.follow, MATCH_BAND_MM / level.pixel[0])
    coords = [(pf[1] - level.origin[1]) / level.pixel[1], (pf[0] - level.origin[0]) / level.pixel[0]]
    vf = ndimage.map_coordinates(hf, coords, order=1, cval=np.nan, prefilter=False)
    vb = hb[level.base_idx]
    ok = np.isfinite(vf) & np.isfinite(vb)
    if ok.sum() < 50:
        return -1.0
    vb, vf = vb[ok], vf[ok]
    spread = _robust_sigma(vb) ** 2 + _robust_sigma(vf) ** 2
    return float(np.clip(1.0 - _robust_sigma(vf - vb) ** 2 / spread, -1.0, 1.0))
