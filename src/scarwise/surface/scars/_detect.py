"""Find, measure and classify the scars of a surface against its skin level."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from scarwise.core import HeightMap, InvalidParameterError, ScarMeasurement
from scarwise.core._checks import check_same_shape
from scarwise.surface.form import skin_level
from scarwise.surface.scars._classify import classify_depression, is_hypertrophic
from scarwise.surface.scars._measure import region_metrics
from scarwise.surface.scars._segment import depth_maps, footprints
from scarwise.surface.scars._settings import DetectionSettings


@dataclass(frozen=True, kw_only=True)
class ScarSegmentation:
    """Scars of one surface with the label image that outlines them.

    Attributes
    ----------
    scars : tuple of ScarMeasurement
        Ids 1..n ordered by centroid (y, then x).
    labels : (ny, nx) ndarray of int32
        0 where there is no scar, else the scar's id (its footprint).
    texture_sigma_mm : float
        Robust texture scale of the smoothed depth map (1.4826 MAD), mm.
    rim_threshold_mm : float
        Rim threshold the footprints were grown to, mm (``threshold_mm`` of each scar).
    """

    scars: tuple[ScarMeasurement, ...]
    labels: NDArray[np.int32] = field(repr=False)
    texture_sigma_mm: float
    rim_threshold_mm: float


def segment_scars(
    surface: HeightMap,
    *,
    skin_level_mm: NDArray[np.float64] | None = None,
    settings: DetectionSettings = DetectionSettings(),
) -> ScarSegmentation:
    """Scars and their label image (see :func:`detect_scars` for the definitions)."""
    if not isinstance(surface, HeightMap):
        raise InvalidParameterError(f"surface must be a HeightMap, got {type(surface).__name__}")
    if not isinstance(settings, DetectionSettings):
        raise InvalidParameterError(f"settings must be DetectionSettings, got {type(settings).__name__}")
    surface.require_valid()
    if skin_level_mm is None:
        skin_level_mm = skin_level(surface)
    else:
        skin_level_mm = np.asarray(skin_level_mm, dtype=np.float64)
        check_same_shape(surface.z, skin_level_mm, names=("surface.z", "skin_level_mm"))
        if not np.isfinite(skin_level_mm[surface.valid]).all():
            raise InvalidParameterError("skin_level_mm must be finite wherever the surface has a height")

    maps = depth_maps(surface, skin_level_mm, settings.smoothing_mm)
    rim = min(max(settings.rim_sigma * maps.sigma_mm, settings.rim_min_mm), settings.threshold_mm / 2)
    dx, dy = surface.dx_mm, surface.dy_mm
    min_pixels = max(1, int(math.pi * (settings.min_width_mm / 2) ** 2 / (dx * dy)))

    found: list[tuple[tuple[slice, slice], np.ndarray, ScarMeasurement]] = []
    for sign in (1.0, -1.0):  # depressions, then raised lesions
        for sl, mask in footprints(maps.smooth, maps.depth, sign=sign, seed_mm=settings.threshold_mm, rim_mm=rim,
                                   min_pixels=min_pixels, split_prominence_mm=settings.split_prominence_mm):
            m = region_metrics(sl, mask, maps.depth, maps.smooth, sign=sign, dx_mm=dx, dy_mm=dy)
            if m.width_mm < settings.min_width_mm:
                continue
            if sign > 0:
                if m.depth_mm < settings.min_depth_mm:
                    continue
                kind = classify_depression(m, settings)
                depth_mm, volume = m.depth_mm, m.volume_mm3
            else:
                if not is_hypertrophic(m, settings):
                    continue
                kind, depth_mm, volume = "hypertrophic", -m.depth_mm, m.volume_mm3
            scar = ScarMeasurement(
                id=0, type=kind, centroid_mm=m.centroid_mm, width_mm=m.width_mm, depth_mm=depth_mm,
                area_mm2=m.area_mm2, volume_mm3=max(volume, 0.0), mean_wall_slope_deg=m.mean_wall_slope_deg,
                floor_flatness=m.floor_flatness, threshold_mm=rim, bbox=m.bbox,
            )
            found.append((sl, mask, scar))

    found.sort(key=lambda f: (f[2].centroid_mm[1], f[2].centroid_mm[0]))
    labels = np.zeros(surface.z.shape, dtype=np.int32)
    scars = []
    for i, (sl, mask, scar) in enumerate(found, start=1):
        labels[sl][mask] = i
        scars.append(replace(scar, id=i))
    return ScarSegmentation(scars=tuple(scars), labels=labels, texture_sigma_mm=maps.sigma_mm, rim_threshold_mm=rim)


def detect_scars(
    surface: HeightMap,
    *,
    skin_level_mm: NDArray[np.float64] | None = None,
    settings: DetectionSettings = DetectionSettings(),
) -> tuple[ScarMeasurement, ...]:
    """Find, measure and classify the scars of a surface.

    Parameters
    ----------
    surface : HeightMap
        Heights ``z`` (ny, nx) in mm, NaN where missing; ``dx_mm`` and ``dy_mm`` may differ.
    skin_level_mm : (ny, nx) ndarray, optional
        Reference surface in mm; default :func:`scarwise.surface.form.skin_level` of ``surface``.
    settings : DetectionSettings
        Named thresholds (defaults: the ``measure`` contract).

    Returns
    -------
    tuple of ScarMeasurement
        Ids 1..n ordered by centroid y, then x. Depth: from the skin level to the deepest
        unsmoothed sample of the footprint (negative: height of a raised scar). Footprint: the
        region deeper than the rim threshold around a seed deeper than ``threshold_mm``
        (hysteresis; rim threshold reported as ``threshold_mm`` of each scar). Width: its
        equivalent-circle diameter; area projected on x-y; centroid (x, y) in mm from the first
        sample; volume: the void between skin level and surface summed over the footprint.

    Notes
    -----
    Classification: see :mod:`scarwise.surface.scars._classify` (this project's own rule).
    """
    return segment_scars(surface, skin_level_mm=skin_level_mm, settings=settings).scars


def scar_labels(
    surface: HeightMap,
    scars: Sequence[ScarMeasurement] | None = None,
    *,
    skin_level_mm: NDArray[np.float64] | None = None,
    settings: DetectionSettings = DetectionSettings(),
) -> NDArray[np.int32]:
    """The label image of :func:`detect_scars` (0: no scar, else the scar id), shape (ny, nx).

    Computes the segmentation again; call :func:`segment_scars` to get scars and labels in one
    pass. ``scars``, when given, must be what :func:`detect_scars` returned for the same
    arguments (checked by id and centroid), so the labels match their ids.
    """
    seg = segment_scars(surface, skin_level_mm=skin_level_mm, settings=settings)
    if scars is not None:
        same = len(scars) == len(seg.scars) and all(
            a.id == b.id and np.allclose(a.centroid_mm, b.centroid_mm) for a, b in zip(scars, seg.scars, strict=True)
        )
        if not same:
            raise InvalidParameterError(
                "scars do not match this surface, skin level and settings; pass the result of detect_scars "
                "for the same arguments, or use segment_scars to get scars and labels together"
            )
    return seg.labels
