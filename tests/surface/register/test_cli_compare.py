"""``scarwise compare``: contract JSON, table, figure, exit code 2 with a message on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_compare import compare_command
from scarwise.surface.io import write_surface
from tests.surface.register._pairs import big_patch, make_pair, scar_change

SCHEMA = json.loads((Path(__file__).parent / "compare.schema.json").read_text())
runner = CliRunner()
app = typer.Typer()
app.command("compare")(compare_command)


@app.command("noop")
def _noop() -> None:  # a second command keeps "compare" a sub-command, as in scarwise.cli
    pass


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    patch = big_patch(n_big=400, n_scars=4, seed=5)
    pair = make_pair(patch, n=280, theta_deg=2.0, shift_mm=(0.9, -0.6),
                     change_mm=scar_change(patch, {0: 0.5}))
    d = tmp_path_factory.mktemp("visits")
    return {
        "base_npy": write_surface(pair.baseline, d / "visit1.npy"),
        "follow_npy": write_surface(pair.followup, d / "visit2.npy"),
        "base_x3p": write_surface(pair.baseline, d / "visit1.x3p"),
        "follow_x3p": write_surface(pair.followup, d / "visit2.x3p"),
        "far_npy": write_surface(make_pair(patch, n=280, shift_mm=(12.0, 12.0)).followup, d / "far.npy"),
        "dir": d,
    }


def test_json_follows_contract(files):
    r = runner.invoke(app, ["compare", str(files["base_npy"]), str(files["follow_npy"]), "--pixel-mm", "0.05",
                            "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["transform"]["dx_mm"] == pytest.approx(0.9, abs=0.05)
    assert data["transform"]["dy_mm"] == pytest.approx(-0.6, abs=0.05)
    assert data["transform"]["rotation_deg"] == pytest.approx(2.0, abs=0.2)
    assert any(s["volume_change_pct"] is not None and -60 < s["volume_change_pct"] < -40 for s in data["scars"])


def test_table_and_plot(files):
    png = files["dir"] / "out" / "compare.png"
    r = runner.invoke(app, ["compare", str(files["base_x3p"]), str(files["follow_x3p"]), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert "aligned onto" in r.stdout and "total volume" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_too_small_overlap_exits_2(files):
    r = runner.invoke(app, ["compare", str(files["base_npy"]), str(files["far_npy"]), "--pixel-mm", "0.05",
                            "--json"])
    assert r.exit_code == 2
    assert "overlap" in r.stderr or "does not match" in r.stderr
    assert r.stdout == ""


def test_missing_pixel_size_exits_2(files):
    r = runner.invoke(app, ["compare", str(files["base_npy"]), str(files["follow_npy"]), "--json"])
    assert r.exit_code == 2
    assert "pixel" in r.stderr.lower()

