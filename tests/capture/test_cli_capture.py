"""``scarwise capture`` and ``scarwise colour`` through the command line."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from scarwise.capture import Lights, photometric_stereo, render_images
from scarwise.cli_capture import calibrate_lights_command, capture_command, colour_command
from scarwise.surface.synthetic import make_skin_patch

from .conftest import ring_lights
from .test_colour import reflectance

app = typer.Typer()
app.command("capture")(capture_command)
app.command("colour")(colour_command)
app.command("calibrate-lights")(calibrate_lights_command)
runner = CliRunner()
PX = 0.05


@pytest.fixture(scope="module")
def small_capture(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("capture")
    patch = make_skin_patch(nx=120, ny=100, pixel_mm=PX, scars=[("boxcar", (3.0, 2.5), 2.0, 0.3)], seed=2)
    lights = Lights(ring_lights(6, 50.0))
    images = render_images(patch.surface, lights, specular=0.4, shininess=100, noise=0.003, seed=1)
    paths = []
    for k, img in enumerate(images):
        p = tmp / f"light{k}.png"
        iio.imwrite(p, np.round(img * 65535).astype(np.uint16))
        paths.append(p)
    lights_path = tmp / "lights.json"
    lights_path.write_text(json.dumps({"directions": lights.directions.tolist()}))
    return tmp, paths, lights_path, images, lights, patch


def test_capture_writes_x3p(small_capture):
    from scarwise.surface.io import read_surface

    tmp, paths, lights_path, images, lights, _ = small_capture
    out = tmp / "scan.x3p"
    r = runner.invoke(app, ["capture", *map(str, paths), "--lights", str(lights_path), "--pixel-mm", str(PX),
                            "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["surface"] == {"nx": 120, "ny": 100, "dx_mm": PX, "dy_mm": PX}
    assert data["valid_fraction"] > 0.99 and data["output"] == str(out)
    back = read_surface(out)
    direct = photometric_stereo(images, lights, pixel_mm=PX).surface
    assert back.dx_mm == pytest.approx(PX)
    assert np.nanmax(np.abs(back.z - direct.z)) < 2e-3  # 16-bit PNG quantisation
    r = runner.invoke(app, ["capture", *map(str, paths), "--lights", str(lights_path), "--pixel-mm", str(PX),
                            "-o", str(tmp / "scan2.x3p")])
    assert r.exit_code == 0 and "written to" in r.stdout


def test_capture_errors(small_capture, tmp_path):
    _, paths, lights_path, *_ = small_capture
    base = ["--pixel-mm", str(PX), "-o", str(tmp_path / "o.x3p")]
    r = runner.invoke(app, ["capture", *map(str, paths[:2]), "--lights", str(lights_path), *base])
    assert r.exit_code == 2 and "6 light directions for 2 images" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"directions": [[0, 0, 2]] * 6}))
    r = runner.invoke(app, ["capture", *map(str, paths), "--lights", str(bad), *base])
    assert r.exit_code == 2 and "not 1" in r.output
    iio.imwrite(tmp_path / "small.png", np.zeros((10, 10), np.uint16))
    r = runner.invoke(app, ["capture", *map(str, paths[:5]), str(tmp_path / "small.png"), "--lights",
                            str(lights_path), *base])
    assert r.exit_code == 2 and "differ in size" in r.output
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    r = runner.invoke(app, ["capture", *map(str, paths[:5]), str(tmp_path / "broken.png"), "--lights",
                            str(lights_path), *base])
    assert r.exit_code == 2 and "broken.png" in r.output
    r = runner.invoke(app, ["capture", *map(str, paths), "--lights", str(lights_path), "--pixel-mm", "0",
                            "-o", str(tmp_path / "o.x3p")])
    assert r.exit_code == 2 and "pixel_mm" in r.output


def _srgb8(linear):
    enc = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(np.clip(enc, 0, 1) * 255).astype(np.uint8)


def test_colour_with_and_without_scan(small_capture, tmp_path):
    from scarwise.surface.io import write_surface

    _, _, _, _, _, patch = small_capture
    ny, nx = patch.surface.ny, patch.surface.nx
    c_h, c_m = np.full((ny, nx), 0.2), np.full((ny, nx), 0.3)
    yy, xx = np.mgrid[0:ny, 0:nx] * PX
    c_h[np.hypot(xx - 3.0, yy - 2.5) < 0.9] = 0.8  # the boxcar scar is red
    c_m[(np.abs(xx - 5.0) < 0.5) & (np.abs(yy - 4.2) < 0.5)] = 1.0  # a flat brown mark
    photo = tmp_path / "photo.png"
    iio.imwrite(photo, _srgb8(reflectance(c_h, c_m)))
    r = runner.invoke(app, ["colour", str(photo), "--pixel-mm", str(PX), "--json", "--plot", str(tmp_path / "m.png")])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert len(data["discoloured"]) == 2 and data["macular_candidates"] == 2 and data["scars"] is None
    assert (tmp_path / "m.png").stat().st_size > 1000
    scan = write_surface(patch.surface, tmp_path / "scan.x3p")
    r = runner.invoke(app, ["colour", str(photo), "--scan", str(scan), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert len(data["scars"]) == 1 and data["scars"][0]["erythema_delta"] > 10
    assert data["macular_candidates"] == 1  # the red patch is the 3D scar; the brown one is flat
    r = runner.invoke(app, ["colour", str(photo), "--pixel-mm", str(PX), "--chart", "0,0,5,5"])
    assert r.exit_code == 0 and "macular" in r.stdout


def test_colour_errors(small_capture, tmp_path):
    photo = tmp_path / "photo.png"
    iio.imwrite(photo, np.full((20, 30, 3), 128, np.uint8))
    r = runner.invoke(app, ["colour", str(photo)])
    assert r.exit_code == 2 and "--pixel-mm" in r.output
    r = runner.invoke(app, ["colour", str(photo), "--pixel-mm", "0.1", "--chart", "1,2,3"])
    assert r.exit_code == 2 and "X0,Y0,X1,Y1" in r.output
    grey = tmp_path / "grey.png"
    iio.imwrite(grey, np.full((20, 30), 128, np.uint8))
    r = runner.invoke(app, ["colour", str(grey), "--pixel-mm", "0.1"])
    assert r.exit_code == 2 and "RGB" in r.output
    from scarwise.surface.io import write_surface

    scan = write_surface(small_capture[5].surface, tmp_path / "scan.x3p")
    r = runner.invoke(app, ["colour", str(photo), "--scan", str(scan)])
    assert r.exit_code == 2 and "registered" in r.output


def test_calibrate_lights_then_capture(tmp_path, small_capture):
    """Sphere photos -> LIGHTS.json -> capture, the way a clinic would set up a ring of lights."""
    _, paths, _, _, lights, _ = small_capture
    yy, xx = np.mgrid[0:160, 0:160].astype(float)
    u, v = (xx - 80) / 70, (yy - 80) / 70
    inside = u**2 + v**2 < 1
    n = np.stack([u, v, np.sqrt(np.clip(1 - u**2 - v**2, 0, None))], axis=-1)
    refl = 2 * n[..., 2:3] * n - np.array([0.0, 0.0, 1.0])
    sphere = []
    for k, d in enumerate(lights.directions):
        glint = np.exp(-0.5 * (np.arccos(np.clip(refl @ d, -1, 1)) / np.deg2rad(1.5)) ** 2)
        p = tmp_path / f"sphere{k}.png"
        iio.imwrite(p, np.round(np.clip(np.where(inside, 0.1 + glint, 0), 0, 1) * 65535).astype(np.uint16))
        sphere.append(str(p))
    out = tmp_path / "lights.json"
    r = runner.invoke(app, ["calibrate-lights", *sphere, "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    found = np.asarray(json.loads(out.read_text())["directions"])
    angles = np.degrees(np.arccos(np.clip((found * lights.directions).sum(1), -1, 1)))
    assert angles.max() < 2.0
    r = runner.invoke(app, ["capture", *map(str, paths), "--lights", str(out), "--pixel-mm", str(PX),
                            "-o", str(tmp_path / "scan.x3p"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["valid_fraction"] > 0.99
    r = runner.invoke(app, ["calibrate-lights", *sphere, "-o", str(out), "--kind", "glass"])
    assert r.exit_code == 2 and "chrome or matte" in r.output
    r = runner.invoke(app, ["calibrate-lights", *sphere[:2], "-o", str(out)])
    assert r.exit_code == 2 and "at least 3" in r.output
