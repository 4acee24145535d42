"""Calibration to pooled evidence by ABC rejection, and Sobol sensitivity (SALib).

Method (our own, on numpy; pyabc is not used): parameters ``theta`` are the population means
``mu`` of chosen log multipliers (:data:`PARAMETERS`); prior ``theta ~ U(-PRIOR_HALF_WIDTH, +...)``
each, the SDs stay at their priors. For each of ``n_draws`` prior draws every target's studies are
re-run as simulated trials (:func:`simulate_trial`, same designs and sizes), each draw on its own
virtual patients; the simulated study effects are pooled with the observed study weights, and the
distance is ``sum_targets ((pooled_sim - pooled_obs) / se_obs)^2``. The ``accept`` share of draws
with the smallest distance is the posterior sample. Draws run as Dask tasks when a client is given;
``theta`` is drawn in the caller from ``seed``, so the posterior does not depend on the workers.

Targets come only from verified studies of the evidence table that carry an effect (``yi``, ``vi``) on
an outcome the model computes (``3d_volume``, a mean difference in percentage points) and whose design is
known (:data:`STUDY_DESIGNS`). Two or more such studies of a protocol are pooled (REML); a single one is
used as it is and labelled "single study (k = 1), not a pooled effect". Whatever is missing is reported as
the reason a protocol stays uncalibrated; nothing is invented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.cohort._patients import PARAMETERS, PRIOR_SIGMA, Population
from scarwise.cohort._trials import (
    MODEL_OUTCOMES,
    REPORTED,
    STUDY_DESIGNS,
    TrialDesign,
    held_back_check,
    simulate_trial,
)
from scarwise.core.errors import InvalidParameterError
from scarwise.evidence import EvidenceTable, meta_analysis
from scarwise.therapy import load_protocols

PRIOR_HALF_WIDTH = 1.5
METHOD = ("ABC rejection (scarwise, numpy): uniform prior on log-multiplier means, "
          "accept the nearest share")
#: Evidence treatment key(s) of each protocol-name part.
_TREATMENT_OF = {"svf_nanofat": "svf"}
#: Effect measures accepted on ``3d_volume``: treatment minus control in percentage points of volume
#: reduction, the simulated scale. The table's 3D-volume rows report percent changes; a difference of
#: percent changes is stored as GEN (so it never pools with raw-volume MDs), MD/MD_PAIRED where a study
#: itself reports the difference of percent changes as its mean difference.
_MODEL_MEASURES = ("MD", "MD_PAIRED", "GEN")
SINGLE = "single study (k = 1), not a pooled effect"


@dataclass(frozen=True, kw_only=True)
class CalibrationTarget:
    """A verified pooled effect and the designs of the studies in it."""

    name: str  # "<treatment>/<outcome>"
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    designs: tuple[TrialDesign, ...]
    vi: tuple[float, ...]  # observed sampling variances (weights of the simulated pooling)
    kind: str = "pooled (REML)"  # or SINGLE
    derived_by_assumption: tuple[str, ...] = ()  # studies whose yi/vi rest on a stated assumption

    @property
    def k(self) -> int:
        return len(self.designs)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "k": self.k, "studies": [d.study_id for d in self.designs],
                "estimate": self.estimate, "se": self.se, "ci": [self.ci_low, self.ci_high], "tau2": self.tau2,
                "derived_by_assumption": list(self.derived_by_assumption)}


@dataclass(frozen=True, kw_only=True)
class ProtocolStatus:
    """Whether a protocol's predictions rest on calibrated parameters, and why not."""

    protocol: str
    calibrated: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "calibrated": self.calibrated, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class Posterior:
    """Accepted parameter draws (``mu`` of the named multipliers) and what they were fitted to."""

    parameters: tuple[str, ...]
    samples: NDArray[np.float64]  # (n_accept, n_parameters)
    distances: NDArray[np.float64]
    simulated: NDArray[np.float64]  # (n_accept, n_targets) simulated pooled effects
    targets: tuple[CalibrationTarget, ...]
    evidence_version: str
    method: str = METHOD
    extra: dict[str, Any] = field(default_factory=dict)

    def population(self, index: int) -> Population:
        return Population().with_mu(**dict(zip(self.parameters, map(float, self.samples[index]), strict=True)))

    def coverage(self) -> list[dict[str, Any]]:
        """Per target: posterior-predictive median, whether it falls inside the target's CI, and how far it
        lies from the estimate in SEs (``z``); ``ci_includes_zero`` says when "inside" would hold for no effect."""
        out = []
        for j, t in enumerate(self.targets):
            med = float(np.median(self.simulated[:, j]))
            out.append({"target": t.name, "kind": t.kind, "k": t.k, "studies": [d.study_id for d in t.designs],
                        "estimate": t.estimate, "ci": [t.ci_low, t.ci_high], "simulated_median": med,
                        "simulated_p05_p95": np.percentile(self.simulated[:, j], [5, 95]).tolist(),
                        "within_ci": bool(t.ci_low <= med <= t.ci_high), "z": (med - t.estimate) / t.se,
                        "ci_includes_zero": bool(t.ci_low <= 0.0 <= t.ci_high)})
        return out

    def at_prior_edge(self) -> dict[str, bool]:
        """Per parameter: whether the accepted draws pile up in the outer 10% of the prior (fit limited by it)."""
        edge = 0.8 * PRIOR_HALF_WIDTH
        return {p: bool(np.median(np.abs(self.samples[:, j])) > edge) for j, p in enumerate(self.parameters)}


