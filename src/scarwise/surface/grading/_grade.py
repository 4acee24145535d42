"""Global scar grades from measured scars plus what only a clinician can tell.

Scales (all constants in ``scales.json``; the quantitative Goodman & Baron table and ECCA are UNVERIFIED,
see each scale's ``verification`` there and :mod:`._scales`):

- Goodman & Baron quantitative: Σ over rows A1–D1 of points × count multiplier, plus D2 points
  by keloidal/hypertrophic area (Goodman GJ, Baron JA. *J Cosmet Dermatol* 2006;5:48–52).
- ECCA: Σ over six items of weight × count grade (Dréno B et al. *Dermatology* 2007;214:46–51).
- Goodman & Baron qualitative (*Dermatol Surg* 2006;32:1458–66): a whole-patient judgement at
  social distance; never computed here, only carried over from :class:`ClinicianInputs`.

Mapping a measured scar to a row is this project's own rule (``mapping`` in ``scales.json``,
not published): icepick → Goodman C2 / ECCA V; boxcar < 5 mm wide → B2 if shallower than
0.5 mm else C1 (≥ 5 mm: B3 / C4); rolling → B3 if shallower than 0.5 mm else C4, ECCA M;
boxcar → ECCA U; hypertrophic → Goodman D2 by area and ECCA item 5 or 6 by age.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scarwise.core import Grade, InvalidParameterError, ScarMeasurement
from scarwise.surface.grading._scales import SCALE_KEYS, binned, d2_points, load_scales

_COUNT_FIELDS = ("macular_count", "papular_count", "linear_count", "elastolysis_count")


@dataclass(frozen=True, kw_only=True)
class ClinicianInputs:
    """What a 3D scan cannot see, given by the clinician; ``None`` means not given.

    Parameters
    ----------
    macular_count : int, optional
        Flat erythematous, hyper- or hypopigmented scars (Goodman A1).
    papular_count : int, optional
        Papular scars (Goodman D1).
    linear_count : int, optional
        Linear or troughed dermal scars (Goodman C3; not told apart by the 3D classifier).
    elastolysis_count : int, optional
        Superficial elastolysis lesions (ECCA item 4).
    keloid_area_cm2 : float, optional
        Keloidal/hypertrophic area over the graded region in cm² (Goodman D2); replaces the area
        of raised scars measured on the scan.
    hypertrophic_age_years : float, optional
        Age of the raised scars in years: ECCA item 5 (recent, < 1 year) or 6 (older / keloid).
    qualitative_grade : int, optional
        Goodman & Baron qualitative grade 1–4, the clinician's whole-patient judgement.
    visible_at_50cm, flattens_on_stretch : bool, optional
        The two criteria behind the qualitative grade, kept so the grade can be audited.
    """

    macular_count: int | None = None
    papular_count: int | None = None
    linear_count: int | None = None
    elastolysis_count: int | None = None
    keloid_area_cm2: float | None = None
    hypertrophic_age_years: float | None = None
    qualitative_grade: int | None = None
    visible_at_50cm: bool | None = None
    flattens_on_stretch: bool | None = None

    def __post_init__(self) -> None:
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidParameterError(f"{name} must be a whole number >= 0 or None, got {value!r}")
        for name in ("keloid_area_cm2", "hypertrophic_age_years"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise InvalidParameterError(f"{name} must be a finite number >= 0 or None, got {value!r}")
        q = self.qualitative_grade
        if q is not None and (isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 4):
            raise InvalidParameterError(
                f"qualitative_grade must be 1, 2, 3 or 4 (Goodman & Baron qualitative) or None, got {q!r}"
            )
        for name in ("visible_at_50cm", "flattens_on_stretch"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise InvalidParameterError(f"{name} must be True, False or None, got {value!r}")


def scar_scale_rows(scar: ScarMeasurement) -> tuple[str, str]:
    """The (Goodman quantitative row, ECCA item) a measured scar counts under.

    This project's own mapping (``mapping`` in ``scales.json``, UNVERIFIED); a hypertrophic
    scar gives ``("D2", "hypertrophic_by_age")``: D2 counts area, and its ECCA item depends on
    the scar's age.
    """
    mapping = load_scales()["mapping"]
    deep = abs(scar.depth_mm) >= float(mapping["deep_mm"])
    goodman = mapping["goodman"]
    if scar.type == "boxcar":
        broad = scar.width_mm >= float(mapping["goodman_small_max_width_mm"])
        key = ("boxcar_broad_" if broad else "boxcar_") + ("deep" if deep else "shallow")
    elif scar.type == "rolling":
        key = "rolling_deep" if deep else "rolling_shallow"
    else:
        key = scar.type
    return goodman[key], mapping["ecca"][scar.type]


def grade_scars(
    scars: Sequence[ScarMeasurement],
    *,
    inputs: ClinicianInputs | None = None,
    area_cm2: float | None = None,
) -> Grade:
    """Goodman & Baron (quantitative, qualitative) and ECCA grades of one graded region.

    Parameters
    ----------
    scars : sequence of ScarMeasurement
        Scars measured on the scan (e.g. by :func:`scarwise.surface.scars.detect_scars`).
    inputs : ClinicianInputs, optional
        Counts and judgements a 3D scan cannot make. Each one missing and needed is named in
        ``Grade.inputs_needed``; its rows then count as zero, so both scores are lower bounds.
    area_cm2 : float, optional
        Valid scanned area in cm², used as a consistency check only: counts are graded as found
        on the scan, not extrapolated to the whole face.

    Returns
    -------
    Grade
        ``goodman_baron_qualitative`` is ``inputs.qualitative_grade`` or ``None``. Maxima are
        computed from the tables; ``verified`` is true only when every scale's constants were checked
        against a retrieved source (:func:`unverified_scales` is empty).

    Examples
    --------
    >>> grade_scars([], inputs=ClinicianInputs(macular_count=5)).goodman_baron_quantitative
    1
    """
    if inputs is None:
        inputs = ClinicianInputs()
    if not isinstance(inputs, ClinicianInputs):
        raise InvalidParameterError(f"inputs must be ClinicianInputs or None, got {type(inputs).__name__}")
    if area_cm2 is not None and (
        isinstance(area_cm2, bool) or not isinstance(area_cm2, (int, float)) or not math.isfinite(area_cm2)
        or area_cm2 < 0
    ):
        raise InvalidParameterError(f"area_cm2 must be a finite number >= 0 or None, got {area_cm2!r}")
    for scar in scars:
        if not isinstance(scar, ScarMeasurement):
            raise InvalidParameterError(f"scars must be ScarMeasurement objects, got {type(scar).__name__}")

    scales = load_scales()
    gb, ecca = scales["goodman_baron_quantitative"], scales["ecca"]
    needed: list[str] = []

    goodman_counts = {row: 0 for row in gb["rows"]}
    ecca_counts = {item: 0 for item in ecca["items"]}
    raised_area_mm2 = 0.0
    n_raised = 0
    for scar in scars:
        row, item = scar_scale_rows(scar)
        if row == "D2":
            raised_area_mm2 += scar.area_mm2
            n_raised += 1
        else:
            goodman_counts[row] += 1
        if item != "hypertrophic_by_age":
            ecca_counts[item] += 1

    for name, row in (("macular_count", "A1"), ("papular_count", "D1"), ("linear_count", "C3")):
        value = getattr(inputs, name)
        if value is None:
            needed.append(name)
        else:
            goodman_counts[row] += value
    if inputs.elastolysis_count is None:
        needed.append("elastolysis_count")
    else:
        ecca_counts["elastolysis"] += inputs.elastolysis_count

    if inputs.keloid_area_cm2 is not None:
        keloid_cm2 = float(inputs.keloid_area_cm2)
    else:
        keloid_cm2 = raised_area_mm2 / 100.0
        if area_cm2 is not None and keloid_cm2 > float(area_cm2) * (1 + 1e-9):
            raise InvalidParameterError(
                f"raised scars cover {keloid_cm2:.4g} cm², more than the graded area of {area_cm2:.4g} cm²; "
                "were the scars measured on another surface?"
            )
    if n_raised:
        age = inputs.hypertrophic_age_years
        if age is None:
            # Unknown age: counted as recent (the lighter weight), so ECCA stays a lower bound.
            needed.append("hypertrophic_age_years")
            ecca_counts["hypertrophic_recent"] += n_raised
        elif age < float(ecca["hypertrophic_recent_max_years"]):
            ecca_counts["hypertrophic_recent"] += n_raised
        else:
            ecca_counts["keloid_old"] += n_raised
    if inputs.qualitative_grade is None:
        needed.append("qualitative_grade")

    goodman = goodman_baron_quantitative_score(goodman_counts, keloid_area_cm2=keloid_cm2)
    ecca_total = ecca_score(ecca_counts)
    mult_bins = gb["count_multiplier"]["bins"]
    d2 = gb["d2_keloid_hypertrophic_area"]
    top_mult = max(m for _, m in mult_bins)
    goodman_max = sum(int(r["points"]) for r in gb["rows"].values()) * top_mult + max(d2["points"])
    grade_bins = ecca["count_grade"]["bins"]
    ecca_max = sum(int(i["weight"]) for i in ecca["items"].values()) * max(g for _, g in grade_bins)

    unverified = unverified_scales(scales)
    verified = not unverified
    state = f"UNVERIFIED: {', '.join(unverified)}" if unverified else "every scale verified"
    sources = (
        gb["source"],
        scales["goodman_baron_qualitative"]["source"],
        ecca["source"],
        f"scarwise scales.json version {scales['version']} (constants {state}; see each scale's "
        "'verification'; scar-to-row mapping is this project's own rule)",
    )
    return Grade(
        goodman_baron_quantitative=int(goodman),
        goodman_baron_qualitative=inputs.qualitative_grade,
        ecca=int(ecca_total),
        inputs_needed=tuple(needed),
        goodman_baron_quantitative_max=int(goodman_max),
        ecca_max=int(ecca_max),
        verified=verified,
        sources=sources,
    )


def unverified_scales(scales: Mapping[str, object] | None = None) -> tuple[str, ...]:
    """Names of the scales in ``scales.json`` whose constants are not all checked against a source.

    A scale counts as verified only if its ``verified`` is true and its ``verification`` names what
    was read (``confirmed`` not empty). ``scales`` defaults to the shipped file.
    """
    scales = load_scales() if scales is None else scales
    out = []
    for key in SCALE_KEYS:
        scale = scales[key]
        checked = bool(scale.get("verified")) and bool(scale.get("verification", {}).get("confirmed"))
        if not checked:
            out.append(key)
    return tuple(out)


def _check_counts(counts: Mapping[str, int], known: Mapping[str, object], what: str) -> None:
    for key, n in counts.items():
        if key not in known:
            raise InvalidParameterError(f"{what} {key!r} unknown; choose from {sorted(known)}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InvalidParameterError(f"count for {what} {key!r} must be a whole number >= 0, got {n!r}")


def goodman_baron_quantitative_score(row_counts: Mapping[str, int], *, keloid_area_cm2: float = 0.0) -> int:
    """Goodman & Baron quantitative score from scar counts per row and the keloidal area.

    Parameters
    ----------
    row_counts : mapping of str to int
        Number of scars per row ``"A1"`` … ``"D1"``; rows left out count 0.
    keloid_area_cm2 : float
        Keloidal/hypertrophic area in cm² (row D2).

    Notes
    -----
    Score = Σ_rows points × multiplier(count) + D2(area), with multiplier 0 / ×1 (1–10) /
    ×2 (11–20) / ×3 (> 20) and D2 6 / 12 / 18 for < 5 / 5–20 / > 20 cm² (UNVERIFIED,
    ``scales.json``; Goodman & Baron, *J Cosmet Dermatol* 2006;5:48–52).

    Examples
    --------
    >>> goodman_baron_quantitative_score({"A1": 5, "A2": 15, "C1": 3})
    6
    """
    gb = load_scales()["goodman_baron_quantitative"]
    _check_counts(row_counts, gb["rows"], "Goodman row")
    if isinstance(keloid_area_cm2, bool) or not isinstance(keloid_area_cm2, (int, float, np.floating)) or not (
        math.isfinite(keloid_area_cm2) and keloid_area_cm2 >= 0
    ):
        raise InvalidParameterError(f"keloid_area_cm2 must be a finite number >= 0, got {keloid_area_cm2!r}")
    bins = gb["count_multiplier"]["bins"]
    d2 = gb["d2_keloid_hypertrophic_area"]
    total = sum(int(gb["rows"][row]["points"]) * binned(int(n), bins) for row, n in row_counts.items())
    return int(total + d2_points(float(keloid_area_cm2), d2["bounds_cm2"], d2["points"]))


def ecca_score(item_counts: Mapping[str, int]) -> int:
    """ECCA score from scar counts per item (``"V"``, ``"U"``, ``"M"``, ``"elastolysis"``,
    ``"hypertrophic_recent"``, ``"keloid_old"``; left out: 0).

    Notes
    -----
    ECCA = Σ_items weight × grade(count), weights 15/20/25/10/40/50 and grade 0 / 1 (< 5) /
    2 (5–20) / 3 (> 20) (UNVERIFIED, ``scales.json``; Dréno et al., *Dermatology* 2007;214:46–51).
    These weights give a maximum of 480, while ECCA is often quoted as 0–540 (no retrieved source
    states either); ``scales.json`` records the conflict under ``ecca.verification.conflict``.

    Examples
    --------
    >>> ecca_score({"V": 12, "U": 3, "elastolysis": 25})
    80
    """
    ecca = load_scales()["ecca"]
    _check_counts(item_counts, ecca["items"], "ECCA item")
    bins = ecca["count_grade"]["bins"]
    return int(sum(int(ecca["items"][i]["weight"]) * binned(int(n), bins) for i, n in item_counts.items()))
