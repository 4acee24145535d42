"""``scarwise fhir export`` / ``import`` through a small typer wiring, on the clinic test databases."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_fhir import fhir_app
from scarwise.clinic import crud

cli = typer.Typer()
cli.add_typer(fhir_app, name="fhir")


@pytest.fixture
def env(world, monkeypatch):
    settings = world.app.state.settings
    monkeypatch.setenv("SCARWISE_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("SCARWISE_DATA_DIR", str(settings.resolved_data_dir()))
    return world


def test_export_import_round_trip_and_idempotent(env, record, tmp_path):
    runner = CliRunner()
    out = tmp_path / "bundle.json"
    r = runner.invoke(cli, ["fhir", "export", "--patient", str(record), "-o", str(out)])
    assert r.exit_code == 0, r.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["entry"][0]["resource"]["name"][1]["text"] == "سارة علي"
    with env.app.state.sessions() as db:
        empty = crud.create_clinic(db, name="Referral hospital").id
        db.commit()
    r = runner.invoke(cli, ["fhir", "import", str(out), "--clinic", str(empty)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["created"]["session"] == 2 and report["created"]["scan"] == 2 and report["not_imported"] == []
    r = runner.invoke(cli, ["fhir", "import", str(out), "--clinic", str(empty)])
    assert r.exit_code == 0 and json.loads(r.stdout)["created"] == {}
    r = runner.invoke(cli, ["fhir", "import", str(out)])  # back into its own clinic: everything matches
    assert r.exit_code == 0, r.output
    again = json.loads(r.stdout)
    assert again["created"] == {} and again["patient_id"] == record


def test_cli_errors_exit_2(env, record, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["fhir", "export", "--patient", "999999", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "no patient 999999" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = runner.invoke(cli, ["fhir", "import", str(bad), "--clinic", str(env.clinic_b)])
    assert r.exit_code == 2 and "not JSON" in r.output
    bad.write_text(json.dumps({"resourceType": "Patient"}))
    r = runner.invoke(cli, ["fhir", "import", str(bad), "--clinic", str(env.clinic_b)])
    assert r.exit_code == 2 and "not a FHIR Bundle" in r.output
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    r = runner.invoke(cli, ["fhir", "import", str(bad)])
    assert r.exit_code == 2 and "--clinic" in r.output
    r = runner.invoke(cli, ["fhir", "import", str(bad), "--clinic", "424242"])
    assert r.exit_code == 2 and "no clinic 424242" in r.output
