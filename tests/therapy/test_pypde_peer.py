"""The same equations written in py-pde give the same fields (within 1%)."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.therapy import RemodellingModel, get_protocol, integrate, synthetic_region
from scarwise.therapy._simulate import session_events

pde = pytest.importorskip("pde", reason="py-pde is in the dev extra")


def test_fields_match_pypde_within_one_percent():
    from .pypde_model import solve_pypde

    region = synthetic_region(n=32, dx_mm=0.2)
    p = get_protocol("microneedling+prp")
    model = RemodellingModel(agent=p.agent.product.kinetics)
    u0 = model.initial_state(region.grid)
    session_events(region, p)[0].apply(u0)  # state just after the first session
    inv_cap = model.inverse_capacity(region.depth0_mm)
    # py-pde: classic RK4, fixed step well inside its stability limit (numpy backend: no compile in tests)
    peer = solve_pypde(model, u0, region.grid, inv_cap, t_days=1.0, dt_days=0.02, backend="numpy")
    ours = integrate(model, u0, grid=region.grid, inv_cap=inv_cap, sample_days=[1.0], dt_days=0.05)
    for k in range(6):
        scale = np.abs(peer[k]).max()
        assert scale > 0
        assert np.abs(ours[k] - peer[k]).max() <= 0.01 * scale, k
