"""Goodman & Baron and ECCA grading: table arithmetic against the reference test vectors."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from scarwise.core import Grade, InvalidParameterError, ScarMeasurement
from scarwise.surface.grading import (
    ClinicianInputs,
    ecca_score,
    goodman_baron_quantitative_score,
    grade_scars,
    load_scales,
    scar_scale_rows,
    unverified_scales,
)


def scar(type_: str, *, width: float = 1.0, depth: float = 0.3, area: float = 1.0, i: int = 1) -> ScarMeasurement:
    return ScarMeasurement(
        id=i, type=type_, centroid_mm=(0.0, 0.0), width_mm=width, depth_mm=depth, area_mm2=area,
        volume_mm3=0.1, mean_wall_slope_deg=30.0, floor_flatness=0.2, threshold_mm=0.02,
    )


ALL_INPUTS = ClinicianInputs(
    macular_count=0, papular_count=0, linear_count=0, elastolysis_count=0, qualitative_grade=2,
    hypertrophic_age_years=0.5,
)


# --- invalid input first -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"macular_count": -1}, "macular_count"),
        ({"papular_count": 2.5}, "papular_count"),
        ({"elastolysis_count": True}, "elastolysis_count"),
        ({"keloid_area_cm2": float("nan")}, "keloid_area_cm2"),
        ({"hypertrophic_age_years": -1.0}, "hypertrophic_age_years"),
        ({"qualitative_grade": 0}, "qualitative_grade"),
        ({"qualitative_grade": 5}, "qualitative_grade"),
        ({"visible_at_50cm": "yes"}, "visible_at_50cm"),
    ],
)
def test_invalid_clinician_inputs(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        ClinicianInputs(**kwargs)


def test_invalid_grade_arguments():
    with pytest.raises(InvalidParameterError, match="area_cm2"):
        grade_scars([], area_cm2=-1.0)
    with pytest.raises(InvalidParameterError, match="inputs"):
        grade_scars([], inputs={"macular_count": 1})
    with pytest.raises(InvalidParameterError, match="ScarMeasurement"):
        grade_scars([{"type": "icepick"}])
    with pytest.raises(InvalidParameterError, match="unknown"):
        goodman_baron_quantitative_score({"Z9": 1})
    with pytest.raises(InvalidParameterError, match="whole number"):
        ecca_score({"V": -2})
    with pytest.raises(InvalidParameterError, match="graded area"):
        grade_scars([scar("hypertrophic", depth=-0.3, area=200.0)], area_cm2=1.0)


# --- reference test vectors (shared/reference/scar-grading.md §3, §4) ------------------------
# These check the table arithmetic only. No published worked example or published maximum could be
# retrieved for either scale (see scales.json "verification"), so 84 and 480 are the maxima of the
# reconstructed tables, not published values.
def test_goodman_test_vector_6():
    assert goodman_baron_quantitative_score({"A1": 5, "A2": 15, "C1": 3}) == 6


def test_goodman_maximum_84_from_table():
    rows = {row: 21 for row in load_scales()["goodman_baron_quantitative"]["rows"]}
    assert goodman_baron_quantitative_score(rows, keloid_area_cm2=20.5) == 84
    assert grade_scars([]).goodman_baron_quantitative_max == 84


@pytest.mark.parametrize(("area", "points"), [(0.0, 0), (0.1, 6), (4.99, 6), (5.0, 12), (20.0, 12), (20.01, 18)])
def test_goodman_d2_area_bins(area, points):
    assert goodman_baron_quantitative_score({}, keloid_area_cm2=area) == points


@pytest.mark.parametrize(("n", "mult"), [(0, 0), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3)])
def test_goodman_multiplier_bins(n, mult):
    assert goodman_baron_quantitative_score({"C4": n}) == 3 * mult


def test_ecca_test_vector_80():
    assert ecca_score({"V": 12, "U": 3, "elastolysis": 25}) == 80


@pytest.mark.parametrize(("n", "grade"), [(0, 0), (1, 1), (4, 1), (5, 2), (20, 2), (21, 3)])
def test_ecca_count_bins(n, grade):
    assert ecca_score({"M": n}) == 25 * grade


def test_ecca_maximum_computed_from_weights():
    items = load_scales()["ecca"]["items"]
    expected = 3 * sum(v["weight"] for v in items.values())
    assert expected == 480  # UNVERIFIED weights 15/20/25/10/40/50; ECCA is often quoted 0-540 (unsourced)
    assert grade_scars([]).ecca_max == expected
    assert ecca_score({k: 21 for k in items}) == expected


# --- measured scars to rows ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("type_", "width", "depth", "rows"),
    [
        ("icepick", 0.8, 0.6, ("C2", "V")),
        ("boxcar", 2.5, 0.3, ("B2", "U")),
        ("boxcar", 2.5, 0.7, ("C1", "U")),
        ("boxcar", 6.0, 0.3, ("B3", "U")),
        ("rolling", 6.0, 0.3, ("B3", "M")),
        ("rolling", 6.0, 0.6, ("C4", "M")),
        ("hypertrophic", 2.0, -0.3, ("D2", "hypertrophic_by_age")),
    ],
)
def test_scar_scale_rows(type_, width, depth, rows):
    assert scar_scale_rows(scar(type_, width=width, depth=depth)) == rows


def test_grade_from_measured_scars_and_inputs():
    scars = [scar("icepick", i=i) for i in range(12)] + [scar("boxcar", width=2.5, depth=0.3)] * 3
    g = grade_scars(scars, inputs=ClinicianInputs(
        macular_count=0, papular_count=0, linear_count=0, elastolysis_count=25, qualitative_grade=3,
        visible_at_50cm=True, flattens_on_stretch=True,
    ))
    assert isinstance(g, Grade)
    assert g.ecca == 80  # same counts as the reference vector, reached through the mapping
    assert g.goodman_baron_quantitative == 3 * 2 + 2 * 1  # C2 x12 -> x2, B2 x3 -> x1
    assert g.goodman_baron_qualitative == 3
    assert g.inputs_needed == ()
    assert g.verified is False
    json.dumps(g.to_json())


def test_missing_inputs_are_listed_and_qualitative_never_computed():
    g = grade_scars([scar("rolling", width=6.0, depth=0.6) for _ in range(30)])
    assert g.goodman_baron_qualitative is None
    assert set(g.inputs_needed) == {
        "macular_count", "papular_count", "linear_count", "elastolysis_count", "qualitative_grade",
    }
    assert g.goodman_baron_quantitative == 9
    assert g.ecca == 75


def test_hypertrophic_area_and_age():
    raised = [scar("hypertrophic", depth=-0.4, area=150.0, i=i) for i in range(4)]  # 6 cm2 in all
    g = grade_scars(raised, inputs=ALL_INPUTS)
    assert g.goodman_baron_quantitative == 12
    assert g.ecca == 40
    old = grade_scars(raised, inputs=ClinicianInputs(hypertrophic_age_years=3.0, keloid_area_cm2=25.0))
    assert old.ecca == 50 and old.goodman_baron_quantitative == 18
    unknown = grade_scars(raised)
    assert "hypertrophic_age_years" in unknown.inputs_needed and unknown.ecca == 40


def _raw_scales() -> dict:
    return json.loads(resources.files("scarwise.surface.grading").joinpath("scales.json").read_text())


def test_verification_record_of_each_scale():
    """Every scale says what was searched; a verified scale names the retrieved texts it was checked on."""
    raw = _raw_scales()
    for key in ("goodman_baron_quantitative", "goodman_baron_qualitative", "ecca"):
        scale, ver = raw[key], raw[key]["verification"]
        assert scale["source"] and ver["status"] and ver["searched"]
        if scale["verified"]:
            assert ver["confirmed"] and all("http" in c for c in ver["confirmed"])
            assert ver["status"].startswith("verified")
        else:
            assert ver["status"].startswith("UNVERIFIED") and ver["open"]
    # No retrieved source reproduces the quantitative table or the ECCA weights (2026-11-25 search).
    assert raw["goodman_baron_quantitative"]["verified"] is False
    assert raw["ecca"]["verified"] is False
    assert "540" in raw["ecca"]["verification"]["conflict"]
    # Qualitative: the only constant is the grade set, checked against the primary abstract (four grades).
    assert raw["goodman_baron_qualitative"]["verified"] is True
    assert raw["goodman_baron_qualitative"]["grades"] == [1, 2, 3, 4]
    assert any("17199653" in c for c in raw["goodman_baron_qualitative"]["verification"]["confirmed"])
    assert raw["verified"] is (not unverified_scales())


def test_grade_is_unverified_while_any_scale_is():
    g = grade_scars([])
    assert unverified_scales() == ("goodman_baron_quantitative", "ecca")
    assert g.verified is False
    assert len(g.sources) == 4
    assert "UNVERIFIED: goodman_baron_quantitative, ecca" in g.sources[3]


def test_verified_needs_flag_and_named_sources():
    raw = _raw_scales()
    for key in ("goodman_baron_quantitative", "ecca"):
        raw[key]["verified"] = True
    # A flag without a retrieved source does not count.
    raw["ecca"]["verification"]["confirmed"] = []
    assert unverified_scales(raw) == ("ecca",)
    raw["ecca"]["verification"]["confirmed"] = ["Table 1 at https://example.org"]
    assert unverified_scales(raw) == ()
