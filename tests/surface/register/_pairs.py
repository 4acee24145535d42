"""Baseline / follow-up pairs with a known transform and known change, for registration tests.

A skin patch larger than the field of view is made once; the baseline is a crop of it and the
follow-up samples the same (optionally changed) patch at p_base = scale * R(theta) p_follow + t,
with scipy.ndimage.map_coordinates (cubic), plus a height plane (the scanner's tilt and height).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scarwise.core import HeightMap
from scarwise.surface.synthetic import SyntheticPatch, TrueScar, make_skin_patch, scar_profile


@dataclass(frozen=True)
class Pair:
    baseline: HeightMap
    followup: HeightMap
    scars: tuple[TrueScar, ...]  # in baseline coordinates
    offset_mm: float  # baseline origin inside the big patch


def big_patch(*, n_big: int = 480, pixel_mm: float = 0.05, seed: int = 3, scars=None, n_scars: int = 6,
              texture_um: float = 8.0, holes: int = 0) -> SyntheticPatch:
    return make_skin_patch(nx=n_big, ny=n_big, pixel_mm=pixel_mm, seed=seed, scars=scars, n_scars=n_scars,
                           texture_um=texture_um, min_gap_mm=1.0, holes=holes)


def scar_change(patch: SyntheticPatch, fill: dict[int, float], new: tuple = ()) -> np.ndarray:
    """Height change of the big patch: scar i keeps ``fill[i]`` of its depth; ``new`` scars are dug."""
    ps = patch.surface.dx_mm
    yy, xx = np.mgrid[0 : patch.surface.ny, 0 : patch.surface.nx] * ps
    dz = np.zeros_like(patch.surface.z)
    for i, keep in fill.items():
        s = patch.scars[i]
        r = np.hypot(xx - s.center_mm[0], yy - s.center_mm[1])
        dz += (1.0 - keep) * scar_profile(s.type, r, width_mm=s.width_mm, depth_mm=s.depth_mm)
    for kind, (cx, cy), width, depth in new:
        dz -= scar_profile(kind, np.hypot(xx - cx, yy - cy), width_mm=width, depth_mm=depth)
    return dz


def make_pair(
    patch: SyntheticPatch,
    *,
    n: int = 320,
    theta_deg: float = 0.0,
    scale: float = 1.0,
    shift_mm: tuple[float, float] = (0.0, 0.0),
    tilt: tuple[float, float] = (0.0, 0.0),
    z_offset_mm: float = 0.0,
    change_mm: np.ndarray | None = None,
    noise_um: float = 0.0,
    seed: int = 0,
) -> Pair:
    big = patch.surface
    ps = big.dx_mm
    k = (big.nx - n) // 2
    off = k * ps
    base = HeightMap(big.z[k : k + n, k : k + n].copy(), ps, ps, {"source": "baseline"})
    th = np.deg2rad(theta_deg)
    m = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    yy, xx = np.mgrid[0:n, 0:n] * ps
    bx = m[0, 0] * xx + m[0, 1] * yy + shift_mm[0] + off
    by = m[1, 0] * xx + m[1, 1] * yy + shift_mm[1] + off
    z_big = big.z if change_mm is None else big.z + change_mm
    holes = np.isnan(z_big)  # splines would spread NaN: fill, interpolate, then cut the holes again
    zf = ndimage.map_coordinates(np.where(holes, 0.0, z_big), [by / ps, bx / ps], order=3, cval=np.nan)
    if holes.any():
        near = ndimage.map_coordinates(holes.astype(float), [by / ps, bx / ps], order=1, cval=1.0)
        zf[near > 0] = np.nan
    zf = zf + tilt[0] * xx + tilt[1] * yy + z_offset_mm
    if noise_um:
        zf = zf + np.random.default_rng(seed).normal(0.0, noise_um / 1000.0, zf.shape)
    scars = tuple(
        TrueScar(type=s.type, center_mm=(s.center_mm[0] - off, s.center_mm[1] - off), width_mm=s.width_mm,
                 depth_mm=s.depth_mm, area_mm2=s.area_mm2, volume_mm3=s.volume_mm3)
        for s in patch.scars
    )
    return Pair(base, HeightMap(zf, ps, ps, {"source": "follow-up"}), scars, off)
