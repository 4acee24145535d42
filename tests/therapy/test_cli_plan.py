"""CLI commands (own typer wiring) and the injection plan, on a small synthetic scan."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from scarwise.cli_therapy import plan_command, protocols_command, report_days, simulate_command
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy import Grid, ScarRegion, get_protocol, plan_injections, plot_plan

app = typer.Typer()
app.command("simulate")(simulate_command)
app.command("protocols")(protocols_command)
app.command("plan")(plan_command)
runner = CliRunner()


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    from scarwise.surface.io import write_surface
    from scarwise.surface.synthetic import make_skin_patch

    patch = make_skin_patch(nx=160, ny=160, pixel_mm=0.05, seed=3,
                            scars=[("boxcar", (2.5, 2.5), 2.0, 0.3), ("rolling", (5.5, 5.5), 3.0, 0.25)],
                            pores=False, texture_um=2.0)
    path = tmp_path_factory.mktemp("scan") / "cheek.tif"
    write_surface(patch.surface, path)
    return path


def test_protocols_json_lists_names():
    res = runner.invoke(app, ["protocols", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert "none" in data["protocols"] and "adsc" in data["protocols"]


def test_simulate_json_contract(scan):
    res = runner.invoke(app, ["simulate", "--scan", str(scan), "--protocol", "prp", "--days", "30", "--every", "15",
                              "--sim-pixel-mm", "0.1", "--dt", "0.25", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["protocol"] == "prp" and data["days"] == [0.0, 15.0, 30.0]
    assert data["model"]["calibrated"] is False and "reference" in data["model"]["parameter_source"]
    assert len(data["scars"]) == 2
    for s in data["scars"]:
        assert len(s["depth_mm"]) == len(s["volume_mm3"]) == 3
        assert s["volume_mm3"][-1] < s["volume_mm3"][0]


def test_simulate_none_is_flat_and_table_is_labelled(scan, tmp_path):
    png, gif = tmp_path / "course.png", tmp_path / "course.gif"
    res = runner.invoke(app, ["simulate", "--scan", str(scan), "--protocol", "none", "--days", "30",
                              "--sim-pixel-mm", "0.1", "--dt", "0.25", "--plot", str(png), "--animate", str(gif)])
    assert res.exit_code == 0, res.output
    assert "Model prediction (UNCALIBRATED)" in res.stdout and "+0%" in res.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--protocol", "prp"], "exactly one of --scan"),
        (["--demo", "--protocol", "snake_oil"], "choose one of"),
        (["--demo", "--protocol", "prp", "--backend", "fortran"], "backend 'fortran' unknown"),
    ],
)
def test_simulate_user_errors_exit_2(args, phrase):
    res = runner.invoke(app, ["simulate", *args])
    assert res.exit_code == 2
    assert phrase in res.output


def test_plan_json_and_overlay(scan, tmp_path):
    png = tmp_path / "plan.png"
    res = runner.invoke(app, ["plan", str(scan), "--protocol", "adsc", "--json", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["scars"]) == 2 and data["sites"]
    assert data["total_volume_ul"] == pytest.approx(sum(s["volume_ul"] for s in data["sites"]))
    assert png.stat().st_size > 1000
    text = runner.invoke(app, ["plan", str(scan), "--protocol", "adsc"])
    assert text.exit_code == 0 and "total" in text.stdout and "prescription" in text.stdout
    bad = runner.invoke(app, ["plan", str(scan), "--protocol", "microneedling"])
    assert bad.exit_code == 2 and "injects nothing" in bad.output


def _two_disks(dx: float = 0.05) -> ScarRegion:
    n = 120
    y, x = np.mgrid[0:n, 0:n] * dx
    d1 = np.where(np.hypot(x - 1.5, y - 1.5) < 1.0, 0.2, 0.0)  # 0.2 mm deep disk, radius 1 mm
    d2 = np.where(np.hypot(x - 4.5, y - 4.0) < 0.5, 0.4, 0.0)
    labels = (d1 > 0) * 1 + (d2 > 0) * 2
    return ScarRegion(d1 + d2, labels, Grid(n, n, dx, dx))


def test_plan_volume_follows_void_and_sites_lie_inside(tmp_path):
    region = _two_disks()
    p = get_protocol("adsc")
    plan = plan_injections(region, p, spacing_mm=0.5)
    ratio = p.agent.injection_ul_per_void_mm3
    for s in plan.scars:
        void = region.depth0_mm[region.labels == s.id].sum() * 0.05**2
        assert s.void_volume_mm3 == pytest.approx(void)
        assert s.volume_ul == pytest.approx(ratio * void)
    # disk 1: pi r^2 * 0.2 = 0.628 mm^3 (pixelated) -> about 0.5 mm hex spacing gives ~ 2 pi / (sqrt3/2 0.25) sites
    assert plan.scars[0].void_volume_mm3 == pytest.approx(np.pi * 0.2, rel=0.03)
    assert 12 <= plan.scars[0].n_sites <= 17
    for site in plan.sites:
        i, j = round(site.y_mm / 0.05), round(site.x_mm / 0.05)
        assert region.labels[i, j] == site.scar_id
    assert plan.total_volume_ul == pytest.approx(sum(s.volume_ul for s in plan.sites))
    wide = plan_injections(region, p, spacing_mm=5.0)
    assert [s.n_sites for s in wide.scars] == [1, 1]  # narrower than the spacing: one site each
    assert plot_plan(plan, region, tmp_path / "p.png").stat().st_size > 1000


def test_plan_refuses_bad_spacing_and_device_only():
    with pytest.raises(InvalidParameterError, match="spacing_mm"):
        plan_injections(_two_disks(), get_protocol("adsc"), spacing_mm=0.0)
    with pytest.raises(InvalidParameterError, match="injects nothing"):
        plan_injections(_two_disks(), get_protocol("fractional_co2+exosomes"))


def test_report_days_include_table_days():
    assert report_days(100, 40) == [0.0, 30.0, 40.0, 80.0, 90.0, 100.0]
