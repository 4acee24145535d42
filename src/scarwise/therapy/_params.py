"""Model parameters: one typed, documented, frozen object; values cited in ``docs/model.md``.

Every default comes from ``reference/model-parameters.md`` (section 11, "starter parameter set:
priors, not facts") or is our own choice; the source of each is in :data:`PARAMETER_SOURCES`, and
those marked UNVERIFIED there must not be relied on before the cohort issue calibrates them.
Units: millimetres and days throughout (1 cm^2/s = 8.64e6 mm^2/day).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from scarwise.core._checks import check_non_negative, check_positive
from scarwise.core.errors import InvalidParameterError

#: cm^2/s -> mm^2/day
CM2_PER_S_TO_MM2_PER_DAY = 100.0 * 86400.0

#: Where the default parameter set comes from (reported with every prediction).
PARAMETER_SOURCE = (
    "scarwise reference/model-parameters.md section 11 starter priors (uncalibrated; "
    "several values UNVERIFIED, see docs/model.md)"
)


@dataclass(frozen=True, kw_only=True)
class ModelParameters:
    """Tissue parameters of the remodelling model (not the product; see :class:`AgentKinetics`).

    Attributes
    ----------
    dermis_thickness_mm : float
        H, cheek dermis thickness; converts relative collagen synthesis into fill thickness.
    factor_diffusivity_mm2_per_day : float
        D_c, effective growth-factor diffusivity in dermis (5e-8 cm^2/s).
    factor_decay_per_day : float
        lambda_c, growth-factor loss in tissue.
    half_saturation_molecules_per_mm2 : float
        K_c, areal factor density of half-maximal stimulation; the factor field is stored in units of K_c.
    fibroblast_diffusivity_mm2_per_day : float
        D_n, fibroblast random motility (3e-10 cm^2/s).
    chemotaxis_mm2_per_day : float
        chi, fibroblast chemotactic sensitivity to the factor (per unit of c).
    fibroblast_proliferation_per_day : float
        r_n, stimulated fibroblast proliferation rate.
    fibroblast_removal_per_day : float
        delta_n, return of fibroblast density to baseline (apoptosis of the excess).
    fibroblast_capacity : float
        n_max, largest fibroblast density relative to the resting density.
    collagen_synthesis_per_day : float
        k_rho, stimulated new-collagen synthesis per fibroblast, as a fraction of dermal collagen per day.
    labile_collagen_turnover_per_day : float
        delta_rho, degradation of newly made (labile) collagen.
    collagen_maturation_per_day : float
        m, cross-linking of labile into stable collagen.
    stable_collagen_half_life_days : float
        Half-life of mature cross-linked collagen (about 15 years).
    overfill_capacity_fraction : float
        Deposition stops when fill reaches (1 + this) times the local scar depth; fill above the depth
        is hypertrophy.
    injury_resolution_per_day : float
        k_i, decay of the injury (inflammation) signal after a device session.
    injury_factor_release_per_day : float
        q_i, factor release by fully injured tissue, in units of K_c per day.
    hypertrophy_tolerance_mm : float
        Fill above the original skin level that is flagged as hypertrophy.
    """

    dermis_thickness_mm: float = 1.5
    factor_diffusivity_mm2_per_day: float = 5e-8 * CM2_PER_S_TO_MM2_PER_DAY
    factor_decay_per_day: float = 2.0
    half_saturation_molecules_per_mm2: float = 2.0e7
    fibroblast_diffusivity_mm2_per_day: float = 3e-10 * CM2_PER_S_TO_MM2_PER_DAY
    chemotaxis_mm2_per_day: float = 1e-3
    fibroblast_proliferation_per_day: float = 0.7
    fibroblast_removal_per_day: float = 0.03
    fibroblast_capacity: float = 3.0
    collagen_synthesis_per_day: float = 0.009
    labile_collagen_turnover_per_day: float = 0.02
    collagen_maturation_per_day: float = 0.02
    stable_collagen_half_life_days: float = 15.0 * 365.25
    overfill_capacity_fraction: float = 0.1
    injury_resolution_per_day: float = 1.0 / 3.0
    injury_factor_release_per_day: float = 2.0
    hypertrophy_tolerance_mm: float = 0.02

    def __post_init__(self) -> None:
        check_positive(
            dermis_thickness_mm=self.dermis_thickness_mm,
            half_saturation_molecules_per_mm2=self.half_saturation_molecules_per_mm2,
            fibroblast_capacity=self.fibroblast_capacity,
            stable_collagen_half_life_days=self.stable_collagen_half_life_days,
        )
        check_non_negative(
            **{
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if f.name
                not in (
                    "dermis_thickness_mm",
                    "half_saturation_molecules_per_mm2",
                    "fibroblast_capacity",
                    "stable_collagen_half_life_days",
                )
            }
        )
        if self.fibroblast_capacity < 1.0:
            raise InvalidParameterError(
                f"fibroblast_capacity is relative to the resting density and must be >= 1, "
                f"got {self.fibroblast_capacity}"
            )

    @property
    def stable_collagen_decay_per_day(self) -> float:
        """First-order loss of mature collagen, ln 2 / half-life."""
        return math.log(2.0) / self.stable_collagen_half_life_days

    def replace(self, **changes: float) -> ModelParameters:
        """A copy with some values changed (validated again)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise InvalidParameterError(f"unknown model parameter(s) {unknown}; known: {sorted(names)}")
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class AgentKinetics:
    """Kinetics of the delivered agent (cells, vesicles or factors) of one product.

    Attributes
    ----------
    retention_decay_per_day : float
        k_a, first-order loss of the delivered agent at the site (cells: death and clearance).
    secretion_molecules_per_unit_s : float
        Factor molecules released per agent unit (cell, or dose unit) per second.
    diffusivity_mm2_per_day : float
        D_a, spread of the agent in tissue (cells: about the fibroblast motility).
    """

    retention_decay_per_day: float = 0.35
    secretion_molecules_per_unit_s: float = 0.05
    diffusivity_mm2_per_day: float = 3e-10 * CM2_PER_S_TO_MM2_PER_DAY

    def __post_init__(self) -> None:
        check_non_negative(
            retention_decay_per_day=self.retention_decay_per_day,
            secretion_molecules_per_unit_s=self.secretion_molecules_per_unit_s,
            diffusivity_mm2_per_day=self.diffusivity_mm2_per_day,
        )


