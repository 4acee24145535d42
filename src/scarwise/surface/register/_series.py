"""Per-scar time series over more than two visits (for the clinic app's charts).

Every later visit is registered and compared to the first one (no chaining, so errors do not
add up). A baseline scar keeps its baseline id as its track; a scar first seen at a later visit
starts a track that later visits join when their new scar lies within half its width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scarwise.core import HeightMap
from scarwise.core.errors import InvalidParameterError
from scarwise.surface.register._compare import Comparison, compare_surfaces

if TYPE_CHECKING:  # the measure pipeline is imported only when a comparison runs
    from scarwise.surface.measure import MeasureResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ScarTrack:
    """One scar over the visits; None where it lay outside a visit's overlap."""

    track: str  # "b<baseline id>" or "v<visit>-<id at that visit>"
    baseline_id: int | None
    ids: tuple[int | None, ...]  # the scar's id in each visit's own measurement (None: not detected)
    centroid_mm: tuple[float, float]  # baseline coordinates
    depth_mm: tuple[float | None, ...]
    volume_mm3: tuple[float | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {"track": self.track, "baseline_id": self.baseline_id, "ids": list(self.ids),
                "centroid_mm": list(self.centroid_mm), "depth_mm": list(self.depth_mm),
                "volume_mm3": list(self.volume_mm3)}


@dataclass(frozen=True, kw_only=True)
class ScarSeries:
    """Scar tracks over visits; ``comparisons[k]`` compares visit k + 1 with visit 0."""

    comparisons: tuple[Comparison, ...]
    tracks: tuple[ScarTrack, ...]

    @property
    def total_volume_mm3(self) -> tuple[float, ...]:
        """Summed volume of the tracks seen in every visit (comparable across visits)."""
        full = [t for t in self.tracks if all(v is not None for v in t.volume_mm3)]
        n = len(self.comparisons) + 1
        return tuple(float(sum(t.volume_mm3[k] for t in full)) for k in range(n))  # type: ignore[misc]

    def to_json(self) -> dict[str, Any]:
        return {
            "visits": len(self.comparisons) + 1,
            "registrations": [c.registration.to_json() for c in self.comparisons],
            "scars": [t.to_json() for t in self.tracks],
            "total_volume_mm3": list(self.total_volume_mm3),
        }


def compare_series(visits: Sequence[HeightMap], *, results: Sequence[MeasureResult] | None = None) -> ScarSeries:
    """Per-scar depth and volume over two or more visits of the same skin.

    Parameters
    ----------
    visits : sequence of HeightMap
        Scans in time order; the first is the baseline every other one is registered to.
    results : sequence of MeasureResult, optional
        Their measurements, reused when given (same order).

    Returns
    -------
    ScarSeries
        One track per scar, depth (mm) and volume (mm³) per visit.
    """
    if len(visits) < 2:
        raise InvalidParameterError(f"a series needs at least 2 visits, got {len(visits)}")
    if results is not None and len(results) != len(visits):
        raise InvalidParameterError(f"got {len(results)} measurements for {len(visits)} visits")
    from scarwise.surface.measure import measure_surface

    measured = list(results) if results is not None else [measure_surface(v) for v in visits]
    comps = tuple(
        compare_surfaces(visits[0], v, baseline_result=measured[0], followup_result=r)
        for v, r in zip(visits[1:], measured[1:], strict=True)
    )
    n = len(visits)
    base: dict[int, dict[str, list]] = {}
    for s in measured[0].scars:
        outside = [s.id in c.outside_overlap_baseline_ids for c in comps]
        base[s.id] = {"ids": [s.id] + [None] * (n - 1), "depth": [s.depth_mm] + [None] * (n - 1),
                      "volume": [None] * n, "centroid": s.centroid_mm, "outside": outside}
    new: list[dict[str, Any]] = []
    for k, comp in enumerate(comps, start=1):
        for ch in comp.scars:
            if ch.baseline_id is not None:
                t = base[ch.baseline_id]
                t["ids"][k] = ch.followup_id
                t["depth"][k] = ch.depth_mm_after
                t["volume"][k] = ch.volume_mm3_after
                if t["volume"][0] is None:
                    t["volume"][0] = ch.volume_mm3_before
                continue
            near = [t for t in new if t["first"] < k and t["ids"][k] is None and math.dist(
                t["centroid"], ch.centroid_mm) < 0.5 * max(t["width"], ch.width_mm_after)]
            if near:
                t = near[0]
            else:
                t = {"first": k, "ids": [None] * n, "depth": [0.0] * k + [None] * (n - k),
                     "volume": [0.0] * k + [None] * (n - k), "centroid": ch.centroid_mm,
                     "width": ch.width_mm_after, "track": f"v{k}-{ch.followup_id}"}
                new.append(t)
            t["ids"][k] = ch.followup_id
            t["depth"][k] = ch.depth_mm_after
            t["volume"][k] = ch.volume_mm3_after
    tracks = []
    for i, t in base.items():
        for k in range(1, n):
            if t["outside"][k - 1]:
                t["depth"][k] = t["volume"][k] = None
        if t["volume"][0] is None:  # outside every overlap: its own measurement
            t["volume"][0] = next(s.volume_mm3 for s in measured[0].scars if s.id == i)
        tracks.append(ScarTrack(track=f"b{i}", baseline_id=i, ids=tuple(t["ids"]),
                                centroid_mm=(float(t["centroid"][0]), float(t["centroid"][1])),
                                depth_mm=tuple(t["depth"]), volume_mm3=tuple(t["volume"])))
    for t in new:
        tracks.append(ScarTrack(track=t["track"], baseline_id=None, ids=tuple(t["ids"]),
                                centroid_mm=(float(t["centroid"][0]), float(t["centroid"][1])),
                                depth_mm=tuple(t["depth"]), volume_mm3=tuple(t["volume"])))
    return ScarSeries(comparisons=comps, tracks=tuple(tracks))
