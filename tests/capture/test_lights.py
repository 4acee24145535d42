"""Light files and sphere calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scarwise.capture import Lights, calibrate_sphere, load_lights
from scarwise.core import InvalidFileError, InvalidParameterError, UnsupportedFormatError

from .conftest import ring_lights


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip((a * b).sum(-1), -1.0, 1.0)))


def test_load_json_and_csv_agree(tmp_path):
    d = ring_lights(5, 45.0)
    j = tmp_path / "lights.json"
    j.write_text(json.dumps({"directions": np.round(d, 6).tolist(), "intensities": [1, 1, 0.9, 1, 1.1]}))
    c = tmp_path / "lights.csv"
    c.write_text("x,y,z,intensity\n" + "\n".join(
        f"{x:.6f},{y:.6f},{z:.6f},{s}" for (x, y, z), s in zip(d, [1, 1, 0.9, 1, 1.1], strict=True)))
    a, b = load_lights(j, n_images=5), load_lights(c)
    np.testing.assert_allclose(a.directions, d, atol=1e-6)
    np.testing.assert_allclose(b.directions, a.directions)
    np.testing.assert_allclose(b.intensities, [1, 1, 0.9, 1, 1.1])
    assert load_lights(j).to_json()["intensities"] == [1, 1, 0.9, 1, 1.1]
    # headerless CSV, no intensities: equal lights
    c.write_text("\n".join(f"{x},{y},{z}" for x, y, z in d))
    np.testing.assert_array_equal(load_lights(c).intensities, np.ones(5))


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ({"directions": [[0, 0, 1], [1, 0, 1], [0, 1, 1]]}, InvalidParameterError, "not 1"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8]]}, InvalidParameterError, "at least 3"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8], [0, 0.6, -0.8]]}, InvalidParameterError, "away from the camera"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8], [0.8, 0, 0.6]]}, InvalidParameterError, "coplanar"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8]], "intensities": [1, 1]},
         InvalidParameterError, "intensities"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8]], "intensities": [1, 0, 1]},
         InvalidParameterError, "> 0"),
        ({"directions": [[0, 0], [0.6, 0], [0, 0.6]]}, InvalidParameterError, r"\[x, y, z\]"),
        ({"directions": [[0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8]], "colour": 1}, InvalidFileError, "unknown keys"),
        ({"lights": []}, InvalidFileError, "directions"),
    ],
)
def test_bad_lights_json(tmp_path, content, error, match):
    p = tmp_path / "lights.json"
    p.write_text(json.dumps(content))
    with pytest.raises(error, match=match):
        load_lights(p)


def test_bad_lights_files(tmp_path):
    p = tmp_path / "lights.json"
    p.write_text("{not json")
    with pytest.raises(InvalidFileError, match="not valid JSON"):
        load_lights(p)
    p.write_text(json.dumps({"directions": ring_lights(4, 45).tolist()}))
    with pytest.raises(InvalidParameterError, match="4 light directions for 6 images"):
        load_lights(p, n_images=6)
    with pytest.raises(InvalidFileError, match="does not exist"):
        load_lights(tmp_path / "missing.json")
    t = tmp_path / "lights.txt"
    t.write_text("0 0 1")
    with pytest.raises(UnsupportedFormatError, match=".json or .csv"):
        load_lights(t)
    c = tmp_path / "lights.csv"
    c.write_text("a,b,c\n0,0,1\n")
    with pytest.raises(InvalidFileError, match="header"):
        load_lights(c)
    c.write_text("0,0,1\n0.6,0,oops\n0,0.6,0.8\n")
    with pytest.raises(InvalidFileError, match="not a number"):
        load_lights(c)


def _sphere_grid(n: int, cx: float, cy: float, r: float):
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    u, v = (xx - cx) / r, (yy - cy) / r
    inside = u**2 + v**2 < 1
    nz = np.sqrt(np.clip(1 - u**2 - v**2, 0, None))
    return np.stack([u, v, nz], axis=-1), inside


def test_chrome_sphere_recovers_directions_within_2_degrees():
    truth = np.concatenate([ring_lights(6, 40.0), ring_lights(2, 70.0, offset_deg=60)])
    normals, inside = _sphere_grid(240, 118.3, 121.7, 100.0)
    view = np.array([0.0, 0.0, 1.0])
    refl = 2 * normals[..., 2:3] * normals - view  # mirror direction of the view ray
    rng = np.random.default_rng(4)
    images = []
    for d in truth:
        angle = np.arccos(np.clip(refl @ d, -1, 1))
        glint = np.exp(-0.5 * (angle / np.deg2rad(1.5)) ** 2)  # an area light ~3 degrees across
        img = np.where(inside, 0.08 + glint, 0.0) + rng.normal(0, 0.005, inside.shape)
        images.append(np.clip(img, 0, 1))
    lights = calibrate_sphere(np.asarray(images), kind="chrome")
    err = _angle_deg(lights.directions, truth)
    assert err.max() < 2.0, err
    # the sphere outline was found, not given; giving it must agree
    given = calibrate_sphere(np.asarray(images), kind="chrome", center_px=(118.3, 121.7), radius_px=100.0)
    assert _angle_deg(given.directions, truth).max() < 2.0


def test_matte_sphere_recovers_directions_and_intensities():
    truth = ring_lights(5, 50.0)
    gains = np.array([1.0, 0.8, 0.9, 1.0, 0.7])
    normals, inside = _sphere_grid(200, 100.0, 98.0, 80.0)
    rng = np.random.default_rng(5)
    images = np.asarray([np.where(inside, 0.7 * g * np.clip(normals @ d, 0, None), 0.0)
                         + rng.normal(0, 0.003, inside.shape) for d, g in zip(truth, gains, strict=True)])
    lights = calibrate_sphere(np.clip(images, 0, 1), kind="matte", center_px=(100.0, 98.0), radius_px=80.0)
    assert _angle_deg(lights.directions, truth).max() < 2.0
    np.testing.assert_allclose(lights.intensities, gains / gains.max(), rtol=0.03)


def test_sphere_bad_input():
    with pytest.raises(InvalidParameterError, match="n >= 3"):
        calibrate_sphere(np.zeros((2, 20, 20)))
    with pytest.raises(InvalidParameterError, match="unknown"):
        calibrate_sphere(np.ones((3, 20, 20)), kind="glass")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="no highlight"):
        calibrate_sphere(np.zeros((3, 20, 20)), center_px=(10, 10), radius_px=8)


def test_lights_dataclass_normalises_rounding():
    d = np.round(ring_lights(4, 45.0), 3)  # 3 decimals: length off by < 1e-3
    lights = Lights(d)
    np.testing.assert_allclose(np.linalg.norm(lights.directions, axis=1), 1.0)
    assert len(lights) == 4
