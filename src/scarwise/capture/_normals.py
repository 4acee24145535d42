"""Per-pixel surface normals and albedo from images under known lights (Lambertian model).

Each pixel's observations ``I_k = rho * (L_k . n)`` are fitted by least squares after leaving out
the observations the Lambertian model cannot explain: shadows (too dark: attached shadows where
``L_k . n <= 0`` and cast shadows) and specular highlights (too bright). This is the usual
robust scheme of Woodham (1980) with per-pixel outlier rejection (cf. Coleman & Jain 1982, who drop
the brightest of four observations as specular):

1. observations darker than ``shadow_fraction`` times the pixel's second-brightest value are
   dropped, and, when at least 4 remain, so is the brightest one;
2. a first fit gives ``b = rho n``; every observation is then kept only when the model predicts it
   lit (``L_k . b > 0``) and within ``residual_fraction * rho`` of the prediction; the fit is
   repeated ``iterations`` times. Fewer than 3 usable observations leave the pixel without a normal.

References
----------
Woodham RJ. Photometric method for determining surface orientation from multiple images.
Opt Eng 1980;19(1):139-144. doi:10.1117/12.7972479
Coleman EN, Jain R. Obtaining 3-dimensional shape of textured and specular surfaces using
four-source photometry. Comput Graph Image Process 1982;18(4):309-328.
doi:10.1016/0146-664X(82)90001-6
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from scarwise.capture._lights import Lights
from scarwise.core import InvalidParameterError
from scarwise.core._checks import check_non_negative, check_positive


@dataclass(frozen=True, eq=False)
class NormalMap:
    """Per-pixel result of the photometric fit.

    Attributes
    ----------
    normals : (ny, nx, 3) ndarray of float32
        Unit normals (x columns, y rows, z towards the camera); NaN where undetermined.
    albedo : (ny, nx) ndarray of float32
        Lambertian albedo on the image's 0-1 scale (for light intensity 1); NaN where undetermined.
    used : (ny, nx) ndarray of uint8
        Number of observations kept per pixel (0 where undetermined).
    slope_x, slope_y : (ny, nx) ndarray of float64
        Surface slopes dz/dx = -n_x / n_z and dz/dy = -n_y / n_z (dimensionless); NaN where
        undetermined.
    """

    normals: NDArray[np.float32]
    albedo: NDArray[np.float32]
    used: NDArray[np.uint8]
    slope_x: NDArray[np.float64]
    slope_y: NDArray[np.float64]

    @property
    def valid(self) -> NDArray[np.bool_]:
        """True where a normal was found."""
        return ~np.isnan(self.albedo)

    def slopes(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Surface slopes dz/dx and dz/dy (dimensionless), NaN where there is no normal."""
        return self.slope_x, self.slope_y


@numba.njit(cache=True, nogil=True)
def _solve3(m00, m01, m02, m11, m12, m22, r0, r1, r2, out):  # pragma: no cover - compiled
    """Solve the symmetric 3x3 system by its adjugate; False when (nearly) singular."""
    c00 = m11 * m22 - m12 * m12
    c01 = m02 * m12 - m01 * m22
    c02 = m01 * m12 - m02 * m11
    det = m00 * c00 + m01 * c01 + m02 * c02
    scale = (m00 + m11 + m22) / 3.0
    if not det > 1e-6 * scale * scale * scale:
        return False
    c11 = m00 * m22 - m02 * m02
    c12 = m01 * m02 - m00 * m12
    c22 = m00 * m11 - m01 * m01
    out[0] = (c00 * r0 + c01 * r1 + c02 * r2) / det
    out[1] = (c01 * r0 + c11 * r1 + c12 * r2) / det
    out[2] = (c02 * r0 + c12 * r1 + c22 * r2) / det
    return True


@numba.njit(cache=True, nogil=True)
def _fit(v, use, lights, out):  # pragma: no cover - compiled
    """Least-squares b = rho n from the observations marked in ``use``."""
    m00 = m01 = m02 = m11 = m12 = m22 = r0 = r1 = r2 = 0.0
    count = 0
    for k in range(v.shape[0]):
        if use[k]:
            lx, ly, lz = lights[k, 0], lights[k, 1], lights[k, 2]
            m00 += lx * lx
            m01 += lx * ly
            m02 += lx * lz
            m11 += ly * ly
            m12 += ly * lz
            m22 += lz * lz
            r0 += v[k] * lx
            r1 += v[k] * ly
            r2 += v[k] * lz
            count += 1
    if count < 3:
        return False
    return _solve3(m00, m01, m02, m11, m12, m22, r0, r1, r2, out)


