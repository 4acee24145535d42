"""Least-squares plane and polynomial form removal.

The polynomial of total degree ``N`` is fitted in a tensor Legendre basis
``P_a(u) P_b(v)`` with ``a + b <= N`` on coordinates scaled to [-1, 1]; it spans the same space
as the monomials ``x**a y**b`` (so the fitted surface is the ordinary least-squares polynomial),
but the normal equations stay well conditioned up to degree 8. Because the grid is regular the
normal equations are assembled from row and column products (``Ly.T @ (w * z) @ Lx``) without
building a design matrix of ``ny * nx`` rows, and the trend is evaluated as ``Ly @ C @ Lx.T``.
Missing points (NaN) get weight zero: the fit uses valid points only and the trend is evaluated
everywhere.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.polynomial import legendre
from numpy.typing import NDArray

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError

#: Highest polynomial degree accepted by :func:`fit_polynomial` and ``method="poly:N"``.
MAX_DEGREE = 8
#: Form-removal methods accepted by :func:`remove_form` (``N`` from 1 to :data:`MAX_DEGREE`).
FORM_METHODS = ("none", "plane", "poly:N")

_POLY = re.compile(r"poly:(\d+)")


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
    _check_degree(degree)
    n_terms = (degree + 1) * (degree + 2) // 2
    surface.require_valid(minimum=max(n_terms, 1))
    valid = surface.valid
    w = valid.astype(np.float64)
    zw = np.where(valid, surface.z, 0.0)
    ly = _basis(surface.ny, degree)  # (ny, N+1)
    lx = _basis(surface.nx, degree)  # (nx, N+1)
    terms = [(a, b) for a in range(degree + 1) for b in range(degree + 1 - a)]  # a: x order, b: y order
    # Gram matrix G[(a,b),(c,d)] = sum_ij w_ij Ly_b(i) Ly_d(i) Lx_a(j) Lx_c(j).
    kx = (lx[:, :, None] * lx[:, None, :]).reshape(surface.nx, -1)  # (nx, (N+1)^2): index a*(N+1)+c
    ky = (ly[:, :, None] * ly[:, None, :]).reshape(surface.ny, -1)  # (ny, (N+1)^2): index b*(N+1)+d
    moments = ky.T @ (w @ kx)  # [(b,d), (a,c)]
    m1 = degree + 1
    gram = np.empty((len(terms), len(terms)))
    for p, (a, b) in enumerate(terms):
        for q, (c, d) in enumerate(terms):
            gram[p, q] = moments[b * m1 + d, a * m1 + c]
    rhs_full = ly.T @ zw @ lx  # [b, a]
    rhs = np.array([rhs_full[b, a] for a, b in terms])
    coeffs, *_ = np.linalg.lstsq(gram, rhs, rcond=None)
    cmat = np.zeros((m1, m1))  # [b, a]
    for (a, b), value in zip(terms, coeffs, strict=True):
        cmat[b, a] = value
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
        trend = fit_polynomial(surface, degree)
    except EmptySurfaceError as exc:
        raise EmptySurfaceError(f"{exc}; choose a lower degree than {method!r}") from exc
    return surface.with_z(surface.z - trend, form_removed=method)
