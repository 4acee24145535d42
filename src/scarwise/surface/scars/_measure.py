"""Metrics of one footprint: the numbers of the ``measure`` contract plus shape features.

All from the unsmoothed surface except the floor flatness and wall slope, which use the lightly
smoothed depth so that texture does not decide them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.measure import regionprops

#: A sample belongs to the floor when within this share of the deepest smoothed depth.
FLOOR_SHARE = 0.8


@dataclass(frozen=True, kw_only=True)
class RegionMetrics:
    """Metrics of one footprint. Lengths mm, area mm², volume mm³, angle degrees."""

    centroid_mm: tuple[float, float]  # (x, y)
    width_mm: float
    depth_mm: float  # deepest (or, raised, highest) unsmoothed sample relative to skin level
    area_mm2: float
    volume_mm3: float
    mean_wall_slope_deg: float
    floor_flatness: float
    bbox: tuple[int, int, int, int]


def region_metrics(
    sl: tuple[slice, slice],
    mask: NDArray[np.bool_],
    depth: NDArray[np.float64],
    smooth: NDArray[np.float64],
    *,
    sign: float,
    dx_mm: float,
    dy_mm: float,
) -> RegionMetrics:
    """Metrics of the footprint ``mask`` (bool, the shape of the ``sl`` window).

    ``depth`` and ``smooth`` are the full depth maps (positive into a depression); ``sign`` is
    +1 for a depression and -1 for a raised lesion (heights are then measured upwards).
    """
    props = regionprops(mask.astype(np.uint8), spacing=(dy_mm, dx_mm))[0]
    area = float(props.area)  # mm², spacing-aware
    cy, cx = props.centroid  # mm within the window
    r0, c0 = sl[0].start, sl[1].start
    d = sign * depth[sl][mask]
    s_win = sign * smooth[sl]
    s = s_win[mask]
    top = float(np.nanmax(s))
    floor = s >= FLOOR_SHARE * top
    gy, gx = np.gradient(s_win, dy_mm, dx_mm) if min(mask.shape) > 1 else (np.zeros_like(s_win),) * 2
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))[mask]
    wall = slope[~floor] if (~floor).any() else slope
    return RegionMetrics(
        centroid_mm=(float(c0 * dx_mm + cx), float(r0 * dy_mm + cy)),
        width_mm=2.0 * math.sqrt(area / math.pi),
        depth_mm=float(np.nanmax(d)),
        area_mm2=area,
        volume_mm3=float(np.nansum(d) * dx_mm * dy_mm),
        mean_wall_slope_deg=float(np.nanmean(wall)) if np.isfinite(wall).any() else 0.0,
        floor_flatness=float(floor.mean()),
        bbox=(int(r0), int(c0), int(sl[0].stop), int(sl[1].stop)),
    )