@numba.njit(parallel=True, cache=True, nogil=True)
def _normals_kernel(stack, lights, gains, shadow_fraction, residual_fraction, iterations,
                    normals, albedo, used, slope_x, slope_y):  # pragma: no cover - compiled
    n, ny, nx = stack.shape
    for i in numba.prange(ny):
        v = np.empty(n)
        use = np.empty(n, dtype=np.bool_)
        before = np.empty(n, dtype=np.bool_)
        b = np.empty(3)
        trial = np.empty(3)
        for j in range(nx):
            first = -1.0
            second = -1.0
            kmax = 0
            for k in range(n):
                v[k] = stack[k, i, j] / gains[k]
                if v[k] > first:
                    second = first
                    first = v[k]
                    kmax = k
                elif v[k] > second:
                    second = v[k]
            ref = second if n >= 4 else first
            count = 0
            for k in range(n):
                use[k] = v[k] > 0.0 and v[k] > shadow_fraction * ref
                count += use[k]
            if count >= 4:
                use[kmax] = False
            ok = _fit(v, use, lights, b)
            if ok:
                for _ in range(iterations):
                    rho = np.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
                    tol = residual_fraction * rho
                    changed = False
                    for k in range(n):
                        p = lights[k, 0] * b[0] + lights[k, 1] * b[1] + lights[k, 2] * b[2]
                        keep = p > 0.0 and abs(v[k] - p) <= tol
                        changed |= keep != use[k]
                        before[k] = use[k]
                        use[k] = keep
                    if not changed:
                        break  # same observations: the fit would not change
                    if not _fit(v, use, lights, trial):
                        for k in range(n):
                            use[k] = before[k]
                        break
                    b[0], b[1], b[2] = trial[0], trial[1], trial[2]
            rho = np.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]) if ok else 0.0
            if ok and rho > 0.0 and b[2] > 0.05 * rho:
                count = 0
                for k in range(n):
                    count += use[k]
                normals[i, j, 0] = b[0] / rho
                normals[i, j, 1] = b[1] / rho
                normals[i, j, 2] = b[2] / rho
                albedo[i, j] = rho
                used[i, j] = count
                slope_x[i, j] = -b[0] / b[2]
                slope_y[i, j] = -b[1] / b[2]
            else:
                normals[i, j, 0] = np.nan
                normals[i, j, 1] = np.nan
                normals[i, j, 2] = np.nan
                albedo[i, j] = np.nan
                used[i, j] = 0
                slope_x[i, j] = np.nan
                slope_y[i, j] = np.nan



def estimate_normals(
    images: NDArray[np.floating],
    lights: Lights,
    *,
    shadow_fraction: float = 0.1,
    residual_fraction: float = 0.05,
    iterations: int = 2,
) -> NormalMap:
    """Normals and albedo per pixel from registered images under known lights.

    Parameters
    ----------
    images : (n, ny, nx) ndarray
        Linear grey images, one per light in the order of ``lights`` (n >= 3).
    lights : Lights
        Unit directions towards the lights and relative intensities.
    shadow_fraction : float
        Observations darker than this share of the pixel's second-brightest one are shadow.
    residual_fraction : float
        Observations further than this share of the albedo from the Lambertian prediction are
        left out (shadow or highlight) in the refits.
    iterations : int
        Number of refits after the first fit.

    Returns
    -------
    NormalMap
    """
    stack = np.asarray(images)
    if stack.ndim != 3:
        raise InvalidParameterError(f"images must be a stack (n, ny, nx), got shape {stack.shape}")
    if stack.shape[0] != len(lights):
        raise InvalidParameterError(
            f"{stack.shape[0]} images but {len(lights)} light directions; give one direction per image"
        )
    if stack.shape[0] < 3:
        raise InvalidParameterError(f"photometric stereo needs at least 3 images, got {stack.shape[0]}")
    check_non_negative(shadow_fraction=shadow_fraction)
    check_positive(residual_fraction=residual_fraction)
    if not 0 <= int(iterations) <= 20:
        raise InvalidParameterError(f"iterations must be 0-20, got {iterations}")
    if stack.dtype not in (np.float32, np.float64):
        stack = stack.astype(np.float32)
    stack = np.ascontiguousarray(stack)
    ny, nx = stack.shape[1:]
    normals = np.empty((ny, nx, 3), dtype=np.float32)
    albedo = np.empty((ny, nx), dtype=np.float32)
    used = np.empty((ny, nx), dtype=np.uint8)
    slope_x = np.empty((ny, nx))
    slope_y = np.empty((ny, nx))
    _normals_kernel(stack, lights.directions, lights.intensities, float(shadow_fraction), float(residual_fraction),
                    int(iterations), normals, albedo, used, slope_x, slope_y)
    return NormalMap(normals, albedo, used, slope_x, slope_y)
