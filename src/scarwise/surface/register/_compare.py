"""Change between two visits: difference map, scar matching, per-scar and total change, grades.

Each visit is measured on its own (``measure_surface``: skin level, scars, grade); the follow-up
is then drawn on the baseline grid with the registration. Scars are matched by footprint
overlap on the baseline grid (largest overlaps first, one partner each). Volumes before and after
are integrated over the same region, the union of both footprints, each against its own visit's
skin level: so a partly filled scar whose footprint shrinks below the detection threshold is not
reported as losing more volume than it did. Depths come from each visit's measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core import Grade, HeightMap
from scarwise.surface.register._register import (
    MIN_OVERLAP_FRACTION,
    Registration,
    follow_coords,
    height_plane,
    register_surfaces,
    warp_values,
)

if TYPE_CHECKING:  # the measure pipeline is imported only when a comparison runs
    from scarwise.surface.measure import MeasureResult

#: A scar is compared only if at least this share of its footprint lies on data of both visits;
#: otherwise it is listed under ``outside_overlap`` (neither gone nor new: not seen).
MIN_SCAR_COVERAGE = 0.9
#: Two footprints match when they share at least this share of the smaller one.
MIN_MATCH_OVERLAP = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class ScarChange:
    """One scar across two visits. Lengths mm, volumes mm³; centroid in baseline coordinates."""

    baseline_id: int | None  # None: new at follow-up
    followup_id: int | None  # None: no longer detected at follow-up
    type_before: str | None
    type_after: str | None
    centroid_mm: tuple[float, float]
    depth_mm_before: float
    depth_mm_after: float
    width_mm_before: float
    width_mm_after: float
    volume_mm3_before: float
    volume_mm3_after: float

    @property
    def volume_change_pct(self) -> float | None:
        """(after − before) / before in percent; None for a new scar (no volume before)."""
        return _pct(self.volume_mm3_before, self.volume_mm3_after)

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline_id": self.baseline_id,
            "followup_id": self.followup_id,
            "centroid_mm": [self.centroid_mm[0], self.centroid_mm[1]],
            "depth_mm_before": self.depth_mm_before,
            "depth_mm_after": self.depth_mm_after,
            "volume_mm3_before": self.volume_mm3_before,
            "volume_mm3_after": self.volume_mm3_after,
            "volume_change_pct": self.volume_change_pct,
            "type_before": self.type_before,
            "type_after": self.type_after,
            "width_mm_before": self.width_mm_before,
            "width_mm_after": self.width_mm_after,
            "depth_change_mm": self.depth_mm_after - self.depth_mm_before,
            "volume_change_mm3": self.volume_mm3_after - self.volume_mm3_before,
        }


def _pct(before: float, after: float) -> float | None:
    return None if before <= 0 else 100.0 * (after - before) / before


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Everything ``scarwise compare`` reports. Arrays are on the baseline grid, not in the JSON."""

    registration: Registration
    scars: tuple[ScarChange, ...]
    outside_overlap_baseline_ids: tuple[int, ...]
    outside_overlap_followup_ids: tuple[int, ...]
    grade_before: Grade
    grade_after: Grade
    difference_mm: NDArray[np.float64] = field(repr=False)  # follow-up (aligned, levelled) − baseline
    followup_labels: NDArray[np.int32] = field(repr=False)  # follow-up scar ids on the baseline grid
    baseline_result: MeasureResult = field(repr=False)
    followup_result: MeasureResult = field(repr=False)

    @property
    def volume_mm3_before(self) -> float:
        return float(sum(s.volume_mm3_before for s in self.scars))

    @property
    def volume_mm3_after(self) -> float:
        return float(sum(s.volume_mm3_after for s in self.scars))

    def to_json(self) -> dict[str, Any]:
        """The ``compare`` contract of DESIGN.md, plus ``quality``, ``grade`` and ``outside_overlap``."""
        reg = self.registration.to_json()
        return {
            "transform": reg["transform"],
            "overlap_fraction": reg["overlap_fraction"],
            "scars": [s.to_json() for s in self.scars],
            "total": {
                "volume_mm3_before": self.volume_mm3_before,
                "volume_mm3_after": self.volume_mm3_after,
                "volume_change_pct": _pct(self.volume_mm3_before, self.volume_mm3_after),
            },
            "quality": reg["quality"],
            "grade": {"before": self.grade_before.to_json(), "after": self.grade_after.to_json()},
            "outside_overlap": {
                "baseline_ids": list(self.outside_overlap_baseline_ids),
                "followup_ids": list(self.outside_overlap_followup_ids),
            },
        }


