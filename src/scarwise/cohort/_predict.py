"""Per-patient prediction: the distribution of improvement for this patient's scars, per protocol.

The patient's measured scars (depth levels of their own pixels) are simulated with the reduced model
for ``n_draws`` virtual twins whose parameter multipliers are drawn from the population distribution
(calibrated posterior where the evidence allowed one, priors otherwise). Quantiles of the twins'
improvement of total scar volume, and the share below 10 %, are the prediction. It is a model
prediction, labelled with its calibration status and the evidence version; it is not evidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.cohort._patients import AGE_SLOPE_PER_YEAR, PARAMETERS, PRIOR_SIGMA
from scarwise.cohort._reduced import N_LEVELS, pixel_levels, protocol_dose, remaining_depth
from scarwise.cohort._simulate import COHORT_DT_DAYS, months_to_days, patient_rates
from scarwise.core import HeightMap
from scarwise.core.errors import InvalidFileError, InvalidParameterError
from scarwise.therapy import ModelParameters, get_protocol

LABEL = ("model prediction from a mechanistic model over virtual patients; not evidence of efficacy; "
         "see calibration status")
QUANTILES = {"p05": 5.0, "p25": 25.0, "median": 50.0, "p75": 75.0, "p95": 95.0}
MAX_DRAWS = 100_000


@dataclass(frozen=True, kw_only=True)
class ScarBurden:
    """A patient's simulated scars: id, type and depth levels (mm) with their areas (mm^2)."""

    ids: tuple[int, ...]
    types: tuple[str, ...]
    levels: tuple[NDArray[np.float64], ...]
    areas: tuple[NDArray[np.float64], ...]
    skipped: tuple[int, ...] = ()  # raised (hypertrophic) scars: nothing to fill


def burden_from_measure(surface: HeightMap, measured: Any, *, n_levels: int = N_LEVELS) -> ScarBurden:
    """Scar burden from a surface and its :class:`MeasureResult`: each scar's pixel depths below skin level."""
    depth = np.clip(np.nan_to_num(measured.skin_level_mm - surface.z, nan=0.0), 0.0, None)
    ids, types, levels, areas, skipped = [], [], [], [], []
    for s in measured.scars:
        mask = measured.labels == s.id
        if s.type == "hypertrophic" or s.depth_mm <= 0 or not mask.any():
            skipped.append(int(s.id))
            continue
        lv, ar = pixel_levels(depth[mask], pixel_area_mm2=surface.dx_mm * surface.dy_mm, n_levels=n_levels)
        ids.append(int(s.id))
        types.append(str(s.type))
        levels.append(lv)
        areas.append(ar)
    return ScarBurden(ids=tuple(ids), types=tuple(types), levels=tuple(levels), areas=tuple(areas),
                      skipped=tuple(skipped))


