"""Registration of a follow-up scan onto a baseline scan: coarse, then fine, then quality checks."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.core import HeightMap, ScarwiseError
from scarwise.core._checks import check_positive
from scarwise.core.errors import InvalidParameterError
from scarwise.surface.register._coarse import COARSE_SIZE_PX, coarse_register
from scarwise.surface.register._fine import refine

#: Smallest share of the baseline's valid area the follow-up must cover to be compared.
MIN_OVERLAP_FRACTION = 0.3
#: Smallest normalised correlation of the band-passed scans at the coarse alignment; below it the
#: two scans are not taken to show the same skin.
MIN_CORRELATION = 0.3
#: Smallest robust correlation of band-passed heights (0.5 mm) at the final alignment: the check
#: that catches a wrong alignment on a small overlap. Correct synthetic alignments give > 0.95.
MIN_MATCH = 0.5
#: Smallest share of overlap samples that fit within 3 robust standard deviations.
MIN_INLIER_FRACTION = 0.5
#: The fine pyramid starts at this many coarse pixels per level pixel.
START_COARSE_PIXELS = 4.0
#: Largest scale change accepted between visits (the same scanner should give ~1).
MAX_SCALE_CHANGE = 0.2


class RegistrationError(ScarwiseError):
    """Two scans cannot be aligned with confidence (too little overlap or no common features)."""

    http_status = 422


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """How a follow-up scan lies on the baseline: p_base = scale · R(θ) · p_follow + (dx, dy).

    Coordinates in mm from each scan's first sample; R turns +x towards +y for positive θ. Heights:
    z_base ≈ z_follow + z_offset_mm + z_slope_x · (x - cx) + z_slope_y · (y - cy) on the baseline
    grid, (cx, cy) = ``z_centre_mm``.
    """

    dx_mm: float
    dy_mm: float
    rotation_deg: float
    scale: float
    z_offset_mm: float
    z_slope_x: float
    z_slope_y: float
    z_centre_mm: tuple[float, float]
    overlap_fraction: float  # share of the baseline's valid area that the follow-up covers
    residual_rms_mm: float  # RMS height residual of the inliers on the overlap (finest level)
    inlier_fraction: float  # share of overlap samples within 3 robust SD (the rest: real change)
    correlation: float  # NCC of the band-passed scans at the coarse alignment
    match: float  # robust correlation of band-passed heights at the final alignment (1: identical)
    iterations: int

    @property
    def matrix(self) -> NDArray[np.float64]:
        """scale · R(θ), the 2 x 2 linear part of follow-up → baseline."""
        t = math.radians(self.rotation_deg)
        return self.scale * np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])

    def follow_to_base(self, xy_mm: NDArray) -> NDArray:
        """Map follow-up positions ``(..., 2)`` (x, y in mm) to baseline positions."""
        return np.asarray(xy_mm, float) @ self.matrix.T + np.array([self.dx_mm, self.dy_mm])

    def base_to_follow(self, xy_mm: NDArray) -> NDArray:
        """Map baseline positions ``(..., 2)`` (x, y in mm) to follow-up positions."""
        return (np.asarray(xy_mm, float) - np.array([self.dx_mm, self.dy_mm])) @ np.linalg.inv(self.matrix).T

    def transform_json(self) -> dict[str, float]:
        return {"dx_mm": self.dx_mm, "dy_mm": self.dy_mm, "rotation_deg": self.rotation_deg, "scale": self.scale}

    def to_json(self) -> dict[str, Any]:
        """``transform`` and ``overlap_fraction`` as in the compare contract, plus ``quality``."""
        return {
            "transform": self.transform_json(),
            "overlap_fraction": self.overlap_fraction,
            "quality": {
                "residual_rms_mm": self.residual_rms_mm,
                "inlier_fraction": self.inlier_fraction,
                "correlation": self.correlation,
                "match": self.match,
                "z_offset_mm": self.z_offset_mm,
                "z_slope_x": self.z_slope_x,
                "z_slope_y": self.z_slope_y,
                "iterations": self.iterations,
            },
        }


def _base_grid(baseline: HeightMap, stride: int) -> tuple[NDArray, NDArray, NDArray]:
    ii, jj = np.mgrid[0 : baseline.ny : stride, 0 : baseline.nx : stride]
    return ii, jj, np.stack([jj * baseline.dx_mm, ii * baseline.dy_mm], axis=-1)


def follow_coords(baseline: HeightMap, followup: HeightMap, registration: Registration,
                  window: tuple[slice, slice] | None = None) -> NDArray:
    """(2, ny, nx) follow-up sample coordinates (row, column) of the baseline samples.

    ``window`` (row and column slices of the baseline grid) limits them to a part of the grid.
    """
    rows, cols = window if window is not None else (slice(0, baseline.ny), slice(0, baseline.nx))
    inv = np.linalg.inv(registration.matrix)
    x = baseline.x_mm[None, cols] - registration.dx_mm
    y = baseline.y_mm[rows, None] - registration.dy_mm
    coords = np.empty((2, y.shape[0], x.shape[1]))
    np.add(inv[1, 0] * x, inv[1, 1] * y, out=coords[0])
    np.add(inv[0, 0] * x, inv[0, 1] * y, out=coords[1])
    coords[0] /= followup.dy_mm
    coords[1] /= followup.dx_mm
    return coords


def warp_values(
    values: NDArray, followup: HeightMap, baseline: HeightMap, registration: Registration, *,
    order: int = 1, cval: float = np.nan, coords: NDArray | None = None,
) -> NDArray[np.float64]:
    """Any (ny, nx) array on the follow-up's grid drawn on the baseline's grid.

    ``order`` 1 interpolates bilinearly (heights), 0 takes the nearest sample (labels);
    ``coords`` from :func:`follow_coords` saves recomputing them for several arrays.
    """
    if coords is None:
        coords = follow_coords(baseline, followup, registration)
    return ndimage.map_coordinates(np.asarray(values, dtype=np.float64), coords, order=order, cval=cval,
                                   prefilter=False)


def height_plane(baseline: HeightMap, registration: Registration) -> NDArray[np.float64]:
    """The fitted plane (ny, nx) that, added to the warped follow-up, levels it onto the baseline."""
    cx, cy = registration.z_centre_mm
    return (registration.z_offset_mm + registration.z_slope_x * (baseline.x_mm[None, :] - cx)
            + registration.z_slope_y * (baseline.y_mm[:, None] - cy))


def warp_followup(
    baseline: HeightMap, followup: HeightMap, registration: Registration, *, level_heights: bool = True
) -> NDArray[np.float64]:
    """The follow-up's heights drawn on the baseline's grid (NaN where it has none).

    Parameters
    ----------
    baseline, followup : HeightMap
        The two scans (heights in mm).
    registration : Registration
        From :func:`register_surfaces`.
    level_heights : bool
        Add the fitted height plane, so that unchanged skin has the baseline's heights.

    Returns
    -------
    (ny, nx) ndarray
        Heights in mm on the baseline grid.
    """
    z = warp_values(followup.z, followup, baseline, registration)
    if level_heights:
        z += height_plane(baseline, registration)
    return z


def overlap_fraction(baseline: HeightMap, followup: HeightMap, registration: Registration) -> float:
    """Share of the baseline's valid samples that land on valid follow-up samples."""
    stride = max(1, int(np.ceil(np.sqrt(baseline.nx * baseline.ny / 250_000))))
    ii, jj, xy = _base_grid(baseline, stride)
    pf = registration.base_to_follow(xy)
    coords = [pf[..., 1] / followup.dy_mm, pf[..., 0] / followup.dx_mm]
    covered = ndimage.map_coordinates(followup.valid.astype(np.float64), coords, order=1, cval=0.0,
                                      prefilter=False) >= 0.5
    valid = baseline.valid[ii, jj]
    n = int(valid.sum())
    return float((covered & valid).sum() / n) if n else 0.0


