"""Calibration to pooled evidence by ABC rejection, and Sobol sensitivity (SALib).

Method (our own, on numpy; pyabc is not used): parameters ``theta`` are the population means
``mu`` of chosen log multipliers (:data:`PARAMETERS`); prior ``theta ~ U(-PRIOR_HALF_WIDTH, +...)``
each, the SDs stay at their priors. For each of ``n_draws`` prior draws every target's studies are
re-run as simulated trials (:func:`simulate_trial`, same designs and sizes), each draw on its own
virtual patients; the simulated study effects are pooled with the observed study weights, and the
distance is ``sum_targets ((pooled_sim - pooled_obs) / se_obs)^2``. The ``accept`` share of draws
with the smallest distance is the posterior sample. Draws run as Dask tasks when a client is given;
``theta`` is drawn in the caller from ``seed``, so the posterior does not depend on the workers.

Targets come only from :func:`scarwise.evidence.pool_evidence` on verified studies (at least two
poolable studies with effect sizes, on an outcome the model computes, each with a known design).
Whatever is missing is reported as the reason a protocol stays uncalibrated; nothing is invented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.cohort._patients import PARAMETERS, PRIOR_SIGMA, Population
from scarwise.cohort._trials import MODEL_OUTCOMES, STUDY_DESIGNS, TrialDesign, simulate_trial
from scarwise.core.errors import InvalidParameterError, ScarwiseError
from scarwise.evidence import EvidenceTable, pool_evidence
from scarwise.therapy import load_protocols

PRIOR_HALF_WIDTH = 1.5
METHOD = ("ABC rejection (scarwise, numpy): uniform prior on log-multiplier means, "
          "accept the nearest share")
#: Evidence treatment key(s) of each protocol-name part.
_TREATMENT_OF = {"svf_nanofat": "svf"}


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
        """Per target: posterior-predictive median and whether it falls inside the target's CI."""
        out = []
        for j, t in enumerate(self.targets):
            med = float(np.median(self.simulated[:, j]))
            out.append({"target": t.name, "estimate": t.estimate, "ci": [t.ci_low, t.ci_high],
                        "simulated_median": med,
                        "simulated_p05_p95": np.percentile(self.simulated[:, j], [5, 95]).tolist(),
                        "within_ci": bool(t.ci_low <= med <= t.ci_high)})
        return out


def _protocol_treatment(protocol: str) -> str:
    first = protocol.split("+")[-1] if "+" in protocol else protocol
    return _TREATMENT_OF.get(first, first)


def evidence_targets(table: EvidenceTable, *, designs: Mapping[str, TrialDesign] | None = None,
                     protocols: Sequence[str] | None = None) -> tuple[list[CalibrationTarget], list[ProtocolStatus]]:
    """Targets usable for calibration and, per protocol, the calibration status with its reason."""
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
        reasons = []
        ok = False
        for outcome in MODEL_OUTCOMES:
            try:
                pooled = pool_evidence(table, treatment=treatment, outcome=outcome)
            except ScarwiseError as exc:
                reasons.append(f"{treatment}/{outcome}: {exc}")
                continue
            missing = [s for s in pooled.studies if s not in designs or designs[s].treatment != proto]
            if missing:
                reasons.append(f"{treatment}/{outcome}: no simulated-trial design for {', '.join(missing)}")
                continue
            r = pooled.result
            vi = tuple(float(s.vi) for s in table.studies if s.id in pooled.studies)
            targets[f"{treatment}/{outcome}"] = CalibrationTarget(
                name=f"{treatment}/{outcome}", estimate=float(r.estimate), se=float(r.se), ci_low=float(r.ci_lb),
                ci_high=float(r.ci_ub), tau2=float(r.tau2), designs=tuple(designs[s] for s in pooled.studies), vi=vi)
            ok = True
        status.append(ProtocolStatus(protocol=proto, calibrated=ok,
                                     reason="fitted to " + ", ".join(t for t in targets if t.startswith(treatment))
                                     if ok else "; ".join(reasons) or "no model outcome"))
    return list(targets.values()), status


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
                     extra={"n_draws": n_draws, "accept": accept, "seed": seed,
                            "prior": f"U(-{PRIOR_HALF_WIDTH}, {PRIOR_HALF_WIDTH}) on each log-multiplier mean"})


def predictive_interval(posterior: Posterior, design: TrialDesign, *, seed: int, level: float = 0.9,
                        replicates: int = 5) -> tuple[float, float, NDArray[np.float64]]:
    """Posterior-predictive interval of a (held-back) study's effect: one new trial per posterior draw."""
    ys = []
    for i in range(posterior.samples.shape[0]):
        for r in range(replicates):
            ys.append(simulate_trial(design, posterior.population(i), seed=seed,
                                     replicate=10_000_000 + i * replicates + r).yi)
    y = np.array(ys)
    lo, hi = np.percentile(y, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(lo), float(hi), y


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
                       posterior: Posterior | None = None) -> dict[str, Any]:
    """The JSON stored in ``cohort/data/posterior.json`` and read by predictions.

    Protocols whose targets were fitted carry the accepted ``mu`` samples; the others say why not.
    """
    fitted = {t.name.split("/")[0] for t in posterior.targets} if posterior is not None else set()
    protocols = {}
    for st in status:
        entry: dict[str, Any] = st.to_json()
        entry.pop("protocol")
        if posterior is not None and st.calibrated and _protocol_treatment(st.protocol) in fitted:
            entry["parameters"] = list(posterior.parameters)
            entry["mu_samples"] = posterior.samples.round(6).tolist()
        else:
            entry["calibrated"] = False
        protocols[st.protocol] = entry
    calibrated = [k for k, v in protocols.items() if v["calibrated"]]
    note = (f"calibrated protocols: {', '.join(calibrated)}" if calibrated else
            "no protocol is calibrated: the verified evidence holds no pooled effect on an outcome the model "
            "computes (3D scar volume); per-patient parameters use their uncalibrated priors (ours, UNVERIFIED)")
    return {"format": 1, "evidence_version": evidence_version, "method": METHOD, "note": note,
            "prior_sigma": dict(PRIOR_SIGMA), "protocols": protocols,
            "coverage": posterior.coverage() if posterior is not None else [],
            "abc": posterior.extra if posterior is not None else {}}
