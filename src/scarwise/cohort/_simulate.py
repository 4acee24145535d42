"""Run protocols on virtual patients with the reduced model; outcomes per scar and per patient."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from scarwise.cohort._patients import PARAMETERS, Population, VirtualPatients, draw_patients, scar_levels
from scarwise.cohort._reduced import RATE_NAMES, ProtocolDose, base_rates, protocol_dose, remaining_depth
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy import ModelParameters, Protocol, get_protocol

#: Days per month used to turn ``months`` into model days.
DAYS_PER_MONTH = 30.4375
#: Time step of cohort runs: Heun at 0.25 day changes improvements by < 0.15 percentage points
#: against 0.05 day over a year (measured on 300 virtual patients, three protocols).
COHORT_DT_DAYS = 0.25
_COLS = [RATE_NAMES.index(r) for r in PARAMETERS.values()]


def months_to_days(months: Sequence[float]) -> list[float]:
    """Report days for the given months (month 0 = day 0)."""
    out = [float(m) * DAYS_PER_MONTH for m in months]
    if not out or min(out) < 0 or max(out) > 3650:
        raise InvalidParameterError(f"months must be 0..120 and at least one, got {list(months)}")
    return out


def patient_rates(multipliers: NDArray[np.float64], dose: ProtocolDose,
                  params: ModelParameters | None = None) -> NDArray[np.float64]:
    """Per-patient rate table (P, 12): the model's rates times each patient's multipliers."""
    base = base_rates(params or ModelParameters(), dose.kinetics)
    rates = np.repeat(base[None, :], multipliers.shape[0], axis=0)
    rates[:, _COLS] *= multipliers
    return rates


def scar_volumes(patients: VirtualPatients, protocol: Protocol | ProtocolDose, *, days: Sequence[float],
                 population: Population, params: ModelParameters | None = None) -> NDArray[np.float64]:
    """Remaining void volume (mm^3) of every scar on every report day, shape (n_scars, n_days)."""
    dose = protocol if isinstance(protocol, ProtocolDose) else protocol_dose(protocol)
    p = params or ModelParameters()
    owner, depth, area, scar_row, radius = scar_levels(patients)
    rates = patient_rates(patients.multipliers(population), dose, p)
    rem = remaining_depth(rates, owner, depth, dose, days=days, radius_mm=radius,
                          factor_diffusivity_mm2_per_day=p.factor_diffusivity_mm2_per_day,
                          factor_decay_per_day=p.factor_decay_per_day, overfill_fraction=p.overfill_capacity_fraction,
                          dt_days=COHORT_DT_DAYS)
    out = np.zeros((patients.scar_type.size, rem.shape[1]))
    np.add.at(out, scar_row, rem * area[:, None])
    return out


def improvement_pct(volume0: NDArray[np.float64], volume: NDArray[np.float64]) -> NDArray[np.float64]:
    """Volume reduction in percent of the baseline volume (positive = better)."""
    return 100.0 * (volume0 - volume) / volume0


def patient_improvement(patients: VirtualPatients, protocol: Protocol | ProtocolDose, *, days: Sequence[float],
                        population: Population, params: ModelParameters | None = None) -> NDArray[np.float64]:
    """Improvement (%) of each patient's total scar volume on each report day, shape (P, n_days).

    Day-0 volume is the baseline, so ``days`` should start at 0 (it is added if missing and dropped).
    """
    d = sorted({0.0, *(float(x) for x in days)})
    vol = scar_volumes(patients, protocol, days=d, population=population, params=params)
    total = np.zeros((patients.n, len(d)))
    np.add.at(total, patients.scar_patient, vol)
    imp = improvement_pct(total[:, :1], total)
    keep = [d.index(float(x)) for x in days]
    return imp[:, keep]


def simulate_block(start: int, stop: int, *, seed: int, protocols: Sequence[str], months: Sequence[float],
                   population: Population | None = None) -> dict[str, NDArray]:
    """One chunk of a cohort run: long-format columns (one row per patient, protocol and month).

    Pure function of its arguments (patients come from their own seeded streams), so any worker
    gives the same numbers.
    """
    pop = population or Population()
    pts = draw_patients(start, stop, seed=seed)
    days = months_to_days(months)
    n_scars = np.bincount(pts.scar_patient, minlength=pts.n)
    vol0 = np.zeros(pts.n)
    cols: dict[str, list] = {k: [] for k in ("patient_id", "age_years", "fitzpatrick", "n_scars", "volume0_mm3",
                                             "protocol", "month", "improvement_pct")}
    for name in protocols:
        prot = get_protocol(name)
        imp = patient_improvement(pts, prot, days=days, population=pop)
        if not vol0.any():
            v = scar_volumes(pts, prot, days=[0.0], population=pop)[:, 0]
            np.add.at(vol0, pts.scar_patient, v)
        for j, m in enumerate(months):
            cols["patient_id"].append(pts.patient_id)
            cols["age_years"].append(pts.age_years)
            cols["fitzpatrick"].append(pts.fitzpatrick)
            cols["n_scars"].append(n_scars)
            cols["volume0_mm3"].append(vol0)
            cols["protocol"].append(np.full(pts.n, name, dtype=object))
            cols["month"].append(np.full(pts.n, float(m)))
            cols["improvement_pct"].append(imp[:, j])
    return {k: np.concatenate(v) if v else np.empty(0) for k, v in cols.items()}
