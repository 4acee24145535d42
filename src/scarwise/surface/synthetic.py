"""Synthetic skin patches with known scars: ground truth for testing detection and measurement.

The ground truth comes only from the geometry added here (no detector is involved). Shapes follow
the Jacob, Dover & Kaminer (2001) morphology as summarised in ``reference/scar-grading.md`` §1:
icepick scars taper to a point ("V"), boxcar scars have a flat floor and steep walls ("U"),
rolling scars are wide and shallow with sloping walls, hypertrophic scars are raised plateaus.
Widths and depths are drawn from those published ranges; the profile functions themselves are
this project's modelling choice.

Surfaces are built as ``form + texture + pores - scars`` on a regular grid, heights in mm.
Scar centres are snapped to grid samples so that the deepest sample equals ``depth_mm``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from scarwise.core import HeightMap
from scarwise.core._checks import check_choice, check_non_negative, check_positive
from scarwise.core.errors import InvalidParameterError

SyntheticScarType = Literal["icepick", "boxcar", "rolling", "hypertrophic"]
SCAR_TYPES: tuple[str, ...] = ("icepick", "boxcar", "rolling", "hypertrophic")

#: Width and depth ranges in mm drawn by :func:`random_scars` (Jacob et al. 2001 via Fabbrocini 2010,
#: reference/scar-grading.md §1). Hypertrophic "depth" is a height, stored negative.
WIDTH_RANGE_MM: dict[str, tuple[float, float]] = {
    "icepick": (0.4, 1.5),
    "boxcar": (1.5, 4.0),
    "rolling": (4.0, 8.0),
    "hypertrophic": (1.0, 3.0),
}
DEPTH_RANGE_MM: dict[str, tuple[float, float]] = {
    "icepick": (0.3, 1.0),
    "boxcar": (0.15, 0.6),
    "rolling": (0.15, 0.4),
    "hypertrophic": (-0.5, -0.2),
}
#: Share of the radius taken by the walls of a boxcar scar and of a hypertrophic plateau.
BOXCAR_WALL_FRACTION = 0.15
HYPERTROPHIC_WALL_FRACTION = 0.3
#: Texture inside a scar is damped by this share at full depth: scar tissue lacks skin lines.
SCAR_TEXTURE_DAMPING = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class ScarSpec:
    """A scar to place: type, centre (x, y) in mm from the first sample, rim width and depth in mm."""

    type: SyntheticScarType
    center_mm: tuple[float, float]
    width_mm: float
    depth_mm: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TrueScar:
    """Ground truth of one added scar. Lengths mm, area mm², volume mm³."""

    type: SyntheticScarType
    center_mm: tuple[float, float]  # (x, y) from the first sample, snapped to a grid sample
    width_mm: float  # rim diameter = diameter of the profile's compact support
    depth_mm: float  # max depth below skin level (>0); hypertrophic: negative height
    area_mm2: float  # pi * (width / 2)^2
    volume_mm3: float  # integral of |added profile| on the grid (sum * dx * dy)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticPatch:
    """A synthetic scan and what was put into it."""

    surface: HeightMap  # form + texture + pores + scars (+ optional NaN holes)
    scars: tuple[TrueScar, ...]
    form_mm: NDArray[np.float64]  # the cheek form alone (ny, nx)


def _smoothstep(t: NDArray) -> NDArray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def scar_profile(
    type: str, r_mm: NDArray, *, width_mm: float, depth_mm: float
) -> NDArray[np.float64]:
    """Depth below skin level as a function of distance from the scar centre.

    Parameters
    ----------
    type : {"icepick", "boxcar", "rolling", "hypertrophic"}
        Shape. icepick: cone ``d (1 - r/R)``; boxcar: flat floor, walls over the outer
        15% of the radius (smoothstep); rolling: raised-cosine bowl ``d (1 + cos(pi r/R)) / 2``;
        hypertrophic: plateau with walls over the outer 30% of the radius.
    r_mm : ndarray
        Distances from the centre in mm.
    width_mm : float
        Rim diameter ``2 R`` in mm; the profile is 0 for ``r >= R``.
    depth_mm : float
        Depth at the centre in mm (negative for a raised scar: the profile is then <= 0).

    Returns
    -------
    ndarray
        ``depth_mm * shape(r)`` with ``shape`` in [0, 1], same shape as ``r_mm``, in mm.
    """
    check_choice("type", type, SCAR_TYPES)
    check_positive(width_mm=width_mm)
    if not math.isfinite(depth_mm) or depth_mm == 0:
        raise InvalidParameterError(f"depth_mm must be finite and non-zero, got {depth_mm!r}")
    r = np.abs(np.asarray(r_mm, dtype=np.float64))
    radius = width_mm / 2.0
    u = np.clip(r / radius, 0.0, 1.0)
    if type == "icepick":
        shape = 1.0 - u
    elif type == "rolling":
        shape = 0.5 * (1.0 + np.cos(np.pi * u))
    else:
        wall = BOXCAR_WALL_FRACTION if type == "boxcar" else HYPERTROPHIC_WALL_FRACTION
        shape = _smoothstep((1.0 - u) / wall)
    return depth_mm * np.where(r < radius, shape, 0.0)


def _draw_size(rng: np.random.Generator, t: str) -> tuple[float, float]:
    w = float(rng.uniform(*WIDTH_RANGE_MM[t]))
    d = float(rng.uniform(*DEPTH_RANGE_MM[t]))
    return round(w, 4), round(d, 4)


def _place(
    rng: np.random.Generator,
    types: Sequence[str],
    *,
    extent_mm: tuple[float, float],
    min_gap_mm: float,
    attempts: int = 300,
    redraws: int = 10,
    restarts: int = 20,
) -> list[ScarSpec]:
    """Random sequential placement; rims at least ``min_gap_mm`` apart and from the border.

    A scar that finds no room after ``attempts`` positions gets a new size from its range (so
    crowded patches lean to the small end of each range); after ``redraws`` new sizes the whole
    placement starts again, at most ``restarts`` times.
    """
    ex, ey = extent_mm
    for _restart in range(restarts):
        placed: list[ScarSpec] = []
        for t in types:
            spec = None
            for _redraw in range(redraws):
                w, d = _draw_size(rng, t)
                r = w / 2.0
                lo_x, hi_x = r + min_gap_mm, ex - r - min_gap_mm
                lo_y, hi_y = r + min_gap_mm, ey - r - min_gap_mm
                if lo_x > hi_x or lo_y > hi_y:
                    continue
                for _ in range(attempts):
                    c = (float(rng.uniform(lo_x, hi_x)), float(rng.uniform(lo_y, hi_y)))
                    if all(
                        math.hypot(c[0] - s.center_mm[0], c[1] - s.center_mm[1])
                        >= r + s.width_mm / 2 + min_gap_mm
                        for s in placed
                    ):
                        spec = ScarSpec(type=t, center_mm=c, width_mm=w, depth_mm=d)  # type: ignore[arg-type]
                        break
                if spec is not None:
                    break
            if spec is None:
                break
            placed.append(spec)
        else:
            return placed
    raise InvalidParameterError(
        f"could not place {len(types)} scars ({', '.join(sorted(set(types)))}) without overlap in a "
        f"{ex:.1f} x {ey:.1f} mm patch; use a larger patch, fewer scars or a smaller min_gap_mm"
    )


def random_scars(
    rng: np.random.Generator,
    n: int,
    *,
    extent_mm: tuple[float, float],
    types: Sequence[str] = ("icepick", "boxcar", "rolling"),
    min_gap_mm: float = 1.0,
) -> list[ScarSpec]:
    """Draw ``n`` non-overlapping scars with sizes from the published ranges.

    Types cycle through ``types`` (balanced counts) and are placed widest type first; widths and
    depths are uniform in :data:`WIDTH_RANGE_MM` and :data:`DEPTH_RANGE_MM` (a scar that finds
    no room is redrawn, so crowded patches lean to smaller widths). Rims stay at least
    ``min_gap_mm`` apart and from the patch border.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (deterministic for a given seed).
    n : int
        Number of scars.
    extent_mm : (float, float)
        Patch size (x, y) in mm.
    types : sequence of str
        Scar types to draw from.
    min_gap_mm : float
        Smallest distance between rims, and between a rim and the border, in mm.
    """
    if n < 0:
        raise InvalidParameterError(f"n must be >= 0, got {n}")
    for t in types:
        check_choice("type", t, SCAR_TYPES)
    if n and not types:
        raise InvalidParameterError("types must name at least one scar type")
    check_non_negative(min_gap_mm=min_gap_mm)
    check_positive(extent_x_mm=extent_mm[0], extent_y_mm=extent_mm[1])
    type_list = sorted((types[i % len(types)] for i in range(n)), key=lambda t: -WIDTH_RANGE_MM[t][1])
    return _place(rng, type_list, extent_mm=extent_mm, min_gap_mm=min_gap_mm)


def _as_spec(s: Any) -> ScarSpec:
    if isinstance(s, ScarSpec):
        return s
    if isinstance(s, TrueScar):
        return ScarSpec(type=s.type, center_mm=s.center_mm, width_mm=s.width_mm, depth_mm=s.depth_mm)
    if isinstance(s, dict):
        return ScarSpec(
            type=s["type"], center_mm=tuple(s["center_mm"]), width_mm=s["width_mm"], depth_mm=s["depth_mm"]
        )
    t, c, w, d = s
    return ScarSpec(type=t, center_mm=(float(c[0]), float(c[1])), width_mm=float(w), depth_mm=float(d))


def _form(
    nx: int, ny: int, pixel_mm: float, tilt: tuple[float, float], curvature_radius_mm: float | None
) -> NDArray[np.float64]:
    x = np.arange(nx) * pixel_mm
    y = np.arange(ny) * pixel_mm
    xx, yy = np.meshgrid(x, y)
    form = tilt[0] * xx + tilt[1] * yy
    if curvature_radius_mm is not None:
        check_positive(curvature_radius_mm=curvature_radius_mm)
        rho2 = (xx - x[-1] / 2) ** 2 + (yy - y[-1] / 2) ** 2
        if rho2.max() >= curvature_radius_mm**2:
            raise InvalidParameterError(
                f"curvature_radius_mm={curvature_radius_mm} is smaller than the patch half-diagonal"
            )
        form = form + np.sqrt(curvature_radius_mm**2 - rho2) - curvature_radius_mm  # convex cheek
    return form


def _texture(rng: np.random.Generator, nx: int, ny: int, pixel_mm: float, sq_mm: float) -> NDArray:
    """Band-limited noise (wavelengths 0.1-0.5 mm) scaled to RMS ``sq_mm``."""
    if sq_mm == 0:
        return np.zeros((ny, nx))
    white = rng.standard_normal((ny, nx))
    fy = np.fft.fftfreq(ny, d=pixel_mm)[:, None]
    fx = np.fft.rfftfreq(nx, d=pixel_mm)[None, :]
    f = np.hypot(fx, fy)  # cycles per mm
    band = _smoothstep((f - 1.5) / 1.0) * (1.0 - _smoothstep((f - 10.0) / 3.0))
    noise = np.fft.irfft2(np.fft.rfft2(white) * band, s=(ny, nx))
    noise -= noise.mean()
    rms = float(np.sqrt(np.mean(noise**2)))
    return noise * (sq_mm / rms) if rms > 0 else noise


def _furrows(rng: np.random.Generator, xx: NDArray, yy: NDArray, depth_mm: float) -> NDArray:
    """A few straight, shallow skin furrows (Gaussian cross-section, ~0.08 mm wide)."""
    out = np.zeros_like(xx)
    cx, cy = xx.max() / 2, yy.max() / 2
    for _ in range(int(rng.integers(3, 6))):
        theta = rng.uniform(0, np.pi)
        offset = rng.uniform(-0.4, 0.4) * min(cx, cy) * 2
        sigma = rng.uniform(0.03, 0.05)
        dist = (xx - cx) * np.sin(theta) - (yy - cy) * np.cos(theta) - offset
        out -= depth_mm * rng.uniform(0.6, 1.0) * np.exp(-0.5 * (dist / sigma) ** 2)
    return out


def _stamp(
    z: NDArray, x0: float, y0: float, radius: float, pixel_mm: float, fn: Any
) -> tuple[slice, slice, NDArray]:
    """Evaluate ``fn(r)`` on the window around (x0, y0) of the grid; returns the slices and values."""
    ny, nx = z.shape
    c0 = max(int(math.floor((x0 - radius) / pixel_mm)) - 1, 0)
    c1 = min(int(math.ceil((x0 + radius) / pixel_mm)) + 2, nx)
    r0 = max(int(math.floor((y0 - radius) / pixel_mm)) - 1, 0)
    r1 = min(int(math.ceil((y0 + radius) / pixel_mm)) + 2, ny)
    xs = np.arange(c0, c1) * pixel_mm - x0
    ys = np.arange(r0, r1) * pixel_mm - y0
    r = np.hypot(xs[None, :], ys[:, None])
    return slice(r0, r1), slice(c0, c1), fn(r)


def make_skin_patch(
    *,
    nx: int = 600,
    ny: int = 600,
    pixel_mm: float = 0.025,
    scars: Iterable[Any] | None = None,
    n_scars: int = 8,
    seed: int = 0,
    tilt: tuple[float, float] = (0.0, 0.0),
    curvature_radius_mm: float | None = None,
    pores: bool = True,
    texture_um: float = 8.0,
    hypertrophic: int = 0,
    holes: int = 0,
    min_gap_mm: float = 1.0,
) -> SyntheticPatch:
    """A synthetic skin patch with scars of known shape, size and volume.

    Parameters
    ----------
    nx, ny : int
        Grid size (columns along x, rows along y).
    pixel_mm : float
        Sample spacing in mm (both axes).
    scars : iterable, optional
        Scars to place: :class:`ScarSpec`, :class:`TrueScar`, dicts with the same keys, or
        ``(type, (x, y), width_mm, depth_mm)`` tuples. Default: ``n_scars`` random atrophic scars
        plus ``hypertrophic`` raised ones from :func:`random_scars`.
    n_scars, hypertrophic : int
        Numbers of random atrophic and raised scars (only when ``scars`` is None). Atrophic types
        cycle icepick, boxcar, rolling; a type whose smallest width does not fit the patch is
        left out with a warning.
    seed : int
        Seed for every random choice: equal arguments give identical patches.
    tilt : (float, float)
        Plane slope (dz/dx, dz/dy) added to the form.
    curvature_radius_mm : float, optional
        Radius of a convex spherical cheek form centred on the patch (e.g. 40 mm); None: flat.
    pores : bool
        Add pores: pits 0.05-0.1 mm wide, 0.015-0.04 mm deep, about 0.6 per mm², kept off scars.
    texture_um : float
        RMS (Sq) in micrometres of band-limited texture (wavelengths 0.1-0.5 mm); skin furrows
        about 1.5 x as deep are added on top. Damped by up to 50% inside scars.
    holes : int
        Number of missing-data (NaN) blobs 0.2-0.8 mm across, kept off scars.
    min_gap_mm : float
        Smallest distance between scar rims (and from rims to the border, pores and holes).
    """
    check_positive(pixel_mm=pixel_mm)
    check_non_negative(texture_um=texture_um, min_gap_mm=min_gap_mm)
    if nx < 2 or ny < 2:
        raise InvalidParameterError(f"nx and ny must be >= 2, got {nx} x {ny}")
    rng = np.random.default_rng(seed)
    extent = ((nx - 1) * pixel_mm, (ny - 1) * pixel_mm)
    if scars is None:
        room = min(extent) - 2 * min_gap_mm
        types = [t for t in ("icepick", "boxcar", "rolling") if WIDTH_RANGE_MM[t][0] <= room]
        if len(types) < 3 and n_scars:
            warnings.warn(f"a {extent[0]:.1f} x {extent[1]:.1f} mm patch has no room for "
                          f"{', '.join(sorted({'icepick', 'boxcar', 'rolling'} - set(types)))} scars; "
                          f"drawing only {', '.join(types) or 'none'}", UserWarning, stacklevel=2)
        if not types and n_scars:
            raise InvalidParameterError("the patch is too small for any scar; use a larger patch or n_scars=0")
        type_list = [types[i % len(types)] for i in range(n_scars)] + ["hypertrophic"] * int(hypertrophic)
        # Wide scars first: they need the room; the order of the result is the placement order.
        type_list.sort(key=lambda t: -WIDTH_RANGE_MM[t][1])
        specs = _place(rng, type_list, extent_mm=extent, min_gap_mm=min_gap_mm)
    else:
        specs = [_as_spec(s) for s in scars]

    form = _form(nx, ny, pixel_mm, tilt, curvature_radius_mm)
    xx, yy = np.meshgrid(np.arange(nx) * pixel_mm, np.arange(ny) * pixel_mm)
    texture = _texture(rng, nx, ny, pixel_mm, texture_um / 1000.0)
    if texture_um > 0:
        texture += _furrows(rng, xx, yy, 1.5 * texture_um / 1000.0)

    profile = np.zeros((ny, nx))  # depth below skin (negative: raised)
    keep_out = np.zeros((ny, nx), dtype=bool)  # scar footprints plus a margin
    truths = []
    for s in specs:
        check_choice("type", s.type, SCAR_TYPES)
        # Snap the centre to the nearest sample so the deepest sample is exactly depth_mm.
        cx = round(float(s.center_mm[0]) / pixel_mm) * pixel_mm
        cy = round(float(s.center_mm[1]) / pixel_mm) * pixel_mm
        radius = s.width_mm / 2
        rs, cs, p = _stamp(profile, cx, cy, radius, pixel_mm,
                           lambda r, s=s: scar_profile(s.type, r, width_mm=s.width_mm, depth_mm=s.depth_mm))
        profile[rs, cs] += p
        rs2, cs2, near = _stamp(keep_out, cx, cy, radius + min_gap_mm / 2, pixel_mm,
                                lambda r, lim=radius + min_gap_mm / 2: r < lim)
        keep_out[rs2, cs2] |= near
        truths.append(TrueScar(
            type=s.type, center_mm=(cx, cy), width_mm=float(s.width_mm), depth_mm=float(s.depth_mm),
            area_mm2=math.pi * (s.width_mm / 2) ** 2,
            volume_mm3=float(np.abs(p).sum() * pixel_mm * pixel_mm),
        ))
    count = np.zeros((ny, nx), dtype=np.int32)
    for t in truths:
        rs, cs, m = _stamp(count, *t.center_mm, t.width_mm / 2, pixel_mm, lambda r, t=t: r < t.width_mm / 2)
        count[rs, cs] += m
    if (count > 1).any():  # overlapping footprints would make the ground truth ambiguous
        raise InvalidParameterError("scars overlap; place them further apart")

    # Damp texture inside scars (scar tissue is smoother than skin).
    frac = np.zeros_like(profile)
    for t in truths:
        rs, cs, m = _stamp(frac, *t.center_mm, t.width_mm / 2, pixel_mm,
                           lambda r, t=t: np.abs(scar_profile(t.type, r, width_mm=t.width_mm,
                                                              depth_mm=t.depth_mm)) / abs(t.depth_mm))
        frac[rs, cs] = np.maximum(frac[rs, cs], m)
    texture *= 1.0 - SCAR_TEXTURE_DAMPING * frac

    pore_z = np.zeros((ny, nx))
    if pores:
        n_pores = int(rng.poisson(0.6 * extent[0] * extent[1]))
        for _ in range(n_pores):
            px, py = rng.uniform(0, extent[0]), rng.uniform(0, extent[1])
            width = rng.uniform(0.05, 0.1)
            depth = rng.uniform(0.015, 0.04)
            i, j = int(round(py / pixel_mm)), int(round(px / pixel_mm))
            if keep_out[i, j]:
                continue
            sigma = width / 2.3548  # width = FWHM
            rs, cs, p = _stamp(pore_z, px, py, 3 * sigma, pixel_mm,
                               lambda r, sigma=sigma, depth=depth: depth * np.exp(-0.5 * (r / sigma) ** 2))
            pore_z[rs, cs] = np.minimum(pore_z[rs, cs], -p)
        pore_z[keep_out] = 0.0

    z = form + texture + pore_z - profile
    n_holes = 0
    for _ in range(int(holes)):
        for _attempt in range(200):
            hx, hy = rng.uniform(0, extent[0]), rng.uniform(0, extent[1])
            hr = rng.uniform(0.1, 0.4)
            if all(math.hypot(hx - t.center_mm[0], hy - t.center_mm[1]) >= t.width_mm / 2 + hr + min_gap_mm
                   for t in truths):
                rs, cs, m = _stamp(z, hx, hy, hr, pixel_mm, lambda r, hr=hr: r < hr)
                z[rs, cs] = np.where(m, np.nan, z[rs, cs])
                n_holes += 1
                break
    meta = {"source": "synthetic", "format": "synthetic", "seed": seed, "n_scars": len(truths),
            "texture_um": texture_um, "holes": n_holes}
    return SyntheticPatch(surface=HeightMap(z, pixel_mm, pixel_mm, meta), scars=tuple(truths), form_mm=form)


def demo_patch(seed: int = 7) -> SyntheticPatch:
    """A realistic cheek patch: 20 x 20 mm at 0.025 mm, 12 atrophic scars and 1 hypertrophic.

    Convex form (radius 40 mm) with a slight tilt, pores and 8 um texture.
    """
    return make_skin_patch(
        nx=801, ny=801, pixel_mm=0.025, n_scars=12, hypertrophic=1, seed=seed, tilt=(0.03, -0.02),
        curvature_radius_mm=40.0, pores=True, texture_um=8.0, min_gap_mm=0.8,
    )
