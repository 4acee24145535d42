"""Heights from surface slopes: the normals of photometric stereo integrated to a height map.

Three integrators of the slopes ``p = dz/dx`` (along columns) and ``q = dz/dy`` (along rows):

``"dct"`` (default)
    The least-squares surface of the finite-difference equations
    ``z[i, j+1] - z[i, j] = dx (p[i, j] + p[i, j+1]) / 2`` (and likewise along y), solved exactly
    with the discrete cosine transform, which diagonalises the Neumann Laplacian of the normal
    equations (Simchony, Chellappa & Shao 1990). Exact for quadratic surfaces; O(N log N).
``"fft"``
    Frankot & Chellappa (1988): projection of the slopes onto integrable Fourier modes, on the
    slopes mirrored to twice the size (so that the patch need not be periodic).
``"lsq"``
    The same equations as ``"dct"`` restricted to pixels inside ``mask`` (both ends valid),
    solved directly on the sparse normal equations (conjugate gradients above ``DIRECT_LIMIT``
    unknowns, started from the ``"dct"`` solution with missing slopes set to 0). Each connected
    region keeps its own height offset.

References
----------
Frankot RT, Chellappa R. A method for enforcing integrability in shape from shading algorithms.
IEEE Trans Pattern Anal Mach Intell 1988;10(4):439-451. doi:10.1109/34.3909
Simchony T, Chellappa R, Shao M. Direct analytical methods for solving Poisson equations in
computer vision problems. IEEE Trans Pattern Anal Mach Intell 1990;12(5):435-446. doi:10.1109/34.55103
"""

from __future__ import annotations

import os

import numba
import numpy as np
import scipy.fft
from numpy.typing import NDArray

from scarwise.core import InvalidParameterError
from scarwise.core._checks import check_choice, check_positive, check_same_shape

INTEGRATORS: tuple[str, ...] = ("dct", "fft", "lsq")
#: Up to this many unknowns "lsq" uses a direct sparse solver; above, preconditioned conjugate gradients.
DIRECT_LIMIT = 1_000_000


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _check(p: NDArray, q: NDArray, dx_mm: float, dy_mm: float) -> tuple[NDArray, NDArray]:
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    check_same_shape(p, q, names=("p", "q"))
    if p.ndim != 2 or min(p.shape) < 2:
        raise InvalidParameterError(f"slopes must be 2-D and at least 2 x 2, got shape {p.shape}")
    check_positive(dx_mm=dx_mm, dy_mm=dy_mm)
    return p, q


def _differences(p: NDArray, q: NDArray, dx_mm: float, dy_mm: float) -> tuple[NDArray, NDArray]:
    """Height steps between neighbours by the trapezoid rule: (ny, nx-1) along x, (ny-1, nx) along y."""
    return 0.5 * dx_mm * (p[:, 1:] + p[:, :-1]), 0.5 * dy_mm * (q[1:, :] + q[:-1, :])


def _divergence(gx: NDArray, gy: NDArray, shape: tuple[int, int]) -> NDArray:
    """D^T g: the right-hand side of the normal equations (D = forward differences)."""
    rhs = np.zeros(shape)
    rhs[:, 1:] += gx
    rhs[:, :-1] -= gx
    rhs[1:, :] += gy
    rhs[:-1, :] -= gy
    return rhs


@numba.njit(parallel=True, cache=True, nogil=True)
def _slope_divergence(p, q, dx, dy, out):  # pragma: no cover - compiled
    """``_divergence(*_differences(p, q, dx, dy))`` in one pass (trapezoid steps, D^T g)."""
    ny, nx = p.shape
    hx, hy = 0.5 * dx, 0.5 * dy
    for i in numba.prange(ny):
        for j in range(nx):
            acc = 0.0
            if j > 0:
                acc += hx * (p[i, j] + p[i, j - 1])
            if j < nx - 1:
                acc -= hx * (p[i, j + 1] + p[i, j])
            if i > 0:
                acc += hy * (q[i, j] + q[i - 1, j])
            if i < ny - 1:
                acc -= hy * (q[i + 1, j] + q[i, j])
            out[i, j] = acc


def integrate_dct(p: NDArray, q: NDArray, *, dx_mm: float, dy_mm: float) -> NDArray[np.float64]:
    """Least-squares heights (mm, mean 0) from full-grid slopes by the DCT Poisson solver."""
    p, q = _check(p, q, dx_mm, dy_mm)
    ny, nx = p.shape
    rhs = np.empty((ny, nx))
    _slope_divergence(p, q, float(dx_mm), float(dy_mm), rhs)
    f = scipy.fft.dctn(rhs, type=2, norm="ortho", workers=_workers())
    lam_x = 2.0 - 2.0 * np.cos(np.pi * np.arange(nx) / nx)
    lam_y = 2.0 - 2.0 * np.cos(np.pi * np.arange(ny) / ny)
    denom = lam_y[:, None] + lam_x[None, :]
    denom[0, 0] = 1.0
    f /= denom
    f[0, 0] = 0.0
    return scipy.fft.idctn(f, type=2, norm="ortho", workers=_workers())


