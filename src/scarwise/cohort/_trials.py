"""Simulated trials: the design of a study in the evidence table, run on a virtual cohort.

Only outcomes the model computes are simulated: ``3d_volume`` (percent reduction of scar volume).
Scores (ECCA, Goodman & Baron, global grades) are clinicians' ratings with no defined mapping from
volume, so studies reporting only those cannot be compared with the model on the same terms. In
particular ``scarwise.surface.grading`` computes ECCA and Goodman & Baron from scar *counts* per type
(count grades 0 / < 5 / 5-20 / > 20, or multipliers 1-10 / 11-20 / > 20): a simulated scar that gets
shallower but stays visible changes neither score, so an ECCA change (kwon2020's 32.5% vs 19.9%) would
need a threshold at which a filled scar stops being counted -- a number no source gives (it would be
invented), and the scale constants themselves are UNVERIFIED. Such studies are not simulated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scarwise.cohort._patients import Population, draw_patients
from scarwise.cohort._simulate import patient_improvement
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy import get_protocol

#: Outcome scales the model computes (percent reduction of total scar volume).
MODEL_OUTCOMES = ("3d_volume",)


@dataclass(frozen=True, kw_only=True)
class TrialDesign:
    """Arms, sessions, follow-up and size of one study, in protocol-catalogue terms.

    ``paired`` trials (split-face) give both arms to every patient; the effect is the mean
    within-patient difference of percent volume reduction (treatment minus control, points).
    """

    study_id: str
    treatment: str
    control: str
    sessions: int | None
    follow_up_days: float
    n: int
    outcome: str = "3d_volume"
    paired: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in MODEL_OUTCOMES:
            raise InvalidParameterError(f"outcome {self.outcome!r} is not computed by the model; "
                                        f"simulated trials support {MODEL_OUTCOMES}")
        if not (isinstance(self.n, int) and 2 <= self.n <= 100_000):
            raise InvalidParameterError(f"trial size n must be 2..100000, got {self.n!r}")
        if not 0 < self.follow_up_days <= 3650:
            raise InvalidParameterError(f"follow_up_days must be in (0, 3650], got {self.follow_up_days}")


@dataclass(frozen=True, kw_only=True)
class ReportedArms:
    """Arm means as a study reports them (percent volume reduction), copied from ``studies.csv``."""

    treatment_pct: float
    control_pct: float
    text: str  # the words of the ``reported`` column they come from


#: Studies of the packaged evidence table whose design the model can reproduce.
#: park2019 (verified): FCL 1 session on both cheeks, conditioned medium vs saline on one, 2 months, n = 15.
STUDY_DESIGNS: dict[str, TrialDesign] = {
    "park2019": TrialDesign(study_id="park2019", treatment="fractional_co2+conditioned_medium",
                            control="fractional_co2", sessions=1, follow_up_days=61.0, n=15, paired=True,
                            note="split cheeks; CM topical after the laser; outcome Antera 3D scar volume"),
}
REPORTED: dict[str, ReportedArms] = {
    "park2019": ReportedArms(treatment_pct=23.5, control_pct=15.0, text="scar volume -23.5% (CM) vs -15.0% (control)"),
}


@dataclass(frozen=True, kw_only=True)
class TrialOutcome:
    """One simulated trial: arm means (percent reduction) and the effect with its sampling variance."""

    study_id: str
    mean_treatment_pct: float
    mean_control_pct: float
    yi: float  # treatment minus control, percentage points
    vi: float


def trial_seed(seed: int, study_id: str, replicate: int = 0) -> int:
    """Seed of a trial's virtual patients: from the run seed, the study id and the replicate number."""
    h = int.from_bytes(hashlib.sha256(study_id.encode()).digest()[:4], "little")
    ss = np.random.SeedSequence(int(seed), spawn_key=(h, int(replicate)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def simulate_trial(design: TrialDesign, population: Population, *, seed: int, replicate: int = 0) -> TrialOutcome:
    """Run ``design`` on ``design.n`` virtual patients drawn for this study and replicate.

    Parallel (unpaired) designs draw a second, independent group for the control arm.
    """
    days = [design.follow_up_days]
    treat = get_protocol(design.treatment)
    ctrl = get_protocol(design.control)
    if design.sessions is not None:
        treat = treat.with_schedule(sessions=design.sessions)
        ctrl = ctrl.with_schedule(sessions=design.sessions) if ctrl.sessions else ctrl
    s = trial_seed(seed, design.study_id, replicate)
    pts = draw_patients(0, design.n, seed=s)
    a = patient_improvement(pts, treat, days=days, population=population)[:, 0]
    if design.paired:
        b = patient_improvement(pts, ctrl, days=days, population=population)[:, 0]
        diff = a - b
        vi = float(diff.var(ddof=1) / design.n)
    else:
        pts2 = draw_patients(design.n, 2 * design.n, seed=s)
        b = patient_improvement(pts2, ctrl, days=days, population=population)[:, 0]
        vi = float(a.var(ddof=1) / design.n + b.var(ddof=1) / design.n)
    return TrialOutcome(study_id=design.study_id, mean_treatment_pct=float(a.mean()),
                        mean_control_pct=float(b.mean()), yi=float(a.mean() - b.mean()), vi=max(vi, 1e-12))


def held_back_check(study_id: str, *, population: Population | None = None,
                    populations: Sequence[Population] | None = None, seed: int = 0, replicates: int = 200,
                    level: float = 0.9, table: Any = None, used_in_fit: Sequence[str] = ()) -> dict:
    """Compare a study with the predictive interval of its simulated trial (its own n, sessions, follow-up).

    ``replicates`` trials of the study's design (new virtual patients each; replicate ``r`` uses
    ``populations[r % len]`` -- posterior draws -- or ``population``) give the interval of each arm's
    mean percent volume reduction, checked against the reported arm means. Where the evidence table
    (``table``, default the packaged one) gives the study's effect (``yi``, ``vi``, mean difference), the
    effect is checked too: simulated effects plus a normal error of the study's reported variance
    (virtual patients lack side-to-side and measurement variation, which that variance carries).
    A study in ``used_in_fit`` is reported as such: then it is not a held-back test.
    """
    if study_id not in STUDY_DESIGNS or study_id not in REPORTED:
        raise InvalidParameterError(f"no trial design with reported arms for {study_id!r}; "
                                    f"known: {sorted(set(STUDY_DESIGNS) & set(REPORTED))}")
    if not 10 <= replicates <= 100_000:
        raise InvalidParameterError(f"replicates must be 10..100000, got {replicates}")
    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level}")
    design, rep = STUDY_DESIGNS[study_id], REPORTED[study_id]
    pops = list(populations) if populations else [population or Population()]
    sims = [simulate_trial(design, pops[r % len(pops)], seed=seed, replicate=r) for r in range(replicates)]
    tail = 50.0 * (1.0 - level)
    out: dict[str, Any] = {
        "study": study_id, "held_back": study_id not in set(used_in_fit),
        "design": {"treatment": design.treatment, "control": design.control, "sessions": design.sessions,
                   "follow_up_days": design.follow_up_days, "n": design.n, "note": design.note},
        "level": level, "replicates": replicates, "population_draws": len(pops), "arms": {}}
    if not out["held_back"]:
        out["note"] = "this study was used in the fit: not a held-back test"
    for arm, reported, values in (("treatment", rep.treatment_pct, [s.mean_treatment_pct for s in sims]),
                                  ("control", rep.control_pct, [s.mean_control_pct for s in sims])):
        lo, med, hi = np.percentile(values, [tail, 50.0, 100.0 - tail])
        out["arms"][arm] = {"reported_pct": reported, "predicted_median_pct": float(med),
                            "predicted_interval_pct": [float(lo), float(hi)], "within": bool(lo <= reported <= hi),
                            "note": "arm means have no reported SE: interval is the model's trial noise only"}
    if table is None:
        from scarwise.evidence import load_studies

        table = load_studies()
    row = next((s for s in table.studies if s.id == study_id), None)
    if row is not None and row.effect_measure in ("MD", "MD_PAIRED", "GEN") and row.yi is not None:
        y = np.array([s.yi for s in sims])
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0x0B5, 1)))
        y_obs = y + rng.normal(0.0, np.sqrt(row.vi), size=y.size)
        lo, med, hi = np.percentile(y_obs, [tail, 50.0, 100.0 - tail])
        out["effect"] = {"reported": float(row.yi), "reported_se": float(np.sqrt(row.vi)),
                         "effect_source": row.effect_source, "simulated_median": float(np.median(y)),
                         "model_interval": np.percentile(y, [tail, 100.0 - tail]).tolist(),
                         "predicted_interval": [float(lo), float(hi)], "within": bool(lo <= row.yi <= hi)}
    return out
