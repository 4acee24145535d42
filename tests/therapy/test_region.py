"""Building the simulated region from a measurement, coarsening it and its limits."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.core import HeightMap, ScarMeasurement, TooLargeError
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy import (
    Grid,
    ScarRegion,
    coarsen_region,
    get_protocol,
    region_from_labels,
    region_from_surface,
    simulate_protocol,
    synthetic_region,
)


def _scar(id_: int, type_: str, depth: float, bbox) -> ScarMeasurement:
    return ScarMeasurement(id=id_, type=type_, centroid_mm=(0.0, 0.0), width_mm=1.0, depth_mm=depth, area_mm2=1.0,
                           volume_mm3=0.1, mean_wall_slope_deg=30.0, floor_flatness=0.5, threshold_mm=0.05,
                           bbox=bbox)


def _surface():
    n = 40
    y, x = np.mgrid[0:n, 0:n] * 0.1
    z = np.where(np.hypot(x - 1.0, y - 1.0) < 0.6, -0.3, 0.0)  # a 0.3 mm pit
    z = z + np.where(np.hypot(x - 3.0, y - 3.0) < 0.5, 0.25, 0.0)  # a raised scar
    return HeightMap(z, 0.1, 0.1), np.zeros((n, n))


def test_region_from_labels_drops_raised_scars():
    surface, skin = _surface()
    labels = np.zeros(surface.z.shape, dtype=np.int32)
    labels[surface.z < -0.1] = 1
    labels[surface.z > 0.1] = 2
    scars = [_scar(1, "boxcar", 0.3, (0, 0, 20, 20)), _scar(2, "hypertrophic", -0.25, (20, 20, 40, 40))]
    region = region_from_labels(surface, skin, labels, scars)
    assert region.scar_ids == (1,)
    assert region.depth0_mm.max() == pytest.approx(0.3) and region.depth0_mm.min() == 0.0


def test_region_from_surface_rebuilds_footprints_from_bbox():
    surface, skin = _surface()
    scars = [_scar(1, "boxcar", 0.3, (0, 0, 20, 20)), _scar(2, "hypertrophic", -0.25, (20, 20, 40, 40))]
    region = region_from_surface(surface, skin, scars)
    assert region.scar_ids == (1,)
    np.testing.assert_array_equal(region.labels == 1, surface.z < -0.1)
    with pytest.raises(InvalidParameterError, match="empty bbox"):
        region_from_surface(surface, skin, [_scar(1, "boxcar", 0.3, (5, 5, 5, 9))])


def test_coarsening_keeps_void_volume():
    fine = synthetic_region(n=64, dx_mm=0.1)
    coarse = coarsen_region(fine, 2)
    assert coarse.grid.nx == 32 and coarse.grid.dx_mm == pytest.approx(0.2)
    assert coarse.depth0_mm.sum() * 0.04 == pytest.approx(fine.depth0_mm.sum() * 0.01)
    assert coarse.scar_ids == fine.scar_ids
    with pytest.raises(InvalidParameterError, match="whole number"):
        coarsen_region(fine, 0)
    with pytest.raises(InvalidParameterError, match="fewer than 2 x 2"):
        coarsen_region(fine, 40)


def test_region_input_checks_and_size_limit():
    with pytest.raises(InvalidParameterError, match="non-negative integers"):
        ScarRegion(np.zeros((4, 4)), -np.ones((4, 4), dtype=int), Grid(4, 4, 0.1, 0.1))
    with pytest.raises(InvalidParameterError, match="does not match grid"):
        ScarRegion(np.zeros((4, 4)), np.zeros((4, 4), dtype=int), Grid(5, 4, 0.1, 0.1))
    big = ScarRegion(np.zeros((1100, 1000)), np.zeros((1100, 1000), dtype=np.int64), Grid(1100, 1000, 0.01, 0.01))
    with pytest.raises(TooLargeError, match="coarsen_region"):
        simulate_protocol(big, get_protocol("none"), days=[1])
