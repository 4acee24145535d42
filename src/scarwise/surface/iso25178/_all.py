"""All areal parameters of one surface, with their units and definitions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.core._checks import check_non_negative
from scarwise.surface.iso25178._feature import feature_parameters
from scarwise.surface.iso25178._height import height_moments, height_parameters
from scarwise.surface.iso25178._hybrid import hybrid_parameters
from scarwise.surface.iso25178._material import material_parameters
from scarwise.surface.iso25178._spatial import acf_parameters, centred_filled, spectral_parameters

#: The parameters of the ``measure`` JSON contract (DESIGN.md).
CONTRACT_PARAMETERS = ("Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku", "Sdq", "Sdr")

_HEIGHT = ("Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku")
_HYBRID = ("Sdq", "Sdr")
_MATERIAL = (
    "Sk", "Spk", "Svk", "Spkx", "Svkx", "Sak1", "Sak2", "Smr1", "Smr2", "Smr", "Smc", "Sxp", "Sdc",
    "Vmp", "Vmc", "Vvc", "Vvv",
)  # fmt: skip
_ACF = ("Sal", "Str")
_SPECTRAL = ("Std", "Ssw")
_FEATURE = ("Spd", "Svd", "Spc", "Svc", "S5p", "S5v", "S10z")

#: Every parameter :func:`areal_parameters` computes, in output order.
PARAMETERS = _HEIGHT + _HYBRID + _MATERIAL + _ACF + _SPECTRAL + _FEATURE
#: Computed when no names are given: all but the feature parameters, whose watershed
#: segmentation costs about as much as all the others together (ask for them by name).
DEFAULT_PARAMETERS = _HEIGHT + _HYBRID + _MATERIAL + _ACF + _SPECTRAL

#: Unit of each parameter ("1": dimensionless). Volumes in um = um^3/um^2 = ml/m^2.
UNITS = {
    **dict.fromkeys(("Sa", "Sq", "Sp", "Sv", "Sz"), "um"),
    "Ssk": "1", "Sku": "1", "Sdq": "1", "Sdr": "%",
    **dict.fromkeys(("Sk", "Spk", "Svk", "Spkx", "Svkx", "Smc", "Sxp", "Sdc"), "um"),
    "Sak1": "%*um", "Sak2": "%*um", "Smr1": "%", "Smr2": "%", "Smr": "%",
    **dict.fromkeys(("Vmp", "Vmc", "Vvc", "Vvv"), "um"),
    "Sal": "mm", "Str": "1", "Std": "deg", "Ssw": "mm",
    "Spd": "1/mm2", "Svd": "1/mm2", "Spc": "1/mm", "Svc": "1/mm", "S5p": "um", "S5v": "um", "S10z": "um",
}  # fmt: skip

#: How each family is defined, where it departs from or pins down ISO 25178-2 (for the README).
DEFINITIONS = {
    "height": "over valid points about their mean (surfalize's definition; NaN points left out)",
    "Sdq": "forward differences, each direction averaged over its own differences (as surfalize)",
    "Sdr": "mean of the two triangulations of every cell, ISO 25178-2:2021 eq. D.15 (as surfalize); "
    "cells with a missing corner left out",
    "material": "curve sampled at 10 000 equal material-ratio steps (quantiles), equivalent line by least "
    "squares in the 40 % window of least secant slope (as surfalize 0.19)",
    "Smr": "at c = smr_c_um (default 1 um) below the highest point; surfalize takes an absolute height",
    "Smc": "at p = smc_p_percent (default 10 %), height above the mean of the valid heights",
    "Sal/Str": "s = 0.2, unbiased linear ACF, decay along rays to the region edge (as surfalize); "
    "missing points filled with the mean",
    "Std": "angle of largest angular amplitude density, 0.5 deg bins, counter-clockwise from +x with y up "
    "the map (as surfalize's Std); missing points filled with the mean",
    "Ssw": "wavelength of the largest Fourier amplitude (as surfalize)",
    "feature": "steepest-descent watershed, Wolf pruning at 5 % of Sz, motifs touching the border left out "
    "(as surfalize); motifs touching a missing point left out too; Spd/Svd in 1/mm2, Spc/Svc in 1/mm "
    "(surfalize: 1/um2, 1/um)",
}

#: Smallest grid accepted: every parameter needs at least one 2 x 2 cell.
MIN_SIDE = 2


def _requested(parameters: Sequence[str] | None) -> tuple[str, ...]:
    if parameters is None:
        return DEFAULT_PARAMETERS
    if isinstance(parameters, str):
        raise InvalidParameterError(
            f"parameters must be a list of names such as ['Sa', 'Sq'], got the string {parameters!r}"
        )
    names = tuple(parameters)
    unknown = [p for p in names if p not in UNITS]
    if unknown:
        raise InvalidParameterError(f"unknown areal parameter(s) {unknown}; choose from {list(PARAMETERS)}")
    return names


def areal_parameters(
    surface: HeightMap,
    *,
    parameters: Sequence[str] | None = None,
    smr_c_um: float = 1.0,
    smc_p_percent: float = 10.0,
) -> dict[str, float]:
    """ISO 25178-2 areal parameters of a surface as given (level it first).

    Parameters
    ----------
    surface : HeightMap
        Heights in mm, NaN where missing (left out; see :data:`DEFINITIONS`). Not levelled
        here: use :func:`scarwise.surface.form.remove_form` first.
    parameters : sequence of str, optional
        Names to compute (see :data:`PARAMETERS`); by default :data:`DEFAULT_PARAMETERS`,
        i.e. all but the feature parameters (Spd, Svd, Spc, Svc, S5p, S5v, S10z).
    smr_c_um : float
        Depth below the highest point, in um, at which Smr is taken (default 1 um).
    smc_p_percent : float
        Material ratio in %, 0 to 100, at which Smc is taken (default 10 %).

    Returns
    -------
    dict of str to float
        Values in the units of :data:`UNITS` (heights and volumes in um, Sdr in %, Sal and Ssw
        in mm, Std in degrees), in the order asked. NaN where a parameter is undefined
        (Ssk and Sku of a flat surface, Str when the texture does not decorrelate within the map).

    Examples
    --------
    >>> import numpy as np
    >>> from scarwise.core import HeightMap
    >>> x = np.arange(200) * 0.01
    >>> wave = HeightMap(np.tile(0.002 * np.sin(2 * np.pi * x / 0.5), (50, 1)), 0.01, 0.01)
    >>> p = areal_parameters(wave, parameters=["Sq", "Ssk"])
    >>> round(p["Sq"], 4), abs(round(p["Ssk"], 6))   # A / sqrt(2) with A = 2 um
    (1.4142, 0.0)
    """
    names = _requested(parameters)
    check_non_negative(smr_c_um=smr_c_um)
    check_non_negative(smc_p_percent=smc_p_percent)
    if smc_p_percent > 100:
        raise InvalidParameterError(f"smc_p_percent must be between 0 and 100, got {smc_p_percent!r}")
    if surface.nx < MIN_SIDE or surface.ny < MIN_SIDE:
        raise EmptySurfaceError(
            f"areal parameters need a map of at least {MIN_SIDE} x {MIN_SIDE} points, got {surface.nx} x {surface.ny}"
        )
    surface.require_valid(minimum=4)
    z = np.ascontiguousarray(surface.z, dtype=np.float64)
    wanted = set(names)
    out: dict[str, float] = {}
    moments = height_moments(z) if wanted & (set(_HEIGHT) | set(_MATERIAL)) else None
    if wanted & set(_HEIGHT):
        out.update(height_parameters(z, moments=moments))
    if wanted & set(_HYBRID):
        out.update(hybrid_parameters(z, surface.dx_mm, surface.dy_mm))
    if wanted & set(_MATERIAL):
        out.update(material_parameters(z, moments[1], smr_c_um=float(smr_c_um), smc_p_percent=float(smc_p_percent)))
    if wanted & (set(_ACF) | set(_SPECTRAL)):
        centred = centred_filled(z)
        if wanted & set(_ACF):
            out.update(acf_parameters(centred, surface.dx_mm, surface.dy_mm))
        if wanted & set(_SPECTRAL):
            out.update(spectral_parameters(centred, surface.dx_mm, surface.dy_mm))
    if wanted & set(_FEATURE):
        out.update(feature_parameters(z, surface.dx_mm, surface.dy_mm))
    return {name: float(out[name]) if math.isfinite(out[name]) else math.nan for name in names}
