"""Numba backend: one fused, parallel kernel per right-hand side.

The kernels are module-level and take their coefficients as an array, so they compile once per
process (and are cached on disk), whatever the model's parameters or the grid; ``make_*`` are the
factories that bind a model's constants to them.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from scarwise.therapy._model import A, C, Grid, N, RemodellingModel
from scarwise.therapy.solvers._base import RateFn


def _coefficients(model: RemodellingModel, grid: Grid) -> NDArray[np.float64]:
    r = model.rates
    return np.array(
        [r.k_a, r.k_i, r.lam_c, r.q_a, r.q_i, r.chi, r.r_n, r.n_max, r.delta_n, r.k_fill, r.delta_l, r.m,
         r.delta_m, 0.0, 0.0, 0.0, 1.0 / grid.dx_mm**2, 1.0 / grid.dy_mm**2],
        dtype=np.float64,
    )


def _kernel_py(u, inv_cap, k, out):  # pragma: no cover - compiled below
    k_a, k_i, lam_c, q_a, q_i, chi, r_n, n_max, delta_n = k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
    k_fill, delta_l, m, delta_m, d_a, d_c, d_n, cx, cy = k[9], k[10], k[11], k[12], k[13], k[14], k[15], k[16], k[17]
    ny, nx = u.shape[1], u.shape[2]
    for i in numba.prange(ny):
        im = max(i - 1, 0)
        ip = min(i + 1, ny - 1)
        for j in range(nx):
            jm = max(j - 1, 0)
            jp = min(j + 1, nx - 1)
            a = u[0, i, j]
            inj = u[1, i, j]
            c = u[2, i, j]
            n = u[3, i, j]
            lab = u[4, i, j]
            mat = u[5, i, j]
            s = c / (1.0 + c)
            ic = inv_cap[i, j]
            g = 0.0
            if ic > 0.0:
                g = max(1.0 - (lab + mat) * ic, 0.0)
            # chemotaxis: conservative face fluxes, zero across the outer edges
            fe = 0.5 * (n + u[3, i, jp]) * (u[2, i, jp] - c) if j < nx - 1 else 0.0
            fw = 0.5 * (n + u[3, i, jm]) * (c - u[2, i, jm]) if j > 0 else 0.0
            fs = 0.5 * (n + u[3, ip, j]) * (u[2, ip, j] - c) if i < ny - 1 else 0.0
            fn = 0.5 * (n + u[3, im, j]) * (c - u[2, im, j]) if i > 0 else 0.0
            taxis = (fe - fw) * cx + (fs - fn) * cy
            ra = -k_a * a
            rc = -lam_c * c + q_a * a + q_i * inj
            rn = -chi * taxis + r_n * s * n * (1.0 - n / n_max) - delta_n * (n - 1.0)
            if d_a > 0.0:
                ra += d_a * ((u[0, i, jp] - 2.0 * a + u[0, i, jm]) * cx + (u[0, ip, j] - 2.0 * a + u[0, im, j]) * cy)
            if d_c > 0.0:
                rc += d_c * ((u[2, i, jp] - 2.0 * c + u[2, i, jm]) * cx + (u[2, ip, j] - 2.0 * c + u[2, im, j]) * cy)
            if d_n > 0.0:
                rn += d_n * ((u[3, i, jp] - 2.0 * n + u[3, i, jm]) * cx + (u[3, ip, j] - 2.0 * n + u[3, im, j]) * cy)
            out[0, i, j] = ra
            out[1, i, j] = -k_i * inj
            out[2, i, j] = rc
            out[3, i, j] = rn
            out[4, i, j] = k_fill * n * s * g - (delta_l + m) * lab
            out[5, i, j] = m * lab - delta_m * mat


#: Threads only pay off on larger grids (py-pde uses a similar size threshold).
PARALLEL_MIN_POINTS = 128 * 128
_kernel_serial = numba.njit(cache=True)(_kernel_py)
_kernel_parallel = numba.njit(parallel=True, cache=True)(_kernel_py)


class _NumbaBackend:
    name = "numba"

    def make_rate(
        self, model: RemodellingModel, grid: Grid, inv_cap: NDArray[np.float64], diffusivities: NDArray[np.float64]
    ) -> RateFn:
        k = _coefficients(model, grid)
        k[13], k[14], k[15] = diffusivities[A], diffusivities[C], diffusivities[N]
        ic = np.ascontiguousarray(inv_cap, dtype=np.float64)
        kernel = _kernel_parallel if grid.ny * grid.nx >= PARALLEL_MIN_POINTS else _kernel_serial

        def rate(u: NDArray[np.float64], out: NDArray[np.float64]) -> None:
            kernel(u, ic, k, out)

        return rate


BACKEND = _NumbaBackend()