def _protocol_treatment(protocol: str) -> str:
    first = protocol.split("+")[-1] if "+" in protocol else protocol
    return _TREATMENT_OF.get(first, first)


def evidence_targets(table: EvidenceTable, *, designs: Mapping[str, TrialDesign] | None = None,
                     protocols: Sequence[str] | None = None) -> tuple[list[CalibrationTarget], list[ProtocolStatus]]:
    """Targets usable for calibration and, per protocol, the calibration status with its reason.

    A protocol's studies: verified, with an effect on a model outcome (mean difference), tagged with the
    protocol's treatment and with a known design whose treatment arm is this protocol. k >= 2 are pooled
    (REML); k = 1 is a single-study target, labelled as such.
    """
    designs = dict(STUDY_DESIGNS if designs is None else designs)
    names = list(protocols) if protocols is not None else sorted(load_protocols())
    targets: dict[str, CalibrationTarget] = {}
    status = []
    for proto in names:
        if proto == "none":
            status.append(ProtocolStatus(protocol=proto, calibrated=False,
                                         reason="untreated course: the model has no spontaneous remodelling "
                                                "(0% change by construction); natural course not fitted to evidence"))
            continue
        treatment = _protocol_treatment(proto)
        tagged = table.filter(treatment=treatment)
        reasons = []
        other = [f"{s.id} ({s.outcome_scale})" for s in tagged if s.effect_measure and s.verified
                 and s.outcome_scale not in MODEL_OUTCOMES]
        if other:
            reasons.append(f"effects on scales the model does not compute: {', '.join(other)}")
        for outcome in MODEL_OUTCOMES:
            rows = [s for s in tagged if s.outcome_scale == outcome]
            usable = [s for s in rows if s.verified and s.effect_measure in _MODEL_MEASURES]
            chosen = [s for s in usable if s.id in designs and designs[s.id].treatment == proto]
            if not chosen:
                why = [f"{s.id}: " + ("unverified" if not s.verified else "no mean-difference effect"
                                      if s not in usable else "no simulated-trial design" if s.id not in designs
                                      else f"compares {designs[s.id].treatment} with {designs[s.id].control}")
                       for s in rows]
                reasons.append(f"{treatment}/{outcome}: no verified mean-difference effect with a design for "
                               f"protocol {proto}" + (f" ({'; '.join(why)})" if why else ""))
                continue
            vi = tuple(float(s.vi) for s in chosen)
            if len(chosen) == 1:
                est, se, tau2, kind = float(chosen[0].yi), float(np.sqrt(vi[0])), 0.0, SINGLE
                lo, hi = est - 1.959963984540054 * se, est + 1.959963984540054 * se
            else:
                r = meta_analysis([s.yi for s in chosen], list(vi), method="REML")
                est, se, tau2, lo, hi, kind = (float(r.estimate), float(r.se), float(r.tau2), float(r.ci_lb),
                                               float(r.ci_ub), f"pooled (REML, k = {len(chosen)})")
            name = f"{treatment}/{outcome}"
            targets[name] = CalibrationTarget(
                name=name, estimate=est, se=se, ci_low=lo, ci_high=hi, tau2=tau2, vi=vi, kind=kind,
                designs=tuple(designs[s.id] for s in chosen),
                derived_by_assumption=tuple(s.id for s in chosen if s.effect_source == "derived_by_assumption"))
        mine = [t for n, t in targets.items() if n.startswith(treatment + "/") and t.designs[0].treatment == proto]
        status.append(ProtocolStatus(
            protocol=proto, calibrated=bool(mine),
            reason=("fitted to " + "; ".join(f"{t.name}: {t.kind} ({', '.join(d.study_id for d in t.designs)}; "
                                             f"{t.estimate:.1f} points, 95% CI {t.ci_low:.1f} to {t.ci_high:.1f})"
                                             for t in mine))
            if mine else "; ".join(reasons) or "no model outcome"))
    return list(targets.values()), status


