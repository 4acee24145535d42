"""Frozen, JSON-ready results shared across scarwise (the ``measure`` contract in DESIGN.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ScarType = Literal["icepick", "boxcar", "rolling", "hypertrophic"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScarMeasurement:
    """One scar found on a surface. Lengths mm, area mm², volume mm³."""

    id: int
    type: ScarType
    centroid_mm: tuple[float, float]  # (x, y) from the first sample
    width_mm: float  # equivalent-circle diameter of the footprint
    depth_mm: float  # from skin level to the deepest sample; negative: height above skin (hypertrophic)
    area_mm2: float  # projected on the x-y plane
    volume_mm3: float  # void between skin level and surface over the footprint (raised: material above)
    mean_wall_slope_deg: float
    floor_flatness: float  # share of the footprint within 20% of max depth of the floor (boxcar ~ high)
    threshold_mm: float  # detection threshold used below (or above) the skin level
    bbox: tuple[int, int, int, int] = field(default=(0, 0, 0, 0))  # row0, col0, row1, col1 (exclusive)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["centroid_mm"] = list(self.centroid_mm)
        d["bbox"] = list(self.bbox)
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade:
    """Global scar grades. What a 3D scan cannot see is listed in ``inputs_needed``."""

    goodman_baron_quantitative: int
    goodman_baron_qualitative: int | None
    ecca: int
    inputs_needed: tuple[str, ...]
    goodman_baron_quantitative_max: int
    ecca_max: int
    verified: bool  # False while the scale constants are unchecked against the primary papers
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs_needed"] = list(self.inputs_needed)
        d["sources"] = list(self.sources)
        return d
