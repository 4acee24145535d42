"""The remodelling model: reaction-diffusion-taxis fields on the skin-plane grid of one region.

State ``u`` has shape ``(6, ny, nx)``; the fields, in order (see ``docs/model.md``):

* ``a`` delivered agent, units (cells or dose units) per mm^2,
* ``i`` injury signal after a device session, 0..1,
* ``c`` growth factor, in units of the half-saturation density K_c,
* ``n`` fibroblast density relative to resting skin (1 at rest),
* ``L`` labile new collagen, as fill thickness in mm,
* ``M`` mature (cross-linked) new collagen, as fill thickness in mm.

Equations (s(c) = c / (1 + c), g = max(1 - (L + M) / cap, 0), cap = (1 + overfill) * depth0)::

    a_t = D_a lap(a) - k_a a
    i_t = -k_i i
    c_t = D_c lap(c) - lambda_c c + q_a a + q_i i
    n_t = D_n lap(n) - div(chi n grad c) + r_n s(c) n (1 - n / n_max) - delta_n (n - 1)
    L_t = k_rho H n s(c) g - (delta_rho + m) L
    M_t = m L - delta_M M

No-flux (Neumann) boundaries. The remaining depth is ``max(depth0 - (L + M), 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from scarwise.core._checks import check_positive
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy._params import AgentKinetics, ModelParameters

#: Field names in state order.
FIELDS = ("agent", "injury", "factor", "fibroblasts", "collagen_labile_mm", "collagen_mature_mm")
A, I, C, N, L, M = range(6)  # noqa: E741 - the field letters of docs/model.md
N_FIELDS = len(FIELDS)


@dataclass(frozen=True, slots=True)
class Grid:
    """A regular (ny, nx) grid, x along columns; spacing in mm."""

    ny: int
    nx: int
    dx_mm: float
    dy_mm: float

    def __post_init__(self) -> None:
        if int(self.ny) < 2 or int(self.nx) < 2:
            raise InvalidParameterError(f"grid must be at least 2 x 2, got {self.ny} x {self.nx}")
        check_positive(dx_mm=self.dx_mm, dy_mm=self.dy_mm)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.ny), int(self.nx))

    @property
    def cell_area_mm2(self) -> float:
        return self.dx_mm * self.dy_mm


@dataclass(frozen=True, kw_only=True)
class Rates:
    """Plain-float coefficients of the equations (mm, days), derived from the parameter objects."""

    d_a: float
    d_c: float
    d_n: float
    k_a: float
    k_i: float
    lam_c: float
    q_a: float
    q_i: float
    chi: float
    r_n: float
    n_max: float
    delta_n: float
    k_fill: float  # k_rho * H, mm/day per unit fibroblast at full stimulation
    delta_l: float
    m: float
    delta_m: float

    def diffusivities(self) -> NDArray[np.float64]:
        """Diffusion coefficient of each field (mm^2/day), in state order."""
        return np.array([self.d_a, 0.0, self.d_c, self.d_n, 0.0, 0.0])


@dataclass(frozen=True, kw_only=True)
class RemodellingModel:
    """Tissue parameters plus the kinetics of the delivered agent.

    The numpy :meth:`rate` is the one to read; backends compile the same math
    (``scarwise.therapy.solvers``) and a test keeps them equal.
    """

    params: ModelParameters = field(default_factory=ModelParameters)
    agent: AgentKinetics = field(default_factory=AgentKinetics)

    @property
    def rates(self) -> Rates:
        p, g = self.params, self.agent
        return Rates(
            d_a=g.diffusivity_mm2_per_day,
            d_c=p.factor_diffusivity_mm2_per_day,
            d_n=p.fibroblast_diffusivity_mm2_per_day,
            k_a=g.retention_decay_per_day,
            k_i=p.injury_resolution_per_day,
            lam_c=p.factor_decay_per_day,
            q_a=g.secretion_molecules_per_unit_s * 86400.0 / p.half_saturation_molecules_per_mm2,
            q_i=p.injury_factor_release_per_day,
            chi=p.chemotaxis_mm2_per_day,
            r_n=p.fibroblast_proliferation_per_day,
            n_max=p.fibroblast_capacity,
            delta_n=p.fibroblast_removal_per_day,
            k_fill=p.collagen_synthesis_per_day * p.dermis_thickness_mm,
            delta_l=p.labile_collagen_turnover_per_day,
            m=p.collagen_maturation_per_day,
            delta_m=p.stable_collagen_decay_per_day,
        )

    def inverse_capacity(self, depth0_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        """1 / fill capacity (1/mm) where the scar has depth, 0 where nothing may be filled."""
        cap = (1.0 + self.params.overfill_capacity_fraction) * np.clip(depth0_mm, 0.0, None)
        with np.errstate(divide="ignore"):
            return np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), 0.0)

    def initial_state(self, grid: Grid) -> NDArray[np.float64]:
        """Untreated skin: no agent, injury, factor or new collagen; fibroblasts at rest (1)."""
        u = np.zeros((N_FIELDS, *grid.shape))
        u[N] = 1.0
        return u

    def reaction_rate(self, u: NDArray[np.float64], inv_cap: NDArray[np.float64], grid: Grid) -> NDArray:
        """Right-hand side without diffusion: reactions plus the chemotaxis flux divergence."""
        r = self.rates
        a, i, c, n, lab, mat = u
        s = c / (1.0 + c)
        g = np.where(inv_cap > 0, np.maximum(1.0 - (lab + mat) * inv_cap, 0.0), 0.0)
        out = np.empty_like(u)
        out[A] = -r.k_a * a
        out[I] = -r.k_i * i
        out[C] = -r.lam_c * c + r.q_a * a + r.q_i * i
        out[N] = (
            -r.chi * taxis_divergence(n, c, grid)
            + r.r_n * s * n * (1.0 - n / r.n_max)
            - r.delta_n * (n - 1.0)
        )
        out[L] = r.k_fill * n * s * g - (r.delta_l + r.m) * lab
        out[M] = r.m * lab - r.delta_m * mat
        return out

    def rate(self, u: NDArray[np.float64], t_days: float, inv_cap: NDArray[np.float64], grid: Grid) -> NDArray:
        """Full right-hand side du/dt (per day) with 5-point Laplacians and no-flux boundaries."""
        out = self.reaction_rate(u, inv_cap, grid)
        for k, d in enumerate(self.rates.diffusivities()):
            if d > 0:
                out[k] += d * laplacian(u[k], grid)
        return out


def laplacian(f: NDArray[np.float64], grid: Grid) -> NDArray[np.float64]:
    """5-point Laplacian (1/mm^2) with mirrored ghost cells (zero normal flux at the edges)."""
    p = np.pad(f, 1, mode="edge")
    return (p[1:-1, 2:] - 2.0 * f + p[1:-1, :-2]) / grid.dx_mm**2 + (
        p[2:, 1:-1] - 2.0 * f + p[:-2, 1:-1]
    ) / grid.dy_mm**2


def taxis_divergence(n: NDArray[np.float64], c: NDArray[np.float64], grid: Grid) -> NDArray[np.float64]:
    """div(n grad c) in conservative flux form: face-averaged n, face gradient of c, zero flux at edges."""
    fx = np.zeros((n.shape[0], n.shape[1] + 1))
    fx[:, 1:-1] = 0.5 * (n[:, 1:] + n[:, :-1]) * (c[:, 1:] - c[:, :-1]) / grid.dx_mm
    fy = np.zeros((n.shape[0] + 1, n.shape[1]))
    fy[1:-1, :] = 0.5 * (n[1:, :] + n[:-1, :]) * (c[1:, :] - c[:-1, :]) / grid.dy_mm
    return (fx[:, 1:] - fx[:, :-1]) / grid.dx_mm + (fy[1:, :] - fy[:-1, :]) / grid.dy_mm
