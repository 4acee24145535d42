"""Shared fixtures: small grids; numba kernels compile once per process (module-level, cached)."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.therapy import AgentKinetics, Grid, ModelParameters, RemodellingModel, synthetic_region

#: Every reaction, source and sink off; only the diffusivities given are non-zero.
QUIET = dict(
    factor_decay_per_day=0.0, chemotaxis_mm2_per_day=0.0, fibroblast_proliferation_per_day=0.0,
    fibroblast_removal_per_day=0.0, collagen_synthesis_per_day=0.0, labile_collagen_turnover_per_day=0.0,
    collagen_maturation_per_day=0.0, injury_resolution_per_day=0.0, injury_factor_release_per_day=0.0,
    fibroblast_diffusivity_mm2_per_day=0.0,
)


def quiet_model(**changes: float) -> RemodellingModel:
    """A model with all reactions off (pure transport), changed by ``changes``."""
    agent = {k: changes.pop(k) for k in list(changes) if k in ("retention_decay_per_day",
                                                               "secretion_molecules_per_unit_s",
                                                               "diffusivity_mm2_per_day")}
    agent = {"retention_decay_per_day": 0.0, "secretion_molecules_per_unit_s": 0.0,
             "diffusivity_mm2_per_day": 0.0, **agent}
    return RemodellingModel(params=ModelParameters(**{**QUIET, **changes}), agent=AgentKinetics(**agent))


def gaussian(grid: Grid, x0: float, y0: float, var: float) -> np.ndarray:
    """Unit-mass 2-D Gaussian with variance ``var`` (mm^2) per axis, on cell centres."""
    y = (np.arange(grid.ny)) * grid.dy_mm
    x = (np.arange(grid.nx)) * grid.dx_mm
    r2 = (x[None, :] - x0) ** 2 + (y[:, None] - y0) ** 2
    return np.exp(-r2 / (2 * var)) / (2 * np.pi * var)


@pytest.fixture(scope="session")
def region():
    """6.4 x 6.4 mm with three scars at 0.2 mm spacing (coarse, to keep the suite fast)."""
    return synthetic_region(n=32, dx_mm=0.2)


BACKENDS = ["numpy", "numba"]
try:  # the optional JAX backend joins the backend-parametrised tests when installed
    import jax  # noqa: F401

    BACKENDS.append("jax")
except ModuleNotFoundError:
    pass
