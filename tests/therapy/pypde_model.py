"""The remodelling equations written independently in py-pde (peer for tests and the benchmark).

Only tests and ``benchmarks/bench_simulate.py`` import this (py-pde is a dev/bench extra).
The chemotaxis term is expanded, div(n grad c) = grad n . grad c + n lap c, and discretised with
py-pde's own central-difference operators, so the two codes share equations, not stencils.
"""

from __future__ import annotations

import numba
import numpy as np
import pde

from scarwise.therapy import Grid, RemodellingModel

BC = {"derivative": 0}


def pde_grid(grid: Grid) -> pde.CartesianGrid:
    """A py-pde grid with the same cells: x along columns (axis 1), y along rows (axis 0)."""
    return pde.CartesianGrid([[0, grid.ny * grid.dy_mm], [0, grid.nx * grid.dx_mm]], [grid.ny, grid.nx])


class RemodellingPDE(pde.PDEBase):
    """a, i, c, n, L, M as in ``scarwise.therapy._model`` (mm, days)."""

    def __init__(self, model: RemodellingModel, inv_cap: np.ndarray) -> None:
        super().__init__()
        self.r = model.rates
        self.inv_cap = np.ascontiguousarray(inv_cap, dtype=np.float64)

    def evolution_rate(self, state, t=0):
        r = self.r
        a, i, c, n, lab, mat = state
        s = c / (1.0 + c)
        room = np.maximum(1.0 - (lab.data + mat.data) * self.inv_cap, 0.0)
        g = pde.ScalarField(c.grid, np.where(self.inv_cap > 0, room, 0.0))
        taxis = (n.gradient(BC) @ c.gradient(BC)) + n * c.laplace(BC)
        rates = [
            r.d_a * a.laplace(BC) - r.k_a * a,
            -r.k_i * i,
            r.d_c * c.laplace(BC) - r.lam_c * c + r.q_a * a + r.q_i * i,
            r.d_n * n.laplace(BC) - r.chi * taxis + r.r_n * s * n * (1.0 - n / r.n_max) - r.delta_n * (n - 1.0),
            r.k_fill * n * s * g - (r.delta_l + r.m) * lab,
            r.m * lab - r.delta_m * mat,
        ]
        return pde.FieldCollection(rates)

    def make_evolution_rate(self, state, backend):
        r = self.r
        grid = state.grid
        lap = grid.make_operator("laplace", bc=BC, backend=backend)
        grad = grid.make_operator("gradient", bc=BC, backend=backend)
        inv_cap = self.inv_cap
        k_a, k_i, lam_c, q_a, q_i, chi = r.k_a, r.k_i, r.lam_c, r.q_a, r.q_i, r.chi
        r_n, n_max, delta_n, k_fill = r.r_n, r.n_max, r.delta_n, r.k_fill
        delta_l, m, delta_m = r.delta_l, r.m, r.delta_m
        d_a, d_c, d_n = r.d_a, r.d_c, r.d_n

        @numba.njit
        def rhs(data, t=0.0):
            a, i, c, n, lab, mat = data[0], data[1], data[2], data[3], data[4], data[5]
            out = np.empty_like(data)
            lap_c = lap(c)
            gc = grad(c)
            gn = grad(n)
            s = c / (1.0 + c)
            g = np.zeros_like(c)
            for y in range(c.shape[0]):
                for x in range(c.shape[1]):
                    if inv_cap[y, x] > 0:
                        g[y, x] = max(1.0 - (lab[y, x] + mat[y, x]) * inv_cap[y, x], 0.0)
            taxis = gn[0] * gc[0] + gn[1] * gc[1] + n * lap_c
            out[0] = d_a * lap(a) - k_a * a
            out[1] = -k_i * i
            out[2] = d_c * lap_c - lam_c * c + q_a * a + q_i * i
            out[3] = d_n * lap(n) - chi * taxis + r_n * s * n * (1.0 - n / n_max) - delta_n * (n - 1.0)
            out[4] = k_fill * n * s * g - (delta_l + m) * lab
            out[5] = m * lab - delta_m * mat
            return out

        return rhs


def to_collection(u: np.ndarray, grid: Grid) -> pde.FieldCollection:
    g = pde_grid(grid)
    return pde.FieldCollection([pde.ScalarField(g, u[k].copy()) for k in range(u.shape[0])])


def solve_pypde(model: RemodellingModel, u0: np.ndarray, grid: Grid, inv_cap: np.ndarray, *, t_days: float,
                dt_days: float, backend: str = "numba") -> np.ndarray:
    """Integrate with py-pde's explicit Runge-Kutta (fixed step) and return the (6, ny, nx) state."""
    eq = RemodellingPDE(model, inv_cap)
    state = to_collection(u0, grid)
    res = eq.solve(state, t_range=t_days, dt=dt_days, solver="runge-kutta", adaptive=False,
                   backend=backend, tracker=None)
    return np.array(res.data)
