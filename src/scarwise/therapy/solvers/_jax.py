"""JAX backend: the same right-hand side as one jitted function (GPU when JAX finds one).

Runs in float64 (``jax_enable_x64`` is switched on when this backend is first requested).
Install with ``pip install 'scarwise[jax]'`` (add the CUDA wheels for a GPU).
"""

from __future__ import annotations

import jax
import numpy as np
from numpy.typing import NDArray

from scarwise.therapy._model import Grid, RemodellingModel
from scarwise.therapy.solvers._base import RateFn

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402  (after the precision switch)


def _lap(f, cx: float, cy: float):
    p = jnp.pad(f, 1, mode="edge")
    return (p[1:-1, 2:] - 2.0 * f + p[1:-1, :-2]) * cx + (p[2:, 1:-1] - 2.0 * f + p[:-2, 1:-1]) * cy


def _taxis(n, c, dx: float, dy: float):
    fx = 0.5 * (n[:, 1:] + n[:, :-1]) * (c[:, 1:] - c[:, :-1]) / dx
    fy = 0.5 * (n[1:, :] + n[:-1, :]) * (c[1:, :] - c[:-1, :]) / dy
    fx = jnp.pad(fx, ((0, 0), (1, 1)))
    fy = jnp.pad(fy, ((1, 1), (0, 0)))
    return (fx[:, 1:] - fx[:, :-1]) / dx + (fy[1:, :] - fy[:-1, :]) / dy


class _JaxBackend:
    name = "jax"

    def make_rate(
        self, model: RemodellingModel, grid: Grid, inv_cap: NDArray[np.float64], diffusivities: NDArray[np.float64]
    ) -> RateFn:
        r = model.rates
        dx, dy = grid.dx_mm, grid.dy_mm
        cx, cy = 1.0 / dx**2, 1.0 / dy**2
        d = [float(v) for v in diffusivities]
        ic = jnp.asarray(inv_cap, dtype=jnp.float64)

        @jax.jit
        def rhs(u):
            a, i, c, n, lab, mat = u[0], u[1], u[2], u[3], u[4], u[5]
            s = c / (1.0 + c)
            g = jnp.where(ic > 0, jnp.maximum(1.0 - (lab + mat) * ic, 0.0), 0.0)
            rates = [
                -r.k_a * a,
                -r.k_i * i,
                -r.lam_c * c + r.q_a * a + r.q_i * i,
                -r.chi * _taxis(n, c, dx, dy) + r.r_n * s * n * (1.0 - n / r.n_max) - r.delta_n * (n - 1.0),
                r.k_fill * n * s * g - (r.delta_l + r.m) * lab,
                r.m * lab - r.delta_m * mat,
            ]
            rates = [rk + d[k] * _lap(u[k], cx, cy) if d[k] > 0 else rk for k, rk in enumerate(rates)]
            return jnp.stack(rates)

        def rate(u: NDArray[np.float64], out: NDArray[np.float64]) -> None:
            out[...] = np.asarray(rhs(jnp.asarray(u)))

        return rate


BACKEND = _JaxBackend()