def identifiable_parameters(targets: Sequence[CalibrationTarget]) -> tuple[str, ...]:
    """Parameters a set of targets can inform: those acting on what differs between the arms.

    An agent in the treatment arm only -> ``agent_potency``; a device in the treatment arm only ->
    ``device_response``. (Collagen synthesis and proliferation act on both arms of a comparison.)
    """
    from scarwise.therapy import get_protocol

    out: list[str] = []
    for t in targets:
        for d in t.designs:
            tr, co = get_protocol(d.treatment), get_protocol(d.control)
            if tr.agent is not None and (co.agent is None or co.agent.product.name != tr.agent.product.name):
                out.append("agent_potency")
            if {x.name for x in tr.devices} - {x.name for x in co.devices}:
                out.append("device_response")
    return tuple(dict.fromkeys(out))


def _simulate_targets(theta: NDArray[np.float64], parameters: Sequence[str], targets: Sequence[CalibrationTarget],
                      seed: int, first_draw: int) -> NDArray[np.float64]:
    """Simulated pooled effect of each target for each row of ``theta`` (rows, targets).

    Draw ``first_draw + r`` runs its trials on its own virtual patients (replicate number), so the
    sampling noise of trials of this size is part of the fit; it never depends on the worker.
    """
    out = np.empty((theta.shape[0], len(targets)))
    for r, th in enumerate(theta):
        pop = Population().with_mu(**dict(zip(parameters, map(float, th), strict=True)))
        for j, t in enumerate(targets):
            y = np.array([simulate_trial(d, pop, seed=seed, replicate=first_draw + r).yi for d in t.designs])
            w = 1.0 / (np.asarray(t.vi) + t.tau2)
            out[r, j] = float((w * y).sum() / w.sum())
    return out


def calibrate(targets: Sequence[CalibrationTarget], *, evidence_version: str,
              parameters: Sequence[str] = ("device_response",), n_draws: int = 400, accept: float = 0.1,
              seed: int = 0, client: Any = None, draws_per_task: int = 20) -> Posterior:
    """ABC rejection fit of the population means ``mu`` of ``parameters`` to ``targets``.

    Raises
    ------
    InvalidParameterError
        No targets (nothing verified to fit to), an unknown parameter, or bad sizes.
    """
    if not targets:
        raise InvalidParameterError("no verified pooled effect to calibrate to; predictions stay uncalibrated")
    unknown = [p for p in parameters if p not in PARAMETERS]
    if unknown or not parameters:
        raise InvalidParameterError(f"calibrated parameters must be among {sorted(PARAMETERS)}, got {list(parameters)}")
    if not (10 <= n_draws <= 1_000_000) or not (0 < accept <= 1):
        raise InvalidParameterError("n_draws must be 10..1e6 and accept in (0, 1]")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0xABC,)))
    theta = rng.uniform(-PRIOR_HALF_WIDTH, PRIOR_HALF_WIDTH, size=(n_draws, len(parameters)))
    starts = range(0, n_draws, draws_per_task)
    if client is None:
        sims = [_simulate_targets(theta[i:i + draws_per_task], parameters, targets, seed, i) for i in starts]
    else:
        futures = [client.submit(_simulate_targets, theta[i:i + draws_per_task], list(parameters), list(targets),
                                 seed, i, pure=False) for i in starts]
        sims = client.gather(futures)
    sim = np.concatenate(sims)
    est = np.array([t.estimate for t in targets])
    se = np.array([t.se for t in targets])
    dist = (((sim - est) / se) ** 2).sum(axis=1)
    k = max(1, int(round(accept * n_draws)))
    keep = np.argsort(dist, kind="stable")[:k]
    return Posterior(parameters=tuple(parameters), samples=theta[keep], distances=dist[keep], simulated=sim[keep],
                     targets=tuple(targets), evidence_version=evidence_version,
                     extra={"n_draws": n_draws, "accept": accept, "n_accepted": k, "seed": seed,
                            "parameters": list(parameters),
                            "prior": f"U(-{PRIOR_HALF_WIDTH}, {PRIOR_HALF_WIDTH}) on each log-multiplier mean"})


