"""Run a protocol on a region and report each scar's remaining depth and volume over time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.core._checks import check_non_negative
from scarwise.core.errors import InvalidParameterError
from scarwise.core.heightmap import check_point_count
from scarwise.therapy._model import A, I, L, M, RemodellingModel
from scarwise.therapy._params import PARAMETER_SOURCE, AgentKinetics, ModelParameters
from scarwise.therapy._protocols import Protocol
from scarwise.therapy._region import MAX_SIMULATION_POINTS, ScarRegion
from scarwise.therapy.solvers import Event, Sample, integrate

PREDICTION_LABEL = "model prediction (uncalibrated mechanistic model; not evidence of efficacy)"


@dataclass(frozen=True, kw_only=True)
class ScarCourse:
    """One scar's predicted course; one value per simulated day."""

    id: int
    depth_mm: tuple[float, ...]
    volume_mm3: tuple[float, ...]
    max_overfill_mm: float  # largest fill above the original skin level, over all days
    hypertrophy: bool  # overfill beyond the model's tolerance: flagged, never hidden

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "depth_mm": list(self.depth_mm), "volume_mm3": list(self.volume_mm3),
                "max_overfill_mm": self.max_overfill_mm, "hypertrophy": self.hypertrophy}


@dataclass(frozen=True, kw_only=True)
class SimulationResult:
    """Predicted course of every scar under one protocol (the ``simulate`` JSON contract)."""

    protocol: str
    days: tuple[float, ...]
    scars: tuple[ScarCourse, ...]
    calibrated: bool
    parameter_source: str
    backend: str
    session_days: tuple[float, ...]
    maps: dict[float, NDArray[np.float64]] = field(default_factory=dict, repr=False)  # remaining depth, if kept

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "days": list(self.days),
            "scars": [s.to_json() for s in self.scars],
            "model": {"calibrated": self.calibrated, "parameter_source": self.parameter_source,
                      "backend": self.backend, "label": PREDICTION_LABEL},
            "session_days": list(self.session_days),
        }


def session_events(region: ScarRegion, protocol: Protocol) -> list[Event]:
    """One event per session: the agent dose added and the device injury set, on their areas."""
    scars = (region.labels > 0).astype(np.float64)
    whole = np.ones(region.grid.shape)
    agent_field = None
    if protocol.agent is not None:
        ag = protocol.agent
        if ag.injected:  # volume per mm^2 follows the local void: uL/mm^3 * mm = uL/mm^2
            agent_field = ag.concentration_per_ul * ag.injection_ul_per_void_mm3 * region.depth0_mm
        else:
            agent_field = np.full(region.grid.shape,
                                  ag.concentration_per_ul * ag.volume_ul_per_cm2 / 100.0 * ag.penetration_fraction)
        agent_field = agent_field * (scars if ag.area == "scars" else whole)
    injury = np.zeros(region.grid.shape)
    for d in protocol.devices:
        injury = np.maximum(injury, d.intensity * (scars if d.area == "scars" else whole))

    def apply(u: NDArray[np.float64]) -> None:
        if agent_field is not None:
            u[A] += agent_field
        if protocol.devices:
            np.minimum(u[I] + injury, 1.0, out=u[I])

    return [Event(t, apply, f"session {k + 1}") for k, t in enumerate(protocol.session_days)]


def simulate_protocol(
    region: ScarRegion,
    protocol: Protocol,
    *,
    days: Sequence[float],
    params: ModelParameters | None = None,
    backend: str = "numba",
    dt_days: float = 0.1,
    rtol: float | None = None,
    keep_maps: bool = False,
    on_sample: Callable[[Sample], None] | None = None,
) -> SimulationResult:
    """Predict each scar's remaining depth (mm) and void volume (mm^3) on the given days.

    Parameters
    ----------
    region : ScarRegion
        Void depth and footprints, e.g. from :func:`region_from_surface`.
    protocol : Protocol
        Treatment course (``get_protocol("none")`` for the untreated course).
    days : sequence of float
        Report days (>= 0), e.g. ``[0, 30, 90, 180]``.
    params : ModelParameters, optional
        Tissue parameters; default the uncalibrated reference priors.
    backend, dt_days, rtol
        Passed to :func:`scarwise.therapy.solvers.integrate`.
    keep_maps : bool
        Keep the remaining-depth map (mm) of every report day in ``result.maps``.
    on_sample : callable, optional
        Called at each report day (progress).
    """
    g = region.grid
    check_point_count(g.nx, g.ny, limit=MAX_SIMULATION_POINTS, what="simulation grid (coarsen_region to shrink it)")
    report = sorted({float(d) for d in days})
    if not report:
        raise InvalidParameterError("days is empty; give at least one report day, e.g. [0, 90, 180]")
    check_non_negative(first_day=report[0])
    if report[-1] > 3650:
        raise InvalidParameterError(f"last day {report[-1]} is beyond the model's 10-year range")
    p = params if params is not None else ModelParameters()
    kin = protocol.agent.product.kinetics if protocol.agent is not None else AgentKinetics()
    model = RemodellingModel(params=p, agent=kin)
    ids = region.scar_ids
    masks = [region.labels == k for k in ids]
    area = region.grid.cell_area_mm2
    depth = {k: [] for k in ids}
    volume = {k: [] for k in ids}
    overfill = dict.fromkeys(ids, 0.0)
    maps: dict[float, NDArray[np.float64]] = {}

    def record(s: Sample) -> None:
        fill = s.u[L] + s.u[M]
        remaining = np.clip(region.depth0_mm - fill, 0.0, None)
        over = fill - region.depth0_mm
        for k, m in zip(ids, masks, strict=True):
            depth[k].append(float(remaining[m].max()))
            volume[k].append(float(remaining[m].sum() * area))
            overfill[k] = max(overfill[k], float(over[m].max()))
        if keep_maps:
            maps[s.t_days] = remaining
        if on_sample is not None:
            on_sample(s)

    integrate(model, model.initial_state(region.grid), grid=region.grid,
              inv_cap=model.inverse_capacity(region.depth0_mm), sample_days=report,
              events=session_events(region, protocol), dt_days=dt_days, backend=backend, rtol=rtol,
              on_sample=record)
    tol = p.hypertrophy_tolerance_mm
    courses = tuple(ScarCourse(id=k, depth_mm=tuple(depth[k]), volume_mm3=tuple(volume[k]),
                               max_overfill_mm=max(overfill[k], 0.0), hypertrophy=overfill[k] > tol) for k in ids)
    return SimulationResult(protocol=protocol.name, days=tuple(report), scars=courses, calibrated=False,
                            parameter_source=PARAMETER_SOURCE, backend=backend,
                            session_days=tuple(d for d in protocol.session_days if d <= report[-1]), maps=maps)