def _match(labels_b: NDArray, labels_f: NDArray, area_b: dict[int, int], area_f: dict[int, int],
           ) -> dict[int, int]:
    """Baseline id → follow-up id, greedily by shared footprint, largest first."""
    both = (labels_b > 0) & (labels_f > 0)
    if not both.any():
        return {}
    width = int(labels_f.max()) + 1
    keys, counts = np.unique(labels_b[both].astype(np.int64) * width + labels_f[both], return_counts=True)
    pairs = np.stack([keys // width, keys % width])
    order = np.argsort(-counts, kind="stable")
    used_b: set[int] = set()
    used_f: set[int] = set()
    out: dict[int, int] = {}
    for k in order:
        b, f = int(pairs[0, k]), int(pairs[1, k])
        if b in used_b or f in used_f or b not in area_b or f not in area_f:
            continue
        if counts[k] >= MIN_MATCH_OVERLAP * min(area_b[b], area_f[f]):
            out[b] = f
            used_b.add(b)
            used_f.add(f)
    return out


def _union(a: tuple[slice, slice] | None, b: tuple[slice, slice] | None) -> tuple[slice, slice]:
    boxes = [x for x in (a, b) if x is not None]
    return (slice(min(x[0].start for x in boxes), max(x[0].stop for x in boxes)),
            slice(min(x[1].start for x in boxes), max(x[1].stop for x in boxes)))


def _box(boxes: list, i: int | None) -> tuple[slice, slice] | None:
    return boxes[i - 1] if i is not None and 0 < i <= len(boxes) else None


def _warp_labels(baseline: HeightMap, followup: HeightMap, reg: Registration, labels: NDArray) -> NDArray:
    """Follow-up scar labels on the baseline grid (nearest sample), warped only around each scar."""
    out = np.zeros((baseline.ny, baseline.nx), dtype=np.int32)
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        r0, r1, c0, c1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
        corners = np.array([[c0, r0], [c1, r0], [c0, r1], [c1, r1]], dtype=float)
        corners *= np.array([followup.dx_mm, followup.dy_mm])
        pb = reg.follow_to_base(corners)
        lo = np.floor(pb.min(axis=0) / np.array([baseline.dx_mm, baseline.dy_mm])).astype(int) - 1
        hi = np.ceil(pb.max(axis=0) / np.array([baseline.dx_mm, baseline.dy_mm])).astype(int) + 2
        win = (slice(max(lo[1], 0), min(hi[1], baseline.ny)), slice(max(lo[0], 0), min(hi[0], baseline.nx)))
        if win[0].start >= win[0].stop or win[1].start >= win[1].stop:
            continue
        vals = ndimage.map_coordinates(labels, follow_coords(baseline, followup, reg, win), order=0, cval=0,
                                       prefilter=False)
        out[win] = np.where(vals > 0, vals, out[win])
    return out


def _void(relative: NDArray, region: NDArray, sign: float, cell_mm2: float) -> float:
    """Volume between skin level and surface over ``region``: depressions (sign 1) or raised (-1)."""
    v = sign * relative[region]
    v = v[np.isfinite(v)]
    return float(np.clip(v, 0.0, None).sum() * cell_mm2)


def compare_surfaces(
    baseline: HeightMap,
    followup: HeightMap,
    *,
    registration: Registration | None = None,
    baseline_result: MeasureResult | None = None,
    followup_result: MeasureResult | None = None,
    min_overlap_fraction: float = MIN_OVERLAP_FRACTION,
) -> Comparison:
    """Register a follow-up scan onto a baseline scan and report what changed, scar by scar.

    Parameters
    ----------
    baseline, followup : HeightMap
        Heights in mm (NaN where missing) of the same skin at two visits.
    registration : Registration, optional
        A known alignment; computed with :func:`register_surfaces` when not given.
    baseline_result, followup_result : MeasureResult, optional
        Measurements of the two scans (``measure_surface``), reused when given.
    min_overlap_fraction : float
        Passed to :func:`register_surfaces`.

    Returns
    -------
    Comparison
        Per-scar change (volumes in mm³ over the union of both footprints, depths in mm from
        each visit's measurement), totals, grades before and after, difference map.

    Raises
    ------
    RegistrationError
        When the scans cannot be aligned with confidence (see :func:`register_surfaces`).
    """
    reg = registration or register_surfaces(baseline, followup, min_overlap_fraction=min_overlap_fraction)
    from scarwise.surface.measure import measure_surface

    rb = baseline_result or measure_surface(baseline)
    rf = followup_result or measure_surface(followup)

    z_f = warp_values(followup.z, followup, baseline, reg)
    difference = z_f + height_plane(baseline, reg) - baseline.z
    labels_f = _warp_labels(baseline, followup, reg, np.asarray(rf.labels))
    rel_b = baseline.z - rb.skin_level_mm  # negative inside depressions
    covered = np.isfinite(rel_b) & np.isfinite(z_f)
    cell = baseline.dx_mm * baseline.dy_mm

    def rel_f(sl: tuple[slice, slice]) -> NDArray:
        """Follow-up heights relative to its own skin level, on a window of the baseline grid."""
        skin = ndimage.map_coordinates(rf.skin_level_mm, follow_coords(baseline, followup, reg, sl), order=1,
                                       cval=np.nan, prefilter=False)
        return z_f[sl] - skin

    labels_b = np.asarray(rb.labels, dtype=np.int32)
    by_b = {s.id: s for s in rb.scars}
    by_f = {s.id: s for s in rf.scars}
    n_b = max(by_b, default=0) + 1
    n_f = max(by_f, default=0) + 1
    pix_b = np.bincount(labels_b.ravel(), minlength=n_b)
    cov_b = np.bincount(labels_b.ravel(), weights=covered.ravel(), minlength=n_b)
    pix_f = np.bincount(labels_f.ravel(), minlength=n_f)
    area_b = {i: int(pix_b[i]) for i in by_b if pix_b[i]}
    area_f = {i: int(pix_f[i]) for i in by_f if pix_f[i]}
    # A scar counts only if almost all of it lies on data of both visits.
    cell_f = followup.dx_mm * followup.dy_mm
    f_pixels = np.bincount(np.asarray(rf.labels).ravel(), minlength=n_f)
    f_inside = np.bincount(labels_f[covered].ravel(), minlength=n_f)
    out_f = {i for i in by_f if f_inside[i] * cell < MIN_SCAR_COVERAGE * f_pixels[i] * cell_f}
    out_b = {i for i in by_b if not pix_b[i] or cov_b[i] < MIN_SCAR_COVERAGE * pix_b[i]}
    matches = _match(labels_b, labels_f, area_b, area_f)
    # A pair with one partner cut by the other scan's edge cannot be compared either.
    for i, j in list(matches.items()):
        if i in out_b or j in out_f:
            out_b.add(i)
            out_f.add(j)
            del matches[i]
    outside_b, outside_f = tuple(sorted(out_b)), tuple(sorted(out_f))
    boxes_b = ndimage.find_objects(labels_b)
    boxes_f = ndimage.find_objects(labels_f)

    changes: list[ScarChange] = []
    for i, sb in by_b.items():
        if i in outside_b:
            continue
        j = matches.get(i)
        sf = by_f.get(j) if j is not None else None
        sl = _union(_box(boxes_b, i), _box(boxes_f, j))
        region = labels_b[sl] == i
        if j is not None:
            region |= labels_f[sl] == j
        sign = -1.0 if sb.type == "hypertrophic" else 1.0
        before = _void(-rel_b[sl], region, sign, cell)
        after = _void(-rel_f(sl), region, sign, cell) if sf is not None else 0.0
        changes.append(ScarChange(
            baseline_id=i, followup_id=j, type_before=sb.type, type_after=sf.type if sf else None,
            centroid_mm=(float(sb.centroid_mm[0]), float(sb.centroid_mm[1])),
            depth_mm_before=float(sb.depth_mm), depth_mm_after=float(sf.depth_mm) if sf else 0.0,
            width_mm_before=float(sb.width_mm), width_mm_after=float(sf.width_mm) if sf else 0.0,
            volume_mm3_before=before, volume_mm3_after=after,
        ))
    matched_f = set(matches.values())
    for j, sf in by_f.items():
        if j in matched_f or j in outside_f or _box(boxes_f, j) is None:
            continue
        sl = _union(None, _box(boxes_f, j))
        region = labels_f[sl] == j
        sign = -1.0 if sf.type == "hypertrophic" else 1.0
        c = reg.follow_to_base(np.array(sf.centroid_mm, dtype=float))
        changes.append(ScarChange(
            baseline_id=None, followup_id=j, type_before=None, type_after=sf.type,
            centroid_mm=(float(c[0]), float(c[1])), depth_mm_before=0.0, depth_mm_after=float(sf.depth_mm),
            width_mm_before=0.0, width_mm_after=float(sf.width_mm),
            volume_mm3_before=0.0, volume_mm3_after=_void(-rel_f(sl), region, sign, cell),
        ))
    return Comparison(
        registration=reg, scars=tuple(changes), outside_overlap_baseline_ids=outside_b,
        outside_overlap_followup_ids=outside_f, grade_before=rb.grade, grade_after=rf.grade,
        difference_mm=difference, followup_labels=labels_f, baseline_result=rb, followup_result=rf,
    )