def load_posterior(path: str | Path | None = None) -> dict[str, Any]:
    """The stored calibration (packaged ``data/posterior.json`` unless ``path``)."""
    try:
        if path is None:
            text = resources.files("scarwise.cohort").joinpath("data/posterior.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidFileError(f"cannot read the calibration file: {exc}") from None
    if not isinstance(data, dict) or "evidence_version" not in data or "protocols" not in data:
        raise InvalidFileError("calibration file lacks evidence_version/protocols; rewrite it with "
                               "`scarwise cohort calibrate --write`")
    return data


def _quantiles(x: NDArray[np.float64]) -> dict[str, list[float]]:
    q = np.percentile(x, list(QUANTILES.values()), axis=0)
    return {k: [round(float(v), 3) for v in q[i]] for i, k in enumerate(QUANTILES)}


def predict_burden(burden: ScarBurden, protocols: Sequence[str], *, months: Sequence[float] = (3, 6, 12),
                   seed: int = 0, n_draws: int = 2000, age_years: float | None = None,
                   calibration: dict[str, Any] | None = None, evidence_version: str | None = None) -> dict[str, Any]:
    """Predicted improvement (%) of total and per-scar volume for each protocol and month.

    Returns the ``predict`` JSON contract: ``{"evidence_version", "protocols": [{"name", "months",
    "improvement_pct": {p05, p25, median, p75, p95}, "p_below_10pct"}]}`` plus ``label``,
    ``calibration`` and per-scar results under ``scars``.
    """
    if not protocols:
        raise InvalidParameterError("give at least one protocol (--protocol), e.g. fractional_co2")
    if not (isinstance(n_draws, int) and 50 <= n_draws <= MAX_DRAWS):
        raise InvalidParameterError(f"n_draws must be 50..{MAX_DRAWS}, got {n_draws!r}")
    if int(seed) < 0:
        raise InvalidParameterError(f"seed must be >= 0, got {seed}")
    if not burden.ids:
        raise InvalidParameterError("no depressed scar to simulate on this scan (raised or no scars found)")
    if age_years is not None and not 10 <= age_years <= 100:
        raise InvalidParameterError(f"age must be 10..100 years, got {age_years}")
    days = [0.0, *months_to_days(months)]
    calib = calibration if calibration is not None else load_posterior()
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0x9E7,)))
    z = rng.standard_normal((n_draws, len(PARAMETERS)))
    names = list(PARAMETERS)
    sd = np.array([PRIOR_SIGMA[k] for k in names])
    owner = np.concatenate([np.full(lv.size, k) for k, lv in enumerate(burden.levels)])
    depth = np.concatenate(burden.levels)
    area = np.concatenate(burden.areas)
    radius = np.concatenate([np.full(lv.size, np.sqrt(ar.sum() / np.pi))
                             for lv, ar in zip(burden.levels, burden.areas, strict=True)])
    n_el = depth.size
    el_owner = np.repeat(np.arange(n_draws), n_el)
    p = ModelParameters()
    out = []
    for name in protocols:
        prot = get_protocol(name)
        entry = calib["protocols"].get(name, {"calibrated": False, "reason": "not in the calibration file"})
        mu = np.zeros(len(names))
        post = entry.get("mu_samples") if entry.get("calibrated") else None
        if post:  # one posterior draw per twin, chosen with the twin's stream
            rows = np.asarray(post, dtype=np.float64)
            pick = rng.integers(0, rows.shape[0], size=n_draws)
            mu = np.zeros((n_draws, len(names)))
            for j, k in enumerate(entry["parameters"]):
                mu[:, names.index(k)] = rows[pick, j]
        mult = np.exp(mu + sd * z)
        if age_years is not None:
            mult[:, 0] *= np.exp(-AGE_SLOPE_PER_YEAR * max(age_years - 30.0, 0.0))
        dose = protocol_dose(prot)
        rem = remaining_depth(patient_rates(mult, dose, p), el_owner, np.tile(depth, n_draws), dose, days=days,
                              radius_mm=np.tile(radius, n_draws),
                              factor_diffusivity_mm2_per_day=p.factor_diffusivity_mm2_per_day,
                              factor_decay_per_day=p.factor_decay_per_day,
                              overfill_fraction=p.overfill_capacity_fraction, dt_days=COHORT_DT_DAYS)
        vol = (rem * np.tile(area, n_draws)[:, None]).reshape(n_draws, n_el, len(days))
        per_scar = np.stack([vol[:, owner == k, :].sum(axis=1) for k in range(len(burden.ids))], axis=1)
        total = per_scar.sum(axis=1)
        imp = 100.0 * (total[:, :1] - total[:, 1:]) / total[:, :1]
        imp_scar = 100.0 * (per_scar[:, :, :1] - per_scar[:, :, 1:]) / per_scar[:, :, :1]
        out.append({
            "name": name, "label": prot.label, "months": [float(m) for m in months],
            "improvement_pct": _quantiles(imp),
            "p_below_10pct": [round(float(v), 4) for v in (imp < 10.0).mean(axis=0)],
            "calibrated": bool(entry.get("calibrated", False)), "calibration_note": entry.get("reason", ""),
            "scars": [{"id": sid, "type": t, "improvement_pct": _quantiles(imp_scar[:, k, :]),
                       "p_below_10pct": [round(float(v), 4) for v in (imp_scar[:, k, :] < 10.0).mean(axis=0)]}
                      for k, (sid, t) in enumerate(zip(burden.ids, burden.types, strict=True))],
        })
    if evidence_version is None:
        from scarwise.evidence import load_studies

        evidence_version = load_studies().version
    return {
        "evidence_version": evidence_version,
        "protocols": out,
        "label": LABEL,
        "calibration": {"evidence_version": calib["evidence_version"], "method": calib.get("method", ""),
                        "matches_current_evidence": calib["evidence_version"] == evidence_version,
                        "note": calib.get("note", "")},
        "n_draws": n_draws,
        "seed": int(seed),
        "skipped_scars": list(burden.skipped),
    }
