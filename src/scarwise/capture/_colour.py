"""Colour maps of skin: erythema (redness, haemoglobin) and melanin (pigment) indices.

Indices (per pixel, from *linear* RGB reflectance R, G, B on a 0-1 scale):

- **Erythema index** ``EI = 100 log10(R / G)`` and **melanin index** ``MI = 100 log10(1 / R)``:
  the log-inverse-reflectance indices of Diffey, Oliver & Farr (1984), defined for a red and a
  green narrow band, applied to the red and green channels of a camera as by Takiwaki (1998)
  and Yamamoto et al. (2008). Haemoglobin absorbs green far more than red, so more blood raises
  EI; at red, melanin dominates absorption, so more pigment raises MI. The channel-to-band
  correspondence is an approximation: absolute values depend on the camera, the light and the
  colour normalisation, so compare maps taken the same way (e.g. scar vs surrounding skin).
- **Individual typology angle** ``ITA = atan((L* - 50) / b*)`` in degrees (Chardon et al. 1991):
  lower is darker (more melanin); and **a*** (CIELAB redness), both from sRGB primaries, D65.

The bibliographic details below were checked on 2026-11-25 against the pages named after each
reference; what no retrieved page showed is marked UNVERIFIED.

References
----------
Diffey BL, Oliver RJ, Farr PM. A portable instrument for quantifying erythema induced by
ultraviolet radiation. Br J Dermatol 1984;111(6):663-672. Title, journal and year as listed among
the references at https://scilit.net/publications/d43734338efc2c98a19bd88ada0ea41c; authors,
volume, issue and pages UNVERIFIED (no retrieved page showed them).
Takiwaki H. Measurement of skin color: practical application and theoretical considerations.
J Med Invest 1998;44(3-4):121-126. Verified at the journal's page
http://medical.med.tokushima-u.ac.jp/jmi/vol44/text/v44_n3-4_p121.html.
Yamamoto T, Takiwaki H, Arase S, Ohshima H. Derivation and clinical application of special imaging
by means of digital cameras and Image J freeware for quantification of erythema and pigmentation.
Skin Res Technol 2008;14(1):26-34. doi:10.1111/j.1600-0846.2007.00256.x. Verified at the PubMed
record 18211599 (mirror https://suppr.wilddata.cn/browses/detail/pubmed/18211599).
Chardon A, Cretois I, Hourseau C. Skin colour typology and suntanning pathways. Int J Cosmet Sci
1991;13(4):191-208. doi:10.1111/j.1467-2494.1991.tb00561.x. Title, journal, year and DOI verified
at the Wiley abstract page https://onlinelibrary.wiley.com/doi/10.1111/j.1467-2494.1991.tb00561.x/abstract;
authors, volume and pages only in secondary citations (public GitHub reference lists): UNVERIFIED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.core import InvalidParameterError
from scarwise.core._checks import check_non_negative, check_positive

#: Reflectance below which a channel counts as too dark for a log index (values are noise there).
DARK_LIMIT = 1.0 / 255.0
#: Reflectance above which a channel counts as saturated (clipped by the camera).
SATURATION_LIMIT = 0.995


def srgb_to_linear(rgb: NDArray[np.floating]) -> NDArray[np.float64]:
    """Undo the sRGB transfer curve (IEC 61966-2-1): encoded 0-1 values to linear 0-1."""
    v = np.asarray(rgb, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _check_rgb(rgb: NDArray) -> NDArray[np.float64]:
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InvalidParameterError(f"a colour photograph (ny, nx, 3) is needed, got shape {rgb.shape}")
    if not np.isfinite(rgb).all():
        raise InvalidParameterError("colour image holds NaN or infinite values")
    return rgb


def normalise_to_patch(
    rgb_linear: NDArray[np.floating],
    box_px: tuple[int, int, int, int],
    *,
    reflectance: float | tuple[float, float, float] = 0.9,
) -> NDArray[np.float64]:
    """Scale each channel so that a neutral chart patch reads its known reflectance.

    Parameters
    ----------
    rgb_linear : (ny, nx, 3) ndarray
        Linear RGB values.
    box_px : (x0, y0, x1, y1)
        The patch in pixels: columns x0..x1-1, rows y0..y1-1.
    reflectance : float or (r, g, b)
        The patch's linear reflectance per channel (a white card is about 0.9; use the value
        printed for your chart).

    Returns
    -------
    (ny, nx, 3) ndarray
        Reflectance estimates (may exceed 1 for specular or very light points).
    """
    rgb = _check_rgb(rgb_linear)
    x0, y0, x1, y1 = (int(v) for v in box_px)
    ny, nx = rgb.shape[:2]
    if not (0 <= x0 < x1 <= nx and 0 <= y0 < y1 <= ny):
        raise InvalidParameterError(f"chart patch {box_px} lies outside the {nx} x {ny} image (x0, y0, x1, y1)")
    ref = np.broadcast_to(np.asarray(reflectance, dtype=np.float64), (3,))
    check_positive(**{f"reflectance_{c}": float(v) for c, v in zip("rgb", ref, strict=True)})
    mean = rgb[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
    if (mean <= DARK_LIMIT).any():
        raise InvalidParameterError(f"chart patch {box_px} is black in at least one channel; check its position")
    return rgb * (ref / mean)


@dataclass(frozen=True, eq=False)
class ColourMaps:
    """Per-pixel colour indices, NaN where a channel is too dark or saturated.

    Attributes
    ----------
    erythema : (ny, nx) ndarray
        Erythema index 100 log10(R/G).
    melanin : (ny, nx) ndarray
        Melanin index 100 log10(1/R).
    ita_deg : (ny, nx) ndarray
        Individual typology angle in degrees.
    a_star : (ny, nx) ndarray
        CIELAB a* (redness).
    """

    erythema: NDArray[np.float64]
    melanin: NDArray[np.float64]
    ita_deg: NDArray[np.float64]
    a_star: NDArray[np.float64]

    @property
    def valid(self) -> NDArray[np.bool_]:
        return np.isfinite(self.erythema) & np.isfinite(self.melanin)


def colour_maps(rgb_linear: NDArray[np.floating]) -> ColourMaps:
    """Erythema, melanin, ITA and a* maps of a linear RGB photograph.

    Parameters
    ----------
    rgb_linear : (ny, nx, 3) ndarray
        Linear RGB reflectance (0-1), e.g. from :func:`srgb_to_linear` and
        :func:`normalise_to_patch`.
    """
    from skimage.color import rgb2lab

    rgb = _check_rgb(rgb_linear)
    r, g = rgb[..., 0], rgb[..., 1]
    ok = (rgb > DARK_LIMIT).all(axis=-1) & (rgb < SATURATION_LIMIT).all(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ei = np.where(ok, 100.0 * np.log10(r / g), np.nan)
        mi = np.where(ok, 100.0 * np.log10(1.0 / r), np.nan)
    # rgb2lab expects sRGB-encoded values; encode the linear values (clipped to the gamut) first.
    lin = np.clip(rgb, 0.0, 1.0)
    enc = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    lab = rgb2lab(enc)
    ita = np.where(ok, np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2])), np.nan)
    a_star = np.where(ok, lab[..., 1], np.nan)
    return ColourMaps(ei, mi, ita, a_star)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionColour:
    """Mean and standard deviation of the indices inside one region and in the skin around it."""

    id: int
    area_mm2: float
    erythema_mean: float
    erythema_sd: float
    melanin_mean: float
    melanin_sd: float
    surround_erythema_mean: float
    surround_melanin_mean: float
    erythema_delta: float  # region minus surround: > 0 redder than the skin around it
    melanin_delta: float  # region minus surround: > 0 darker (more pigment)

    def to_json(self) -> dict[str, Any]:
        return {k: _json_float(getattr(self, k)) for k in self.__slots__}


@dataclass(frozen=True, kw_only=True)
class ColourStats:
    """Colour indices over the whole skin and per labelled region."""

    skin_erythema_mean: float
    skin_erythema_sd: float
    skin_melanin_mean: float
    skin_melanin_sd: float
    skin_ita_deg_median: float
    regions: tuple[RegionColour, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "skin": {"erythema_mean": _json_float(self.skin_erythema_mean),
                     "erythema_sd": _json_float(self.skin_erythema_sd),
                     "melanin_mean": _json_float(self.skin_melanin_mean),
                     "melanin_sd": _json_float(self.skin_melanin_sd),
                     "ita_deg_median": _json_float(self.skin_ita_deg_median)},
            "regions": [r.to_json() for r in self.regions],
        }


def _json_float(v: Any) -> Any:
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    return v if np.isfinite(v) else None


def _mean_sd(values: NDArray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0


def colour_stats(
    maps: ColourMaps,
    labels: NDArray[np.integer] | None = None,
    *,
    pixel_mm: float,
    ring_mm: float = 1.0,
) -> ColourStats:
    """Index means and spread over the skin and, per label, inside the region and around it.

    Parameters
    ----------
    maps : ColourMaps
        From :func:`colour_maps`.
    labels : (ny, nx) int ndarray, optional
        0 = skin, k > 0 = region k (e.g. ``measure_surface(...).labels`` on the same grid).
    pixel_mm : float
        Pixel size in mm (for areas and the ring width).
    ring_mm : float
        Width of the ring of surrounding skin compared with each region, in mm; other regions
        are left out of the ring.
    """
    from scipy import ndimage

    check_positive(pixel_mm=pixel_mm, ring_mm=ring_mm)
    shape = maps.erythema.shape
    if labels is None:
        labels = np.zeros(shape, dtype=np.int32)
    labels = np.asarray(labels)
    if labels.shape != shape:
        raise InvalidParameterError(
            f"scar labels are {labels.shape[1]} x {labels.shape[0]} but the photograph is {shape[1]} x {shape[0]}; "
            "the photograph must be registered on the scan's grid"
        )
    skin = labels == 0
    e_mean, e_sd = _mean_sd(maps.erythema[skin])
    m_mean, m_sd = _mean_sd(maps.melanin[skin])
    ita = maps.ita_deg[skin]
    ita = ita[np.isfinite(ita)]
    ring_px = max(1, int(round(ring_mm / pixel_mm)))
    disk = np.hypot(*np.mgrid[-ring_px : ring_px + 1, -ring_px : ring_px + 1]) <= ring_px
    regions = []
    for k in np.unique(labels[labels > 0]):
        inside = labels == k
        rows, cols = np.nonzero(inside)
        r0, r1 = max(rows.min() - ring_px, 0), min(rows.max() + ring_px + 1, shape[0])
        c0, c1 = max(cols.min() - ring_px, 0), min(cols.max() + ring_px + 1, shape[1])
        grown = ndimage.binary_dilation(inside[r0:r1, c0:c1], structure=disk)
        ring = grown & skin[r0:r1, c0:c1]
        ei_in, ei_sd = _mean_sd(maps.erythema[inside])
        mi_in, mi_sd = _mean_sd(maps.melanin[inside])
        ei_out, _ = _mean_sd(maps.erythema[r0:r1, c0:c1][ring])
        mi_out, _ = _mean_sd(maps.melanin[r0:r1, c0:c1][ring])
        regions.append(RegionColour(
            id=int(k), area_mm2=float(inside.sum()) * pixel_mm**2,
            erythema_mean=ei_in, erythema_sd=ei_sd, melanin_mean=mi_in, melanin_sd=mi_sd,
            surround_erythema_mean=ei_out, surround_melanin_mean=mi_out,
            erythema_delta=ei_in - ei_out, melanin_delta=mi_in - mi_out,
        ))
    return ColourStats(
        skin_erythema_mean=e_mean, skin_erythema_sd=e_sd, skin_melanin_mean=m_mean, skin_melanin_sd=m_sd,
        skin_ita_deg_median=float(np.median(ita)) if ita.size else float("nan"), regions=tuple(regions),
    )


def find_discoloured(
    maps: ColourMaps,
    *,
    pixel_mm: float,
    k: float = 3.0,
    min_width_mm: float = 1.0,
    smooth_mm: float = 0.1,
    min_delta: float = 5.0,
) -> NDArray[np.int32]:
    """Label patches redder or darker than the skin around them: candidate macular scars.

    A pixel is discoloured when its smoothed erythema or melanin index exceeds the skin's
    median by more than ``k`` robust standard deviations (1.4826 x the median absolute
    deviation over the photograph), and by at least ``min_delta`` index units (so that very
    even skin does not flag its own quantisation noise). ``smooth_mm`` is the Gaussian sigma
    applied first. Patches narrower than ``min_width_mm`` (equivalent-circle
    diameter) are dropped. This is a screening aid (a flat red or brown patch), not a diagnosis.

    Returns
    -------
    (ny, nx) int32 ndarray
        0 = skin, 1..n = discoloured patches.
    """
    from scipy import ndimage

    check_positive(pixel_mm=pixel_mm, k=k, min_width_mm=min_width_mm)
    check_non_negative(smooth_mm=smooth_mm, min_delta=min_delta)
    sigma = max(smooth_mm / pixel_mm, 0.0)
    flags = np.zeros(maps.erythema.shape, dtype=bool)
    for index in (maps.erythema, maps.melanin):
        valid = np.isfinite(index)
        if valid.sum() < 10:
            continue
        filled = np.where(valid, index, np.nanmedian(index))
        smooth = ndimage.gaussian_filter(filled, sigma) if sigma > 0 else filled
        med = float(np.median(smooth[valid]))
        mad = 1.4826 * float(np.median(np.abs(smooth[valid] - med)))
        flags |= valid & (smooth > med + max(k * mad, min_delta))
    labels, n = ndimage.label(flags)
    min_area_px = np.pi * (min_width_mm / 2) ** 2 / pixel_mm**2
    sizes = ndimage.sum_labels(flags, labels, index=np.arange(1, n + 1))
    keep = np.zeros(n + 1, dtype=np.int32)
    keep[1:][sizes >= min_area_px] = np.arange(1, int((sizes >= min_area_px).sum()) + 1)
    return keep[labels]
