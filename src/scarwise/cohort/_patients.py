"""Virtual patients: demographics, scar burden and per-patient model parameters.

Every patient is drawn from its own random stream, ``SeedSequence(seed, spawn_key=(index,))`` (the
``index``-th child of ``SeedSequence(seed)``), so a patient is the same whatever chunk or worker
draws it. Distributions (all documented here; UNVERIFIED ones must not be relied on as facts):

* age (years): normal, mean 27, SD 7, truncated to 16..60 -- ours, UNVERIFIED for a Saudi clinic.
  Close to the one acne-scar series found (2026-11-25): 150 atrophic-acne-scar patients at the
  National Hospital of Dermatology and Venereology, mean age 26.5 +- 6.3 years (abstract at
  https://artboulevard.org/items/402540; country not stated there, not a Saudi population). Saudi
  dermatology clinics in general: mean 25.3 years, Qassim, n = 3051 (https://pmc.ncbi.nlm.nih.gov/articles/PMC2994160);
  mean 35 years, Jeddah, n = 1244 (https://pmc.ncbi.nlm.nih.gov/articles/PMC6464678). Not changed
  to 26.5/6.3: not a Saudi population, and the stored calibration (``data/posterior.json``, ABC
  through simulated trials of these patients) was computed with this draw;
* Fitzpatrick type I..VI: 0, 5, 35, 45, 13, 2 % -- ours for a Saudi clinic population, UNVERIFIED
  (reference/clinical-evidence.md cites Saudi cohorts of types III-V but gives no distribution; a
  search on 2026-11-25 for Fitzpatrick-type distributions in Saudi dermatology clinics, acne and
  acne-scar surveys (Riyadh, Jeddah, Qassim) and sun-exposure/vitamin-D surveys found none);
  skin type does not enter the volume model (it is kept for subgroup reporting and pigment risk);
* scars per patient: 1 + Poisson(3), at most 12 -- ours, UNVERIFIED;
* scar type: icepick 60 %, boxcar 25 %, rolling 15 % (Jacob et al. 2001 proportions 60-70/20-30/15-25 %,
  as commonly cited; UNVERIFIED here); width and depth uniform in the ranges of
  :data:`scarwise.surface.synthetic.WIDTH_RANGE_MM` / ``DEPTH_RANGE_MM`` (Jacob 2001 via Fabbrocini 2010);
* model parameters: per patient, a log-normal multiplier ``exp(mu + sigma z)`` on each rate of
  :data:`PARAMETERS` (priors ``mu = 0`` and :data:`PRIOR_SIGMA`, ours, UNVERIFIED; calibration fits
  ``mu``), and collagen synthesis falls by :data:`AGE_SLOPE_PER_YEAR` per year of age after 30
  (ours, UNVERIFIED).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from scarwise.cohort._reduced import N_LEVELS, profile_levels
from scarwise.core.errors import InvalidParameterError
from scarwise.surface.synthetic import DEPTH_RANGE_MM, WIDTH_RANGE_MM

#: Calibrated per-patient multipliers and the rate each scales (``_reduced.RATE_NAMES``).
PARAMETERS: dict[str, str] = {
    "collagen_synthesis": "k_fill",
    "fibroblast_proliferation": "r_n",
    "device_response": "q_i",
    "agent_potency": "q_a",
}
#: Prior between-patient SD of each log multiplier (ours, UNVERIFIED).
PRIOR_SIGMA: dict[str, float] = {
    "collagen_synthesis": 0.3,
    "fibroblast_proliferation": 0.2,
    "device_response": 0.4,
    "agent_potency": 0.5,
}
AGE_SLOPE_PER_YEAR = 0.01
FITZPATRICK_PROBS = (0.0, 0.05, 0.35, 0.45, 0.13, 0.02)
SCAR_TYPES = ("icepick", "boxcar", "rolling")
SCAR_TYPE_PROBS = (0.60, 0.25, 0.15)
MAX_SCARS = 12
MAX_PATIENTS = 10_000_000


@dataclass(frozen=True, kw_only=True)
class Population:
    """Population hyperparameters: mean and SD of each log multiplier in :data:`PARAMETERS`."""

    mu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARAMETERS, 0.0))
    sigma: dict[str, float] = field(default_factory=lambda: dict(PRIOR_SIGMA))

    def __post_init__(self) -> None:
        for name, d in (("mu", self.mu), ("sigma", self.sigma)):
            if set(d) != set(PARAMETERS):
                raise InvalidParameterError(f"population {name} must give exactly {sorted(PARAMETERS)}")
        if any(not (s >= 0) for s in self.sigma.values()):
            raise InvalidParameterError("population sigma values must be >= 0")

    def with_mu(self, **mu: float) -> Population:
        """A copy with some means changed."""
        return Population(mu={**self.mu, **mu}, sigma=dict(self.sigma))


@dataclass(frozen=True, kw_only=True, eq=False)
class VirtualPatients:
    """A block of virtual patients (one row each) and their scars (one row each).

    ``z`` holds the standard-normal draws behind the multipliers, so the same patients can be
    re-used under other hyperparameters (:meth:`multipliers`).
    """

    patient_id: NDArray[np.int64]
    age_years: NDArray[np.float64]
    fitzpatrick: NDArray[np.int64]
    z: NDArray[np.float64]  # (P, len(PARAMETERS))
    scar_patient: NDArray[np.int64]  # row of the owning patient
    scar_type: NDArray[np.int64]  # index into SCAR_TYPES
    width_mm: NDArray[np.float64]
    depth_mm: NDArray[np.float64]

    @property
    def n(self) -> int:
        return int(self.patient_id.size)

    def multipliers(self, population: Population) -> NDArray[np.float64]:
        """Per-patient multipliers (P, len(PARAMETERS)), age effect included on collagen synthesis."""
        mu = np.array([population.mu[k] for k in PARAMETERS])
        sd = np.array([population.sigma[k] for k in PARAMETERS])
        m = np.exp(mu + sd * self.z)
        m[:, 0] *= np.exp(-AGE_SLOPE_PER_YEAR * np.maximum(self.age_years - 30.0, 0.0))
        return m


def patient_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of patient ``index`` (independent of chunking and workers)."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index),)))


def draw_patients(start: int, stop: int, *, seed: int) -> VirtualPatients:
    """Draw patients ``start .. stop-1`` of the cohort with this seed (see the module doc)."""
    if not (0 <= start <= stop <= MAX_PATIENTS):
        raise InvalidParameterError(f"patient range must satisfy 0 <= start <= stop <= {MAX_PATIENTS}, "
                                    f"got {start}..{stop}")
    if int(seed) < 0:
        raise InvalidParameterError(f"seed must be >= 0, got {seed}")
    n = stop - start
    age = np.empty(n)
    fitz = np.empty(n, dtype=np.int64)
    z = np.empty((n, len(PARAMETERS)))
    owner, types, widths, depths = [], [], [], []
    lo_w = np.array([WIDTH_RANGE_MM[t][0] for t in SCAR_TYPES])
    hi_w = np.array([WIDTH_RANGE_MM[t][1] for t in SCAR_TYPES])
    lo_d = np.array([DEPTH_RANGE_MM[t][0] for t in SCAR_TYPES])
    hi_d = np.array([DEPTH_RANGE_MM[t][1] for t in SCAR_TYPES])
    for row in range(n):
        rng = patient_rng(seed, start + row)
        a = rng.normal(27.0, 7.0)
        while not 16.0 <= a <= 60.0:
            a = rng.normal(27.0, 7.0)
        age[row] = a
        fitz[row] = 1 + rng.choice(6, p=FITZPATRICK_PROBS)
        z[row] = rng.standard_normal(len(PARAMETERS))
        k = min(1 + rng.poisson(3.0), MAX_SCARS)
        t = rng.choice(3, size=k, p=SCAR_TYPE_PROBS)
        u = rng.random((2, k))
        owner.append(np.full(k, row))
        types.append(t)
        widths.append(lo_w[t] + u[0] * (hi_w[t] - lo_w[t]))
        depths.append(lo_d[t] + u[1] * (hi_d[t] - lo_d[t]))
    def cat(xs, dt):
        return (np.concatenate(xs).astype(dt) if xs else np.empty(0, dtype=dt))
    return VirtualPatients(patient_id=np.arange(start, stop, dtype=np.int64), age_years=age, fitzpatrick=fitz, z=z,
                           scar_patient=cat(owner, np.int64), scar_type=cat(types, np.int64),
                           width_mm=cat(widths, np.float64), depth_mm=cat(depths, np.float64))


_UNIT_LEVELS = {t: profile_levels(t, width_mm=1.0, depth_mm=1.0, n_levels=N_LEVELS) for t in SCAR_TYPES}


def scar_levels(patients: VirtualPatients) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64],
                                                     NDArray[np.int64], NDArray[np.float64]]:
    """Depth levels of every scar: (owner patient row, depth mm, area mm^2, scar row, radius mm).

    Profiles scale exactly: depth with the scar depth, area with the width squared.
    """
    nd = np.stack([_UNIT_LEVELS[t][0] for t in SCAR_TYPES])  # (3, K)
    na = np.stack([_UNIT_LEVELS[t][1] for t in SCAR_TYPES])
    t = patients.scar_type
    depth = (nd[t] * patients.depth_mm[:, None]).ravel()
    area = (na[t] * patients.width_mm[:, None] ** 2).ravel()
    scar_row = np.repeat(np.arange(t.size), N_LEVELS)
    return (patients.scar_patient[scar_row], depth, area, scar_row, patients.width_mm[scar_row] / 2.0)