def predictive_interval(posterior: Posterior, design: TrialDesign, *, seed: int, level: float = 0.9,
                        replicates: int = 5,
                        observed_vi: float | None = None) -> tuple[float, float, NDArray[np.float64]]:
    """Posterior-predictive interval of a (held-back) study's effect: new trials per posterior draw.

    Each draw runs ``replicates`` trials of ``design`` on new virtual patients (the model's trial
    sampling noise). With ``observed_vi`` (the study's reported sampling variance) a normal error of
    that variance is added to every simulated effect: virtual patients have no side-to-side or
    measurement variation, which the reported variance carries, so an interval for the observed
    estimate needs it.
    """
    ys = []
    for i in range(posterior.samples.shape[0]):
        for r in range(replicates):
            ys.append(simulate_trial(design, posterior.population(i), seed=seed,
                                     replicate=10_000_000 + i * replicates + r).yi)
    y = np.array(ys)
    if observed_vi is not None:
        if not observed_vi > 0:
            raise InvalidParameterError(f"observed_vi must be > 0, got {observed_vi}")
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0x0B5,)))
        y = y + rng.normal(0.0, np.sqrt(observed_vi), size=y.size)
    lo, hi = np.percentile(y, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(lo), float(hi), y


PRIOR_LABEL = "prior (uncalibrated; nothing fitted)"
POSTERIOR_LABEL = "calibrated posterior"


def study_checks(table: EvidenceTable, posterior: Posterior | None, *, seed: int = 0,
                 replicates: int = 200) -> list[dict[str, Any]]:
    """Every study with a known design against its predictive interval: under the prior, and under the
    posterior where the study's treatment protocol was fitted (then ``held_back`` says whether the
    study was one of the fitted ones)."""
    fit_studies = sorted({d.study_id for t in posterior.targets for d in t.designs}) if posterior else []
    fitted_protocols = {d.treatment for t in posterior.targets for d in t.designs} if posterior else set()
    out = []
    for sid in sorted(set(STUDY_DESIGNS) & set(REPORTED)):
        res = held_back_check(sid, seed=seed, replicates=replicates, table=table)
        out.append({**res, "population": PRIOR_LABEL})
        if posterior is not None and STUDY_DESIGNS[sid].treatment in fitted_protocols:
            pops = [posterior.population(i) for i in range(posterior.samples.shape[0])]
            res = held_back_check(sid, populations=pops, seed=seed, replicates=replicates, table=table,
                                  used_in_fit=fit_studies)
            out.append({**res, "population": POSTERIOR_LABEL})
    return out


def check_with_calibration(study_id: str, calibration: Mapping[str, Any], *, seed: int = 0,
                           replicates: int = 200) -> dict[str, Any]:
    """:func:`held_back_check` under a stored calibration (``posterior.json``) where it covers the study."""
    if study_id not in STUDY_DESIGNS:
        raise InvalidParameterError(f"no trial design for {study_id!r}; known: {sorted(STUDY_DESIGNS)}")
    entry = calibration.get("protocols", {}).get(STUDY_DESIGNS[study_id].treatment, {})
    used = [s for t in calibration.get("targets", []) for s in t.get("studies", [])]
    if entry.get("calibrated") and entry.get("mu_samples"):
        pops = [Population().with_mu(**dict(zip(entry["parameters"], map(float, row), strict=True)))
                for row in entry["mu_samples"]]
        res = held_back_check(study_id, populations=pops, seed=seed, replicates=replicates, used_in_fit=used)
        return {**res, "population": f"{POSTERIOR_LABEL} (evidence {calibration.get('evidence_version')})"}
    return {**held_back_check(study_id, seed=seed, replicates=replicates), "population": PRIOR_LABEL}


def sobol_indices(protocol: str, *, month: float = 6.0, n_base: int = 256, seed: int = 0,
                  scar: tuple[str, float, float] = ("boxcar", 2.5, 0.35)) -> dict[str, dict[str, float]]:
    """First-order and total Sobol indices (SALib, Saltelli sampling) of one scar's improvement.

    Inputs: the log multipliers of :data:`PARAMETERS`, each ``U(-2 sigma, +2 sigma)`` of its prior SD;
    output: percent volume reduction of ``scar`` (type, width mm, depth mm) at ``month`` under ``protocol``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    from scarwise.cohort._patients import PRIOR_SIGMA, VirtualPatients
    from scarwise.cohort._simulate import patient_improvement

    names = list(PARAMETERS)
    bounds = [[-2 * PRIOR_SIGMA[k], 2 * PRIOR_SIGMA[k]] for k in names]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    x = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    types = {"icepick": 0, "boxcar": 1, "rolling": 2}
    n = x.shape[0]
    pts = VirtualPatients(patient_id=np.arange(n), age_years=np.full(n, 30.0), fitzpatrick=np.full(n, 4),
                          z=x / np.array([PRIOR_SIGMA[k] for k in names]), scar_patient=np.arange(n),
                          scar_type=np.full(n, types[scar[0]]), width_mm=np.full(n, scar[1]),
                          depth_mm=np.full(n, scar[2]))
    from scarwise.cohort._simulate import months_to_days
    from scarwise.therapy import get_protocol

    y = patient_improvement(pts, get_protocol(protocol), days=months_to_days([month]), population=Population())[:, 0]
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return {k: {"S1": float(res["S1"][i]), "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])}
            for i, k in enumerate(names)}


def calibration_record(status: Sequence[ProtocolStatus], *, evidence_version: str,
                       posterior: Posterior | None = None, held_back: Sequence[dict[str, Any]] = (),
                       settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON stored in ``cohort/data/posterior.json`` and read by predictions.

    Protocols whose targets were fitted carry the accepted ``mu`` samples and say what they were fitted
    to (pooled, or a single study) and whether the prior limited the fit; the others say why not.
    ``held_back`` holds the checks of studies not used in the fit (:func:`held_back_check`).
    """
    fitted = {t.name.split("/")[0] for t in posterior.targets} if posterior is not None else set()
    edge = [p for p, hit in posterior.at_prior_edge().items() if hit] if posterior is not None else []
    protocols = {}
    for st in status:
        entry: dict[str, Any] = st.to_json()
        entry.pop("protocol")
        if posterior is not None and st.calibrated and _protocol_treatment(st.protocol) in fitted:
            entry["parameters"] = list(posterior.parameters)
            entry["mu_samples"] = posterior.samples.round(6).tolist()
            if edge:
                entry["reason"] += (f"; fit limited by the prior: accepted {', '.join(edge)} at the edge of "
                                    f"U(-{PRIOR_HALF_WIDTH}, {PRIOR_HALF_WIDTH})")
        else:
            entry["calibrated"] = False
        protocols[st.protocol] = entry
    calibrated = [k for k, v in protocols.items() if v["calibrated"]]
    singles = [t.name for t in posterior.targets if t.kind == SINGLE] if posterior is not None else []
    note = (f"calibrated protocols: {', '.join(calibrated)}"
            + (f" (to a single study, k = 1, not a pooled effect: {', '.join(singles)})" if singles else "")
            if calibrated else
            "no protocol is calibrated: the verified evidence holds no effect on an outcome the model "
            "computes (3D scar volume); per-patient parameters use their uncalibrated priors (ours, UNVERIFIED)")
    return {"format": 1, "evidence_version": evidence_version, "method": METHOD, "note": note,
            "prior_sigma": dict(PRIOR_SIGMA), "protocols": protocols,
            "targets": [t.to_json() for t in posterior.targets] if posterior is not None else [],
            "coverage": posterior.coverage() if posterior is not None else [],
            "held_back": list(held_back),
            "abc": {**(posterior.extra if posterior is not None else {}), **(settings or {})}}