def register_surfaces(
    baseline: HeightMap,
    followup: HeightMap,
    *,
    min_overlap_fraction: float = MIN_OVERLAP_FRACTION,
    min_correlation: float = MIN_CORRELATION,
    min_match: float = MIN_MATCH,
    estimate_scale: bool = True,
) -> Registration:
    """Align a follow-up scan of the same skin onto a baseline scan.

    Coarse: Fourier–Mellin rotation and scale plus masked normalised cross-correlation at about
    256 pixels across; fine: robust (Tukey IRLS) Gauss–Newton on heights, fitting a similarity
    transform and a height plane, from the coarse pixel down to the native one.

    Parameters
    ----------
    baseline, followup : HeightMap
        Heights in mm (NaN where missing); pixel sizes may differ.
    min_overlap_fraction : float
        Smallest share of the baseline's valid area the follow-up must cover (default 0.3).
    min_correlation : float
        Smallest correlation of the band-passed scans at the coarse alignment (default 0.3).
    min_match : float
        Smallest robust correlation of the band-passed heights at the final alignment (default 0.5).
    estimate_scale : bool
        Fit a scale change; False keeps scale 1 (rigid motion only).

    Returns
    -------
    Registration
        Transform follow-up → baseline and quality figures.

    Raises
    ------
    RegistrationError
        When the overlap is too small or the scans do not match well enough to trust.
    """
    baseline.require_valid(64)
    followup.require_valid(64)
    check_positive(min_overlap_fraction=min_overlap_fraction)
    if not 0 < min_overlap_fraction <= 1:
        raise InvalidParameterError(f"min_overlap_fraction must be in (0, 1], got {min_overlap_fraction}")
    coarse = coarse_register(baseline, followup, estimate_scale=estimate_scale)
    if coarse.overlap_px == 0 or coarse.score < min_correlation:
        raise RegistrationError(
            f"the follow-up does not match the baseline (best correlation {coarse.score:.2f}, needs "
            f"{min_correlation}); are both scans of the same skin area with at least "
            f"{min_overlap_fraction:.0%} overlap?"
        )
    c, s = math.cos(coarse.rotation_rad), math.sin(coarse.rotation_rad)
    m = coarse.scale * np.array([[c, -s], [s, c]])
    centre = 0.5 * np.array([(baseline.nx - 1) * baseline.dx_mm, (baseline.ny - 1) * baseline.dy_mm])
    minv = np.linalg.inv(m)
    b0 = minv @ (centre - np.array([coarse.tx_mm, coarse.ty_mm]))
    extent = max(baseline.nx * baseline.dx_mm, baseline.ny * baseline.dy_mm)
    # Start the pyramid a few coarse pixels wide: the coarse answer is good to about one of them.
    start = 2 ** math.ceil(math.log2(max(1.0, START_COARSE_PIXELS * extent / COARSE_SIZE_PX / baseline.dx_mm)))
    fine = refine(baseline, followup, minv, b0, centre, start_factor=start, rigid=not estimate_scale)
    linear = np.linalg.inv(fine.a)  # follow-up -> baseline
    t = centre - linear @ fine.b
    scale = float(math.sqrt(abs(np.linalg.det(linear))))
    rotation = math.degrees(math.atan2(linear[1, 0], linear[0, 0]))
    if not math.isfinite(scale) or abs(scale - 1.0) > MAX_SCALE_CHANGE:
        raise RegistrationError(
            f"registration diverged (scale {scale:.3g}); the scans may not show the same skin area"
        )
    reg = Registration(
        dx_mm=float(t[0]), dy_mm=float(t[1]), rotation_deg=float(rotation), scale=scale,
        z_offset_mm=float(fine.plane[0]), z_slope_x=float(fine.plane[1]), z_slope_y=float(fine.plane[2]),
        z_centre_mm=(float(centre[0]), float(centre[1])), overlap_fraction=0.0,
        residual_rms_mm=float(fine.residual_rms_mm), inlier_fraction=float(fine.inlier_fraction),
        correlation=float(coarse.score), match=float(fine.match), iterations=fine.iterations,
    )
    overlap = overlap_fraction(baseline, followup, reg)
    if overlap < min_overlap_fraction:
        raise RegistrationError(
            f"the follow-up covers only {overlap:.0%} of the baseline (at least {min_overlap_fraction:.0%} "
            "needed to compare); rescan the same area with more overlap"
        )
    if fine.match < min_match:
        raise RegistrationError(
            f"the aligned scans agree poorly (match {fine.match:.2f}, needs {min_match}); they may not "
            f"show the same skin area, or overlap less than it seems (found {overlap:.0%})"
        )
    if fine.inlier_fraction < MIN_INLIER_FRACTION:
        raise RegistrationError(
            f"only {fine.inlier_fraction:.0%} of the overlap fits the alignment; the scans may not show "
            "the same skin area"
        )
    return dataclasses.replace(reg, overlap_fraction=overlap)
