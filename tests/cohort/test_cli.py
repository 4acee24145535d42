"""CLI: the predict contract (validated with jsonschema), errors on stderr with exit 2, cohort commands."""

import json

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_cohort import cohort_app, predict_command
from scarwise.surface.io import write_surface
from scarwise.surface.synthetic import make_skin_patch

app = typer.Typer()
app.command("predict")(predict_command)
app.add_typer(cohort_app, name="cohort")
runner = CliRunner()

QUANT = {"type": "array", "items": {"type": "number"}}
SCHEMA = {  # the predict contract of DESIGN.md ("Other contracts")
    "type": "object",
    "required": ["evidence_version", "protocols"],
    "properties": {
        "evidence_version": {"type": "string", "minLength": 1},
        "protocols": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["name", "months", "improvement_pct", "p_below_10pct"],
            "properties": {
                "name": {"type": "string"},
                "months": {"type": "array", "items": {"type": "number"}},
                "improvement_pct": {"type": "object", "required": ["p05", "p25", "median", "p75", "p95"],
                                    "properties": {k: QUANT for k in ("p05", "p25", "median", "p75", "p95")}},
                "p_below_10pct": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
            }}},
    },
}


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    patch = make_skin_patch(nx=240, ny=240, pixel_mm=0.05, n_scars=4, seed=3)
    return write_surface(patch.surface, tmp_path_factory.mktemp("scan") / "cheek.tif")


def _predict(scan, *extra):
    return runner.invoke(app, ["predict", "--scan", str(scan), "--protocol", "none", "--protocol", "fractional_co2",
                               "--protocol", "microneedling+prp", "--months", "3,6,12", "--draws", "200", *extra])


def test_predict_json_contract_and_reproducible(scan, tmp_path):
    res = _predict(scan, "--seed", "4", "--json", "--plot", str(tmp_path / "fan.png"))
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    jsonschema.validate(data, SCHEMA)
    assert [p["name"] for p in data["protocols"]] == ["none", "fractional_co2", "microneedling+prp"]
    none, laser, combo = data["protocols"]
    assert none["improvement_pct"]["p95"] == [0.0, 0.0, 0.0] and none["p_below_10pct"] == [1.0, 1.0, 1.0]
    for p in (laser, combo):
        q = p["improvement_pct"]
        for j in range(3):  # quantiles ordered, probabilities consistent with them
            assert q["p05"][j] <= q["p25"][j] <= q["median"][j] <= q["p75"][j] <= q["p95"][j]
            assert (p["p_below_10pct"][j] > 0.5) == (q["median"][j] < 10)
        assert not p["calibrated"] and len(p["scars"]) >= 1
    assert "not evidence" in data["label"] and data["calibration"]["evidence_version"]
    assert (tmp_path / "fan.png").stat().st_size > 10_000
    again = json.loads(_predict(scan, "--seed", "4", "--json").stdout)
    assert again["protocols"] == data["protocols"]


def test_predict_errors_go_to_stderr_with_exit_2(scan):
    res = runner.invoke(app, ["predict", "--scan", str(scan), "--protocol", "laser_magic", "--json"])
    assert res.exit_code == 2 and "unknown" in res.stderr and res.stdout == ""
    res = _predict(scan, "--months", "6,3", "--json")
    assert res.exit_code == 2 and "--months" in res.stderr


def test_cohort_run_serial_json(tmp_path):
    res = runner.invoke(app, ["cohort", "run", "--out", str(tmp_path / "run"), "--protocol", "fractional_co2",
                              "--n", "30", "--chunk-size", "10", "--months", "6", "--serial", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["run"]["chunks_computed"] == 3 and data["summary"][0]["p05"] <= data["summary"][0]["median"]


def test_cohort_calibrate_fits_the_single_real_study_and_checks_it(tmp_path):
    res = runner.invoke(app, ["cohort", "calibrate", "--serial", "--json", "--draws", "10", "--accept", "0.5",
                              "--check-replicates", "10", "--write", str(tmp_path / "p.json")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [k for k, v in data["protocols"].items() if v["calibrated"]] == ["fractional_co2+conditioned_medium"]
    assert "single study, k = 1, not a pooled effect" in data["note"]
    (target,) = data["targets"]
    assert target["studies"] == ["park2019"] and target["k"] == 1 and target["derived_by_assumption"] == ["park2019"]
    assert data["abc"]["parameters"] == ["agent_potency"] and data["abc"]["n_draws"] == 10
    checks = {(c["study"], c["population"]): c for c in data["held_back"]}
    assert checks[("park2019", "prior (uncalibrated; nothing fitted)")]["held_back"]
    assert not checks[("park2019", "calibrated posterior")]["held_back"]  # it was fitted: said, not hidden
    assert json.loads((tmp_path / "p.json").read_text()) == data
    chk = runner.invoke(app, ["cohort", "check", "park2019", "--replicates", "10", "--calibration",
                              str(tmp_path / "p.json"), "--json"])
    assert chk.exit_code == 0, chk.output
    out = json.loads(chk.stdout)
    assert out["population"].startswith("calibrated posterior") and not out["held_back"]
    assert out["effect"]["reported"] == pytest.approx(8.5)
    assert runner.invoke(app, ["cohort", "check", "kwon2020"]).exit_code == 2  # ECCA: no simulated design


def test_predict_labels_calibration_per_protocol_from_the_packaged_posterior(scan):
    from scarwise.cohort import load_posterior
    from scarwise.evidence import load_studies

    stored = load_posterior()
    assert stored["evidence_version"] == load_studies().version  # regenerated from the current evidence
    (cov,) = stored["coverage"]  # park2019: inside its CI only because that CI holds zero too
    assert cov["within_ci"] and cov["ci_includes_zero"] and cov["z"] < -1.0
    res = runner.invoke(app, ["predict", "--scan", str(scan), "--protocol", "fractional_co2+conditioned_medium",
                              "--protocol", "fractional_co2", "--months", "2", "--draws", "50", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    cm, laser = data["protocols"]
    assert cm["calibrated"] and "single study (k = 1)" in cm["calibration_note"]
    assert "park2019" in cm["calibration_note"] and "limited by the prior" in cm["calibration_note"]
    assert not laser["calibrated"] and "no verified mean-difference effect" in laser["calibration_note"]
    assert data["calibration"]["matches_current_evidence"]