#: Source and status of every parameter (docs/model.md repeats and explains these).
PARAMETER_SOURCES: dict[str, str] = {
    "dermis_thickness_mm": "ref s1/s11 (Chopra 2015 facial dermis 0.76-1.97 mm); cheek value UNVERIFIED",
    "factor_diffusivity_mm2_per_day": "ref s5/s11 effective dermal D with binding; UNVERIFIED range",
    "factor_decay_per_day": "ref s5/s11 matrix-bound factor lifetime prior; UNVERIFIED",
    "half_saturation_molecules_per_mm2": "ours: ~1 ng/mL of a 40 kDa factor over 1.5 mm dermis; UNVERIFIED",
    "fibroblast_diffusivity_mm2_per_day": "ref s6/s11 derived from Park 2001 speeds; UNVERIFIED",
    "chemotaxis_mm2_per_day": "ours; ref s6 says model-specific; UNVERIFIED",
    "fibroblast_proliferation_per_day": "ref s6/s11 typical model value (Olsen 1995); UNVERIFIED",
    "fibroblast_removal_per_day": "ref s6/s11 (Egberts 2021 most sensitive); UNVERIFIED",
    "fibroblast_capacity": "ours; UNVERIFIED",
    "collagen_synthesis_per_day": "ref s7/s11 Babraj 2005 FSR 0.9%/day [S]",
    "labile_collagen_turnover_per_day": "ref s7/s11 inferred labile pool; UNVERIFIED",
    "collagen_maturation_per_day": "ours (remodelling 3 weeks-2 years, ref s2); UNVERIFIED",
    "stable_collagen_half_life_days": "ref s7 Verzijl 2000 ~15 years [S]",
    "overfill_capacity_fraction": "ours; UNVERIFIED",
    "injury_resolution_per_day": "ref s2 inflammation day 0-3 [S]; rate ours",
    "injury_factor_release_per_day": "ours; UNVERIFIED",
    "hypertrophy_tolerance_mm": "ours (reporting threshold)",
    "retention_decay_per_day": "ref s3/s11 injected-cell loss 0.15-0.7/day; assumed, UNVERIFIED",
    "secretion_molecules_per_unit_s": "ref s4/s11 Rehman 2004 / Stefanini 2008 order of magnitude",
    "diffusivity_mm2_per_day": "cells: as fibroblast motility; vesicles/factors: ours; UNVERIFIED",
}
