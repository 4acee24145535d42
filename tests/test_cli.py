"""The command line: contract JSON, human output, exit codes and messages on bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from scarwise.cli import app
from scarwise.core import HeightMap
from scarwise.surface.io import write_surface
from scarwise.surface.synthetic import make_skin_patch

DATA = Path(__file__).parent / "data"
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "measure.schema.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def patch():
    return make_skin_patch(nx=320, ny=280, pixel_mm=0.03, n_scars=4, seed=3)


@pytest.fixture(scope="module")
def scan_file(tmp_path_factory, patch) -> Path:
    return write_surface(patch.surface, tmp_path_factory.mktemp("scan") / "cheek.x3p")


def test_schema_copy_matches_shared():
    if not SHARED_SCHEMA.exists():
        pytest.skip("../shared is not beside this checkout")
    assert json.loads(SHARED_SCHEMA.read_text()) == json.loads((DATA / "measure.schema.json").read_text())


def test_measure_json_follows_contract(scan_file, patch):
    result = runner.invoke(app, ["measure", str(scan_file), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads((DATA / "measure.schema.json").read_text()))
    assert data["surface"] == {"nx": 320, "ny": 280, "dx_mm": pytest.approx(0.03), "dy_mm": pytest.approx(0.03)}
    assert len(data["scars"]) == len(patch.scars)


def test_measure_same_numbers_in_every_format(tmp_path, patch):
    outputs = []
    for suffix in (".x3p", ".tif", ".csv", ".npz"):
        path = write_surface(patch.surface, tmp_path / f"scan{suffix}")
        result = runner.invoke(app, ["measure", str(path), "--json"])
        assert result.exit_code == 0, (suffix, result.output)
        outputs.append(json.loads(result.stdout))
    for other in outputs[1:]:
        assert other["surface"] == outputs[0]["surface"]
        assert len(other["scars"]) == len(outputs[0]["scars"])
        for theirs, ours in zip(other["scars"], outputs[0]["scars"], strict=True):
            assert theirs["type"] == ours["type"]
            for key in ("centroid_mm", "width_mm", "depth_mm", "area_mm2", "volume_mm3"):
                assert theirs[key] == pytest.approx(ours[key], rel=1e-6), key
        for key, value in outputs[0]["iso25178"].items():
            assert other["iso25178"][key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_measure_human_output_and_plot(scan_file, tmp_path):
    png = tmp_path / "map.png"
    result = runner.invoke(app, ["measure", str(scan_file), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "Sa" in result.stdout and "scar" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 this is not a zip"), "x3p"),
        (lambda p: p.write_text("hello"), "x3p"),
    ],
)
def test_measure_bad_x3p_exits_2_without_traceback(tmp_path, make, phrase):
    path = tmp_path / "broken.x3p"
    make(path)
    result = runner.invoke(app, ["measure", str(path), "--json"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error" in result.stderr.lower()
    assert result.stdout == ""


def test_measure_unknown_format(tmp_path):
    path = tmp_path / "scan.docx"
    path.write_bytes(b"x")
    result = runner.invoke(app, ["measure", str(path)])
    assert result.exit_code == 2
    assert ".x3p" in result.stderr


def test_measure_all_nan_surface(tmp_path):
    path = write_surface(HeightMap(np.full((8, 8), np.nan), 0.1, 0.1), tmp_path / "empty.npz")
    result = runner.invoke(app, ["measure", str(path), "--json"])
    assert result.exit_code == 2
    assert "valid point" in result.stderr


@pytest.mark.parametrize("tilt", [0.0, 0.01])
def test_measure_surface_without_relief(tmp_path, tilt):
    """A constant (or purely tilted) map has Sq = 0 once levelled: Ssk/Sku are undefined, the
    contract needs numbers, so measure refuses clearly instead of writing nulls."""
    y, x = np.mgrid[0:40, 0:40] * 0.1
    path = write_surface(HeightMap(1.0 + tilt * x, 0.1, 0.1), tmp_path / "flat.npz")
    result = runner.invoke(app, ["measure", str(path), "--json"])
    assert result.exit_code == 2
    assert "no relief" in result.stderr
    assert result.stdout == ""


def test_measure_point_limit(tmp_path, scan_file):
    result = runner.invoke(app, ["measure", str(scan_file), "--max-points", "1000"])
    assert result.exit_code == 2
    assert "limit" in result.stderr


def test_measure_bad_form_option(scan_file):
    result = runner.invoke(app, ["measure", str(scan_file), "--form", "spline"])
    assert result.exit_code == 2
    assert "poly" in result.stderr


def test_demo_writes_scan_json_and_png(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "demo-measure.json").read_text())
    jsonschema.validate(data, json.loads((DATA / "measure.schema.json").read_text()))
    assert len(data["scars"]) >= 5
    assert (out / "demo-scar-map.png").stat().st_size > 10_000
    assert zipfile.is_zipfile(out / "demo-scan.x3p")
    assert str(out / "demo-scar-map.png") in result.stdout.replace("\n", "")


def test_evidence_list_through_main_app():
    result = runner.invoke(app, ["evidence", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] and len(data["studies"]) >= 20
    assert {"id", "first_author", "year", "verified"} <= set(data["studies"][0])
