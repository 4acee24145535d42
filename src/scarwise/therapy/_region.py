"""The simulated region: scar void depth and scar footprints on the skin-plane grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core._checks import check_same_shape
from scarwise.core.errors import InvalidParameterError
from scarwise.core.heightmap import HeightMap, check_point_count
from scarwise.core.results import ScarMeasurement
from scarwise.therapy._model import Grid

#: Largest grid simulated without coarsening (memory and time stay bounded).
MAX_SIMULATION_POINTS = 1024 * 1024


@dataclass(frozen=True, eq=False)
class ScarRegion:
    """Void depth below skin level and labelled scar footprints.

    Attributes
    ----------
    depth0_mm : (ny, nx) ndarray
        Skin level minus surface in mm, clipped at 0 (0 where missing).
    labels : (ny, nx) ndarray of int
        Scar id on its footprint, 0 elsewhere.
    grid : Grid
        Spacing in mm.
    """

    depth0_mm: NDArray[np.float64]
    labels: NDArray[np.int64]
    grid: Grid

    def __post_init__(self) -> None:
        d = np.nan_to_num(np.asarray(self.depth0_mm, dtype=np.float64), nan=0.0)
        lab = np.asarray(self.labels)
        check_same_shape(d, lab, names=("depth0_mm", "labels"))
        if d.shape != self.grid.shape:
            raise InvalidParameterError(f"depth map {d.shape} does not match grid {self.grid.shape}")
        if not np.issubdtype(lab.dtype, np.integer) or (lab < 0).any():
            raise InvalidParameterError("labels must be non-negative integers (0 = no scar)")
        object.__setattr__(self, "depth0_mm", np.clip(d, 0.0, None))
        object.__setattr__(self, "labels", lab.astype(np.int64))

    @property
    def scar_ids(self) -> tuple[int, ...]:
        return tuple(int(k) for k in np.unique(self.labels) if k > 0)

    def transposed(self) -> ScarRegion:
        """The same region with x and y swapped (for orientation checks)."""
        g = Grid(self.grid.nx, self.grid.ny, self.grid.dy_mm, self.grid.dx_mm)
        return ScarRegion(self.depth0_mm.T.copy(), self.labels.T.copy(), g)


def region_from_surface(
    surface: HeightMap,
    skin_level_mm: NDArray[np.float64],
    scars: Sequence[ScarMeasurement],
) -> ScarRegion:
    """Build the region from a measured surface, its skin level and the scars found on it.

    Each footprint is the connected region deeper than the scar's ``threshold_mm`` inside its
    ``bbox`` that is largest there (the detector's definition). Raised (hypertrophic) scars are
    not simulated (nothing to fill) and get no footprint.
    """
    check_same_shape(surface.z, skin_level_mm, names=("surface.z", "skin_level_mm"))
    depth = np.clip(np.nan_to_num(skin_level_mm - surface.z, nan=0.0), 0.0, None)
    labels = np.zeros(depth.shape, dtype=np.int64)
    for s in scars:
        if s.depth_mm <= 0 or s.type == "hypertrophic":
            continue
        r0, c0, r1, c1 = s.bbox
        if r1 <= r0 or c1 <= c0:
            raise InvalidParameterError(f"scar {s.id} has an empty bbox {s.bbox}; cannot place its footprint")
        win = depth[r0:r1, c0:c1] > s.threshold_mm
        lab, n = ndimage.label(win)
        if n == 0:
            continue
        biggest = 1 + int(np.argmax(ndimage.sum(win, lab, index=np.arange(1, n + 1))))
        sub = labels[r0:r1, c0:c1]
        sub[(lab == biggest) & (sub == 0)] = s.id
    return ScarRegion(depth, labels, Grid(surface.ny, surface.nx, surface.dx_mm, surface.dy_mm))


def region_from_labels(
    surface: HeightMap, skin_level_mm: NDArray[np.float64], labels: NDArray[np.integer],
    scars: Sequence[ScarMeasurement] = (),
) -> ScarRegion:
    """Build the region from a surface, its skin level and a scar label image (0 = no scar).

    This is what ``scarwise.surface.measure.measure_surface`` returns as ``skin_level_mm`` and
    ``labels``. Raised (hypertrophic) scars in ``scars`` are dropped: there is no void to fill.
    """
    check_same_shape(surface.z, skin_level_mm, labels, names=("surface.z", "skin_level_mm", "labels"))
    depth = np.clip(np.nan_to_num(skin_level_mm - surface.z, nan=0.0), 0.0, None)
    lab = np.asarray(labels).astype(np.int64)
    raised = [s.id for s in scars if s.type == "hypertrophic" or s.depth_mm <= 0]
    if raised:
        lab = np.where(np.isin(lab, raised), 0, lab)
    return ScarRegion(depth, lab, Grid(surface.ny, surface.nx, surface.dx_mm, surface.dy_mm))


def coarsen_region(region: ScarRegion, factor: int) -> ScarRegion:
    """Average ``factor`` x ``factor`` blocks (trailing rows/columns dropped) to speed up a simulation.

    The void depth is block-averaged (void volume kept); a block takes the scar id that covers
    most of it when scars cover at least half of it, else 0.
    """
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise InvalidParameterError(f"coarsening factor must be a whole number >= 1, got {factor!r}")
    if factor == 1:
        return region
    ny, nx = region.grid.ny // factor, region.grid.nx // factor
    if ny < 2 or nx < 2:
        raise InvalidParameterError(f"coarsening by {factor} leaves fewer than 2 x 2 cells; use a smaller factor")
    d = region.depth0_mm[: ny * factor, : nx * factor].reshape(ny, factor, nx, factor).mean(axis=(1, 3))
    blocks = region.labels[: ny * factor, : nx * factor].reshape(ny, factor, nx, factor).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(ny, nx, factor * factor)
    labels = np.zeros((ny, nx), dtype=np.int64)
    best = np.zeros((ny, nx), dtype=np.int64)
    for k in region.scar_ids:
        count = (blocks == k).sum(axis=2)
        take = count > best
        labels[take] = k
        best = np.where(take, count, best)
    labels[(blocks > 0).sum(axis=2) * 2 < factor * factor] = 0
    grid = Grid(ny, nx, region.grid.dx_mm * factor, region.grid.dy_mm * factor)
    return ScarRegion(d, labels, grid)


def synthetic_region(*, n: int = 96, dx_mm: float = 0.0625) -> ScarRegion:
    """A small analytic region with three scars (icepick cone, boxcar, rolling), for tests and benchmarks.

    Depths: icepick 0.4 mm (cone, radius 0.4 mm), boxcar 0.3 mm (flat floor, radius 0.9 mm),
    rolling 0.2 mm (Gaussian, sigma 0.8 mm, cut at 1.6 mm); footprints where the depth exceeds 0.02 mm.
    Centres are at fixed fractions of the side, so ``n * dx_mm`` should be about 6 mm or more.
    """
    check_point_count(n, n, limit=MAX_SIMULATION_POINTS, what="synthetic region")
    side = n * dx_mm
    y, x = np.mgrid[0:n, 0:n] * dx_mm
    r1 = np.hypot(x - 0.2 * side, y - 0.25 * side)
    r2 = np.hypot(x - 0.7 * side, y - 0.25 * side)
    r3 = np.hypot(x - 0.5 * side, y - 0.72 * side)
    d1 = 0.4 * np.clip(1 - r1 / 0.4, 0, None)
    d2 = 0.3 * np.clip((0.9 - r2) / 0.1, 0, 1)
    d3 = 0.2 * np.exp(-(r3**2) / (2 * 0.8**2)) * (r3 < 1.6)
    labels = np.zeros((n, n), dtype=np.int64)
    labels[d1 > 0.02] = 1
    labels[d2 > 0.02] = 2
    labels[d3 > 0.02] = 3
    return ScarRegion(d1 + d2 + d3, labels, Grid(n, n, dx_mm, dx_mm))
