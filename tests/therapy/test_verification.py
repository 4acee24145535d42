"""Verification of the solvers against analytic solutions, conservation and each other."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.therapy import Grid, RemodellingModel, get_backend, integrate
from scarwise.therapy._model import A, C, I, N
from scarwise.therapy.solvers import UnknownBackendError

from .conftest import BACKENDS, gaussian, quiet_model

D = 0.4  # mm^2/day, about the factor's effective diffusivity


def _run(model, u0, grid, days, **kw):
    return integrate(model, u0, grid=grid, inv_cap=np.zeros(grid.shape), sample_days=days, **kw)


def test_unknown_backend_lists_known():
    with pytest.raises(UnknownBackendError, match="choose one of"):
        get_backend("fortran")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method, dt", [("split", 0.5), ("explicit", 0.0005)])
def test_diffusion_matches_analytic_gaussian(backend, method, dt):
    grid = Grid(80, 80, 0.05, 0.05)
    model = quiet_model(factor_diffusivity_mm2_per_day=D)
    u0 = model.initial_state(grid)
    var0, t = 0.04, 0.05
    u0[C] = gaussian(grid, 2.0, 2.0, var0)
    u = _run(model, u0, grid, [t], backend=backend, method=method, dt_days=dt)
    exact = gaussian(grid, 2.0, 2.0, var0 + 2 * D * t)
    assert np.max(np.abs(u[C] - exact)) / exact.max() < 5e-3  # O(dx^2) spatial error only


def test_spatial_convergence_is_second_order():
    errors = []
    for n in (20, 40, 80):
        dx = 4.0 / n
        grid = Grid(n, n, dx, dx)
        model = quiet_model(factor_diffusivity_mm2_per_day=D)
        u0 = model.initial_state(grid)
        c = 2.0 - dx / 2  # the same physical point (domain centre) on every grid: x = j dx on samples
        u0[C] = gaussian(grid, c, c, 0.09)
        u = _run(model, u0, grid, [0.1], backend="numba", dt_days=0.1)
        exact = gaussian(grid, c, c, 0.09 + 2 * D * 0.1)
        errors.append(np.sqrt(np.mean((u[C] - exact) ** 2)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.8) and np.all(orders < 2.3), orders


@pytest.mark.parametrize("backend", BACKENDS)
def test_decay_matches_exponential(backend):
    grid = Grid(8, 8, 0.1, 0.1)
    rates = {A: 0.35, C: 2.0, I: 1 / 3}
    model = quiet_model(retention_decay_per_day=rates[A], factor_decay_per_day=rates[C],
                        injury_resolution_per_day=rates[I])
    u0 = model.initial_state(grid)
    u0[A], u0[C], u0[I] = 5.0, 1.0, 0.8
    got, h = {}, 0.01
    _run(model, u0, grid, [1.0, 4.0], backend=backend, dt_days=h,
         on_sample=lambda s: got.update({s.t_days: s.u.copy()}))
    for t, u in got.items():
        for k, lam in rates.items():
            exact = u0[k] * np.exp(-lam * t)
            rel = np.abs(u[k] / exact - 1)
            # two Heun half-steps per split step: relative error t lam^3 (h/2)^2 / 6 to leading order
            predicted = t * lam**3 * (h / 2) ** 2 / 6
            np.testing.assert_allclose(rel, predicted, rtol=0.05, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mass_is_conserved_without_sources_or_sinks(backend):
    grid = Grid(40, 30, 0.05, 0.07)
    model = quiet_model(factor_diffusivity_mm2_per_day=D, fibroblast_diffusivity_mm2_per_day=0.01,
                        chemotaxis_mm2_per_day=0.02, diffusivity_mm2_per_day=0.05)
    rng = np.random.default_rng(1)
    u0 = model.initial_state(grid)
    u0[A], u0[C], u0[N] = rng.random(grid.shape), 3 * rng.random(grid.shape), 1 + rng.random(grid.shape)
    u = _run(model, u0, grid, [2.0], backend=backend, dt_days=0.05)
    for k in (A, C, N):
        assert abs(u[k].sum() - u0[k].sum()) <= 1e-11 * u0[k].sum()
    assert not np.allclose(u[N], u0[N])  # something moved: chemotaxis and diffusion were on


def test_chemotaxis_moves_fibroblasts_up_the_factor_gradient():
    grid = Grid(4, 30, 0.05, 0.05)
    model = quiet_model(chemotaxis_mm2_per_day=0.05)
    u0 = model.initial_state(grid)
    u0[C] = np.linspace(0, 2, 30)[None, :]
    u = _run(model, u0, grid, [1.0], backend="numba", dt_days=0.05)
    assert u[N][:, -1].mean() > 1.0 > u[N][:, 0].mean()


def test_numpy_and_numba_rates_agree():
    grid = Grid(17, 23, 0.05, 0.08)
    model = RemodellingModel()
    rng = np.random.default_rng(2)
    u = rng.random((6, *grid.shape))
    inv_cap = np.where(rng.random(grid.shape) > 0.5, 1 / 0.3, 0.0)
    d = model.rates.diffusivities()
    outs = []
    for name in BACKENDS:
        out = np.empty_like(u)
        get_backend(name).make_rate(model, grid, inv_cap, d)(u, out)
        outs.append(out)
    for other in outs[1:]:
        np.testing.assert_allclose(other, outs[0], rtol=1e-12, atol=1e-12 * np.abs(outs[0]).max())
    np.testing.assert_allclose(outs[0], model.rate(u, 0.0, inv_cap, grid), rtol=0, atol=0)


def test_explicit_step_beyond_stability_is_refused():
    grid = Grid(10, 10, 0.01, 0.01)
    model = quiet_model(factor_diffusivity_mm2_per_day=D)
    with pytest.raises(ValueError, match="stability limit"):
        _run(model, model.initial_state(grid), grid, [1.0], method="explicit", dt_days=0.1)


def test_adaptive_step_matches_fine_fixed_step(region):
    from scarwise.therapy import get_protocol, simulate_protocol

    p = get_protocol("prp")
    fine = simulate_protocol(region, p, days=[5, 20], dt_days=0.02)
    adaptive = simulate_protocol(region, p, days=[5, 20], dt_days=0.5, rtol=1e-4)
    for a, b in zip(fine.scars, adaptive.scars, strict=True):
        np.testing.assert_allclose(b.volume_mm3, a.volume_mm3, rtol=2e-3)
