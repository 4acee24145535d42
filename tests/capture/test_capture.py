"""Photometric stereo end to end: render a scarred patch, reconstruct, measure the scars again."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from scarwise.capture import capture_scan, photometric_stereo, render_images, surface_normals
from scarwise.core import HeightMap, InvalidParameterError

from .conftest import PIXEL_MM


def _footprint_depth_volume(surface: HeightMap, center_mm, width_mm):
    """Depth (mm) and volume (mm^3) below a plane fitted to a ring just outside the footprint.

    Independent of the measure pipeline: the footprint is the known scar disc.
    """
    xx, yy = np.meshgrid(surface.x_mm, surface.y_mm)
    r = np.hypot(xx - center_mm[0], yy - center_mm[1])
    radius = width_mm / 2
    ring = (r > radius + 0.15) & (r < radius + 0.6) & surface.valid
    a = np.stack([np.ones(ring.sum()), xx[ring], yy[ring]], axis=1)
    coef, *_ = np.linalg.lstsq(a, surface.z[ring], rcond=None)
    level = coef[0] + coef[1] * xx + coef[2] * yy
    inside = r < radius
    below = np.where(inside, level - surface.z, 0.0)
    return float(np.nanmax(below)), float(np.nansum(np.clip(below, 0, None)) * surface.dx_mm * surface.dy_mm)


@pytest.fixture(scope="module")
def reconstruction(scarred_patch, ring8):
    images = render_images(scarred_patch.surface, ring8, albedo=0.55, specular=0.5, shininess=100,
                           ambient=0.02, noise=0.005, seed=11)
    return images, photometric_stereo(images, ring8, pixel_mm=PIXEL_MM)


def test_normals_and_scars_recovered(scarred_patch, reconstruction):
    _, scan = reconstruction
    truth = surface_normals(scarred_patch.surface)
    angle = np.degrees(np.arccos(np.clip((scan.normals.normals * truth).sum(-1), -1, 1)))
    median = float(np.nanmedian(angle))
    print(f"median normal error {median:.2f} deg, 95th percentile {np.nanpercentile(angle, 95):.2f} deg")
    assert median < 2.0
    assert scan.surface.valid.mean() > 0.99
    assert scan.surface.dx_mm == PIXEL_MM and scan.surface.metadata["source"] == "photometric stereo"
    for scar in scarred_patch.scars:
        d0, v0 = _footprint_depth_volume(scarred_patch.surface, scar.center_mm, scar.width_mm)
        d1, v1 = _footprint_depth_volume(scan.surface, scar.center_mm, scar.width_mm)
        print(f"{scar.type}: depth {d0:.3f} -> {d1:.3f} mm, volume {v0:.4f} -> {v1:.4f} mm3")
        assert d1 == pytest.approx(d0, rel=0.15), scar.type
        assert v1 == pytest.approx(v0, rel=0.15), scar.type


def test_measure_pipeline_agrees(scarred_patch, reconstruction):
    from scarwise.surface.measure import measure_surface

    _, scan = reconstruction
    before, after = measure_surface(scarred_patch.surface), measure_surface(scan.surface)
    assert len(before.scars) >= 3
    for s in before.scars:
        match = min(after.scars, key=lambda t: np.hypot(t.centroid_mm[0] - s.centroid_mm[0],
                                                        t.centroid_mm[1] - s.centroid_mm[1]))
        print(f"{s.type}: depth {s.depth_mm:.3f} -> {match.depth_mm:.3f} mm, "
              f"volume {s.volume_mm3:.4f} -> {match.volume_mm3:.4f} mm3")
        assert np.hypot(match.centroid_mm[0] - s.centroid_mm[0], match.centroid_mm[1] - s.centroid_mm[1]) < 0.5
        assert match.depth_mm == pytest.approx(s.depth_mm, rel=0.15)
        assert match.volume_mm3 == pytest.approx(s.volume_mm3, rel=0.15)


def test_integrators_agree(reconstruction, ring8):
    images, scan = reconstruction
    fc = photometric_stereo(images, ring8, pixel_mm=PIXEL_MM, method="fft").surface.z
    d = fc - scan.surface.z
    assert np.nanstd(d) < 0.05 * np.nanstd(scan.surface.z)


def test_capture_from_files(tmp_path, reconstruction, ring8):
    images, scan = reconstruction
    paths = []
    for k, img in enumerate(images):
        p = tmp_path / f"light{k}.tif"
        tifffile.imwrite(p, np.round(img * 65535).astype(np.uint16))
        paths.append(p)
    lights = tmp_path / "lights.json"
    lights.write_text(json.dumps({"directions": ring8.directions.tolist()}))
    from_files = capture_scan(paths, lights, pixel_mm=PIXEL_MM)
    assert from_files.surface.metadata["images"] == [p.name for p in paths]
    assert np.nanmax(np.abs(from_files.surface.z - scan.surface.z)) < 5e-3  # 16-bit quantisation only
    summary = from_files.summary()
    assert summary["surface"]["nx"] == images.shape[2] and summary["valid_fraction"] > 0.99
    json.dumps(summary)
    with pytest.raises(InvalidParameterError, match="8 light directions for 3 images"):
        capture_scan(paths[:3], lights, pixel_mm=PIXEL_MM)
    with pytest.raises(InvalidParameterError, match="pixel_mm"):
        capture_scan(paths, lights, pixel_mm=-1)
