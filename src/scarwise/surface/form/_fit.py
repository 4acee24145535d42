"""Least-squares plane and polynomial form removal.

The polynomial of total degree ``N`` is fitted in a tensor Legendre basis
``P_a(u) P_b(v)`` with ``a + b <= N`` on coordinates scaled to [-1, 1]; it spans the same space
as the monomials ``x**a y**b`` (so the fitted surface is the ordinary least-squares polynomial),
but the normal equations stay well conditioned up to degree 8. Because the grid is regular the
normal equations are assembled from per-row sums (one compiled pass over the map) without
building a design matrix of ``ny * nx`` rows, and the form ``Ly @ C @ Lx.T`` is subtracted in a
second pass without being stored.
Missing points (NaN) get weight zero: the fit uses valid points only and the trend is evaluated
everywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numba
import numpy as np
from numpy.polynomial import legendre
from numpy.typing import NDArray

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError

#: Highest polynomial degree accepted by :func:`fit_polynomial` and ``method="poly:N"``.
MAX_DEGREE = 8
#: Form-removal methods accepted by :func:`remove_form` (``N`` from 1 to :data:`MAX_DEGREE`).
FORM_METHODS = ("none", "plane", "poly:N")

_POLY = re.compile(r"poly:(\d+)")
#: Let LLVM reorder sums so that the row loops vectorize; no "nnan" flag, NaN tests must stay.
_FAST = {"reassoc", "contract"}


def _scaled(n: int) -> NDArray[np.float64]:
    """Sample positions 0..n-1 mapped onto [-1, 1] (0 for a single sample)."""
    if n == 1:
        return np.zeros(1)
    return np.linspace(-1.0, 1.0, n)


def _basis(n: int, degree: int) -> NDArray[np.float64]:
    """Legendre polynomials P_0..P_degree at the scaled positions, shape (n, degree + 1)."""
    return legendre.legvander(_scaled(n), degree)


def _check_degree(degree: int) -> None:
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not 0 <= degree <= MAX_DEGREE:
        raise InvalidParameterError(f"polynomial degree must be a whole number from 0 to {MAX_DEGREE}, got {degree!r}")


@functools.cache
def make_row_sums() -> Callable[[NDArray[np.float64], NDArray[np.float64]], tuple]:
    """Compiled kernel: per row ``i``, ``sum_j Lx_a(j) Lx_c(j)`` (a <= c) and ``sum_j z_ij Lx_a(j)``
    over the valid points, in one pass over ``z``."""

    @numba.njit(cache=True, nogil=True, fastmath=_FAST)
    def row_sums(z, lxt):  # z: (ny, nx), NaN = missing; lxt: (m, nx) basis along x
        ny, nx = z.shape
        m = lxt.shape[0]
        gram = np.zeros((ny, m, m))
        rhs = np.zeros((ny, m))
        for i in range(ny):
            for a in range(m):
                acc = 0.0
                for j in range(nx):
                    v = z[i, j]
                    acc += (v if v == v else 0.0) * lxt[a, j]
                rhs[i, a] = acc
                for c in range(a, m):
                    acc = 0.0
                    for j in range(nx):
                        v = z[i, j]
                        acc += lxt[a, j] * lxt[c, j] if v == v else 0.0
                    gram[i, a, c] = acc
                    gram[i, c, a] = acc
        return gram, rhs

    return row_sums


@functools.cache
def make_subtract_form() -> Callable[[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]], NDArray]:
    """Compiled kernel: ``z - r @ lx.T`` without building the form (NaN stays NaN)."""

    @numba.njit(cache=True, nogil=True, fastmath=_FAST)
    def subtract_form(z, r, lxt):  # z: (ny, nx); r: (ny, m) = Ly @ C; lxt: (m, nx)
        ny, nx = z.shape
        out = np.empty_like(z)
        for i in range(ny):
            r0 = r[i, 0]
            for j in range(nx):
                out[i, j] = z[i, j] - r0 * lxt[0, j]
            for a in range(1, r.shape[1]):
                ra = r[i, a]
                for j in range(nx):
                    out[i, j] -= ra * lxt[a, j]
        return out

    return subtract_form


def _solve(surface: HeightMap, degree: int) -> tuple[NDArray, NDArray, NDArray]:
    """``(Ly, C, Lx)`` such that the least-squares form is ``Ly @ C @ Lx.T``."""
    _check_degree(degree)
    n_terms = (degree + 1) * (degree + 2) // 2
    surface.require_valid(minimum=max(n_terms, 1))
    ly = _basis(surface.ny, degree)  # (ny, N+1)
    lx = _basis(surface.nx, degree)  # (nx, N+1)
    z = np.ascontiguousarray(surface.z, dtype=np.float64)
    gram_rows, rhs_rows = make_row_sums()(z, np.ascontiguousarray(lx.T))  # (ny, a, c), (ny, a)
    # Gram matrix G[(a,b),(c,d)] = sum_i Ly_b(i) Ly_d(i) gram_rows[i, a, c]; a, c: x orders, b, d: y orders
    moments = np.einsum("ib,id,iac->abcd", ly, ly, gram_rows, optimize=True)
    rhs_full = ly.T @ rhs_rows  # [b, a]
    terms = [(a, b) for a in range(degree + 1) for b in range(degree + 1 - a)]
    gram = np.array([[moments[a, b, c, d] for c, d in terms] for a, b in terms])
    rhs = np.array([rhs_full[b, a] for a, b in terms])
    coeffs, *_ = np.linalg.lstsq(gram, rhs, rcond=None)
    cmat = np.zeros((degree + 1, degree + 1))  # [b, a]
    for (a, b), value in zip(terms, coeffs, strict=True):
        cmat[b, a] = value
    return ly, cmat, lx


def fit_polynomial(surface: HeightMap, degree: int) -> NDArray[np.float64]:
    """Least-squares 2-D polynomial of total degree ``degree`` evaluated on the whole grid.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing (missing points are left out of the fit).
    degree : int
        Total degree ``N`` (terms ``x**a y**b`` with ``a + b <= N``), 0 to 8.

    Returns
    -------
    (ny, nx) ndarray
        The fitted form in mm at every grid point, missing ones included.
    """
    ly, cmat, lx = _solve(surface, degree)
    return ly @ cmat @ lx.T


def fit_plane(surface: HeightMap) -> NDArray[np.float64]:
    """Least-squares plane through the valid points, evaluated on the whole grid.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing.

    Returns
    -------
    (ny, nx) ndarray
        The plane ``z = c0 + c1 x + c2 y`` in mm; the same plane as surfalize's ``Surface.level``.
    """
    return fit_polynomial(surface, 1)


def _parse_method(method: str) -> int | None:
    """Degree of the form to remove, or None for ``"none"``."""
    if not isinstance(method, str):
        raise InvalidParameterError(f"form method must be a string, one of {list(FORM_METHODS)}; got {method!r}")
    if method == "none":
        return None
    if method == "plane":
        return 1
    match = _POLY.fullmatch(method)
    if match is None or not 1 <= int(match.group(1)) <= MAX_DEGREE:
        raise InvalidParameterError(
            f"form method {method!r} unknown; choose 'none', 'plane' or 'poly:N' with N from 1 to {MAX_DEGREE}"
        )
    return int(match.group(1))


def remove_form(surface: HeightMap, *, method: str = "plane") -> HeightMap:
    """Subtract the least-squares form from a surface.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing (kept missing).
    method : str
        ``"none"`` (returned unchanged), ``"plane"`` (least-squares plane, as surfalize's
        ``level()``) or ``"poly:N"`` (2-D polynomial of total degree N, 1 to 8).

    Returns
    -------
    HeightMap
        The residual heights in mm; metadata records ``form_removed``.

    Examples
    --------
    >>> import numpy as np
    >>> from scarwise.core import HeightMap
    >>> y, x = np.mgrid[0:4, 0:5] * 0.1
    >>> out = remove_form(HeightMap(0.3 + 0.2 * x - 0.1 * y, 0.1, 0.1))
    >>> bool(np.abs(out.z).max() < 1e-12)
    True
    """
    degree = _parse_method(method)
    if degree is None:
        return surface
    surface.require_valid()
    try:
        ly, cmat, lx = _solve(surface, degree)
    except EmptySurfaceError as exc:
        raise EmptySurfaceError(f"{exc}; choose a lower degree than {method!r}") from exc
    z = np.ascontiguousarray(surface.z, dtype=np.float64)
    return surface.with_z(make_subtract_form()(z, ly @ cmat, np.ascontiguousarray(lx.T)), form_removed=method)
