"""Footprints: hysteresis thresholding of the depth below skin level, then a watershed split.

A footprint is a connected region (8-connected) of the lightly smoothed depth map lying deeper
than the rim threshold that contains at least one sample deeper than the detection threshold
(hysteresis, as in Canny edge linking). Missing samples are never part of a footprint. A
footprint holding several h-maxima of prominence ``split_prominence_mm`` is split between them
by a marker watershed on the smoothed depth (scikit-image ``h_maxima`` and ``watershed``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

from scarwise.core import HeightMap

_EIGHT = np.ones((3, 3), dtype=bool)
#: Largest number of samples used to estimate the texture scale (evenly strided).
_SCALE_SAMPLES = 250_000
#: Footprints are split on a grid of at most this many samples a side (splitting is coarse work).
_SPLIT_PIXELS = 64


@dataclass(frozen=True, kw_only=True)
class DepthMaps:
    """Depth below the skin level (positive down) in mm, raw and smoothed; NaN where missing."""

    depth: NDArray[np.float64]
    smooth: NDArray[np.float64]
    sigma_mm: float  # robust texture scale of ``smooth`` (1.4826 MAD)


def depth_maps(surface: HeightMap, skin_level_mm: NDArray[np.float64], smoothing_mm: float) -> DepthMaps:
    """Depth maps and the texture scale; smoothing is NaN-aware (normalised convolution)."""
    depth = skin_level_mm - surface.z
    valid = surface.valid
    sigma_px = (smoothing_mm / surface.dy_mm, smoothing_mm / surface.dx_mm)
    # Missing samples count as lying on the skin level (depth 0): that only softens the smoothed
    # depth within ~3 sigma of a hole, and costs no second filter.
    smooth = ndimage.gaussian_filter(np.where(valid, depth, 0.0), sigma_px, mode="nearest", truncate=3.0)
    smooth[~valid] = np.nan
    step = max(1, int(math.sqrt(smooth.size / _SCALE_SAMPLES)))
    sample = smooth[::step, ::step]
    sample = sample[~np.isnan(sample)]
    sigma = 1.4826 * float(np.median(np.abs(sample - np.median(sample)))) if sample.size else 0.0
    return DepthMaps(depth=depth, smooth=smooth, sigma_mm=sigma)


def footprints(
    field: NDArray[np.float64],
    raw: NDArray[np.float64],
    *,
    sign: float,
    seed_mm: float,
    rim_mm: float,
    min_pixels: int,
    split_prominence_mm: float,
) -> Iterator[tuple[tuple[slice, slice], NDArray[np.bool_]]]:
    """Yield ``(bounding slices, mask)`` of every footprint of ``sign * field`` (smoothed depth, mm).

    Hysteresis runs on the smoothed depth ``field``, so texture does not fragment it; each
    region is then cut back to the samples whose unsmoothed depth ``raw`` passes the rim
    threshold (holes inside filled, missing samples left out), so smoothing does not widen the
    footprint of a steep scar beyond its threshold contour. Footprints smaller than
    ``min_pixels`` are skipped before splitting; pieces after the split are yielded whatever
    their size (the caller applies the width rule).
    """
    with np.errstate(invalid="ignore"):
        rim = field > rim_mm if sign > 0 else field < -rim_mm
        seeds = field > seed_mm if sign > 0 else field < -seed_mm
    labels, _ = ndimage.label(rim, structure=_EIGHT)
    keep = np.unique(labels[seeds])
    keep = keep[keep > 0]
    if keep.size == 0:
        return
    slices = ndimage.find_objects(labels)
    for lab in keep:
        sl = slices[lab - 1]
        region = labels[sl] == lab
        with np.errstate(invalid="ignore"):
            deep = sign * raw[sl] > rim_mm
        mask = _fill_holes(region & deep) & region & ~np.isnan(raw[sl])
        if int(mask.sum()) < min_pixels:
            continue
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        crop = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        mask = mask[crop]
        sl = (slice(sl[0].start + crop[0].start, sl[0].start + crop[0].stop),
              slice(sl[1].start + crop[1].start, sl[1].start + crop[1].stop))
        yield from _split(sl, mask, sign * np.nan_to_num(field[sl], nan=0.0), split_prominence_mm)


def _fill_holes(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask`` with every hole (background not 4-connected to the border) filled; one labelling pass."""
    background, _ = ndimage.label(~mask)
    edge = np.unique(np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]]))
    return mask | ~np.isin(background, edge)


def _split(sl: tuple[slice, slice], mask: NDArray[np.bool_], values: NDArray[np.float64], h_mm: float):
    """Split one footprint between its h-maxima (computed on a grid of at most ~64 px a side)."""
    step = max(1, int(math.ceil(max(mask.shape) / _SPLIT_PIXELS)))
    inside = np.where(mask, values, 0.0)
    coarse_mask = mask[::step, ::step]
    coarse = inside[::step, ::step]
    peaks = h_maxima(coarse, h_mm).astype(bool) & coarse_mask
    markers, n = ndimage.label(peaks, structure=_EIGHT)
    if n <= 1:
        yield sl, mask
        return
    if step == 1:
        parts = watershed(-inside, markers, mask=mask)
    else:  # watershed on the coarse grid, then every fine sample takes the nearest coarse label
        coarse_parts = watershed(-coarse, markers, mask=coarse_mask)
        _, (iy, ix) = ndimage.distance_transform_edt(coarse_parts == 0, return_indices=True)
        nearest = coarse_parts[iy, ix]
        rows = np.minimum(np.arange(mask.shape[0]) // step, nearest.shape[0] - 1)
        cols = np.minimum(np.arange(mask.shape[1]) // step, nearest.shape[1] - 1)
        parts = np.where(mask, nearest[np.ix_(rows, cols)], 0)
    for k, part_sl in enumerate(ndimage.find_objects(parts), start=1):
        if part_sl is None:
            continue
        sub = parts[part_sl] == k
        full = (slice(sl[0].start + part_sl[0].start, sl[0].start + part_sl[0].stop),
                slice(sl[1].start + part_sl[1].start, sl[1].start + part_sl[1].stop))
        yield full, sub