def integrate_fft(p: NDArray, q: NDArray, *, dx_mm: float, dy_mm: float) -> NDArray[np.float64]:
    """Frankot-Chellappa heights (mm, mean 0) from full-grid slopes, with mirror extension."""
    p, q = _check(p, q, dx_mm, dy_mm)
    ny, nx = p.shape
    # Even extension of z: p is odd across the x edges and even across the y edges; q the reverse.
    pe = np.block([[p, -p[:, ::-1]], [p[::-1, :], -p[::-1, ::-1]]])
    qe = np.block([[q, q[:, ::-1]], [-q[::-1, :], -q[::-1, ::-1]]])
    w = _workers()
    fp = scipy.fft.rfft2(pe, workers=w)
    fq = scipy.fft.rfft2(qe, workers=w)
    u = 2 * np.pi * scipy.fft.rfftfreq(2 * nx, d=dx_mm)
    v = 2 * np.pi * scipy.fft.fftfreq(2 * ny, d=dy_mm)
    uu, vv = u[None, :], v[:, None]
    denom = uu**2 + vv**2
    denom[0, 0] = 1.0
    fz = (-1j * uu * fp - 1j * vv * fq) / denom
    fz[0, 0] = 0.0
    z = scipy.fft.irfft2(fz, s=(2 * ny, 2 * nx), workers=w)[:ny, :nx]
    return z - z.mean()


def integrate_lsq(
    p: NDArray, q: NDArray, *, dx_mm: float, dy_mm: float, mask: NDArray[np.bool_] | None = None,
    rtol: float = 1e-8, maxiter: int = 5000,
) -> NDArray[np.float64]:
    """Least-squares heights (mm) over the pixels in ``mask``; NaN outside it.

    Slopes that are NaN count as outside the mask. Only height steps between two valid
    neighbours enter the equations.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import cg, spsolve

    p, q = _check(p, q, dx_mm, dy_mm)
    ny, nx = p.shape
    valid = np.isfinite(p) & np.isfinite(q)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        check_same_shape(p, mask, names=("p", "mask"))
        valid &= mask
    if not valid.any():
        raise InvalidParameterError("no valid slopes to integrate")
    p0, q0 = np.where(valid, p, 0.0), np.where(valid, q, 0.0)
    z0 = integrate_dct(p0, q0, dx_mm=dx_mm, dy_mm=dy_mm)
    gx, gy = _differences(p0, q0, dx_mm, dy_mm)
    ex = valid[:, 1:] & valid[:, :-1]
    ey = valid[1:, :] & valid[:-1, :]
    index = np.full((ny, nx), -1, dtype=np.int64)
    index[valid] = np.arange(int(valid.sum()))
    n = int(valid.sum())
    a_x, b_x = index[:, :-1][ex], index[:, 1:][ex]
    a_y, b_y = index[:-1, :][ey], index[1:, :][ey]
    rows = np.arange(a_x.size + a_y.size)
    heads = np.concatenate([a_x, a_y])
    tails = np.concatenate([b_x, b_y])
    d = sp.csr_matrix(
        (np.concatenate([-np.ones(rows.size), np.ones(rows.size)]),
         (np.concatenate([rows, rows]), np.concatenate([heads, tails]))),
        shape=(rows.size, n),
    )
    g = np.concatenate([gx[ex], gy[ey]])
    a = (d.T @ d).tocsc()
    # A tiny pull towards the DCT start fixes each connected region's free offset (the normal
    # equations are singular by one constant per region) and changes nothing else measurably.
    eps = 1e-10 * float(a.diagonal().max())
    a = a + eps * sp.identity(n, format="csc")
    rhs = d.T @ g + eps * z0[valid]
    if n <= DIRECT_LIMIT:
        z = spsolve(a, rhs)
    else:
        diag = a.diagonal()
        z, info = cg(a, rhs, x0=z0[valid], rtol=rtol, atol=0.0, maxiter=maxiter, M=sp.diags(1.0 / diag))
        if info < 0:  # pragma: no cover - breakdown of CG on an SPD system
            raise InvalidParameterError("least-squares integration failed; try method='dct'")
    out = np.full((ny, nx), np.nan)
    out[valid] = z
    return out


def integrate_slopes(
    p: NDArray, q: NDArray, *, dx_mm: float, dy_mm: float, method: str = "dct",
    mask: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:
    """Heights in mm from slopes ``p = dz/dx`` and ``q = dz/dy`` (dimensionless).

    Parameters
    ----------
    p, q : (ny, nx) ndarray
        Slopes along x (columns) and y (rows); NaN where unknown.
    dx_mm, dy_mm : float
        Pixel size in mm.
    method : {"dct", "fft", "lsq"}
        Integrator (see the module notes). ``"dct"`` and ``"fft"`` need every slope: unknown
        slopes are set to 0 and the result is NaN there; ``"lsq"`` leaves them out.
    mask : (ny, nx) bool ndarray, optional
        Pixels to reconstruct (``"lsq"``); the others, and pixels with unknown slopes, are NaN.

    Returns
    -------
    (ny, nx) ndarray
        Heights in mm, up to an additive constant.
    """
    check_choice("method", method, INTEGRATORS)
    p, q = _check(p, q, dx_mm, dy_mm)
    valid = np.isfinite(p) & np.isfinite(q)
    if mask is not None:
        check_same_shape(p, np.asarray(mask), names=("p", "mask"))
        valid &= np.asarray(mask, dtype=bool)
    if method == "lsq":
        return integrate_lsq(p, q, dx_mm=dx_mm, dy_mm=dy_mm, mask=valid)
    complete = bool(valid.all())
    if not complete:
        p, q = np.where(valid, p, 0.0), np.where(valid, q, 0.0)
    fn = integrate_dct if method == "dct" else integrate_fft
    z = fn(p, q, dx_mm=dx_mm, dy_mm=dy_mm)
    if not complete:
        z[~valid] = np.nan
    return z
