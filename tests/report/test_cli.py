"""``report_command`` through typer's CliRunner (the lead wires it into ``scarwise``)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_report import report_command


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)  # keep "report" a subcommand
    return app


@pytest.fixture(scope="module")
def scan(measured, tmp_path_factory):
    from scarwise.surface.io import write_surface

    surface, _ = measured
    return write_surface(surface, tmp_path_factory.mktemp("scan") / "cheek.x3p")


def test_report_html_arabic(app, scan, measured, tmp_path):
    _, result = measured
    patient = tmp_path / "patient.json"
    first = result.to_json()
    patient.write_text(json.dumps({"name": "Test Patient", "clinic_name": "Clinic Q", "scan_date": "2026-11-01",
                                   "visits": [{"date": "2026-05-01", "measure": first}]}), encoding="utf-8")
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", "--scan", str(scan), "--patient-json", str(patient), "--lang", "ar",
                                   "--format", "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and 'lang="ar"' in html and "Clinic Q" in html and "Test Patient" in html
    assert html.count('<td class="meta">') == 2  # two visits in the change table


def test_report_errors(app, scan, tmp_path):
    out = tmp_path / "r.pdf"
    res = CliRunner().invoke(app, ["report", "--patient", "5", "--pixel-mm", "0.05", "-o", str(out)])
    assert res.exit_code == 2 and "go with --scan" in res.output  # refused before opening the clinic database
    res = CliRunner().invoke(app, ["report", "-o", str(out)])
    assert res.exit_code == 2 and "exactly one" in res.output
    res = CliRunner().invoke(app, ["report", "--scan", str(scan), "--lang", "fr", "-o", str(out)])
    assert res.exit_code == 2 and "lang" in res.output
    assert not out.exists()
