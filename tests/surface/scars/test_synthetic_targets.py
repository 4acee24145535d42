"""Detection, classification and measurement against synthetic patches with known scars.

Ground truth comes from ``scarwise.surface.synthetic`` (the geometry it adds; no detector). A
detection matches a true scar when its centroid lies within max(1 mm, width / 2) of the true
centre. Targets: recall and precision >= 0.9, type accuracy >= 0.85, median relative error of
depth and width <= 10% and of volume <= 20%.
"""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.core import HeightMap
from scarwise.surface.scars import detect_scars
from scarwise.surface.synthetic import make_skin_patch

CONFIGS = [
    {"seed": 0, "hypertrophic": 1},
    {"seed": 1, "hypertrophic": 1},
    {"seed": 2, "hypertrophic": 1},
    {"seed": 3, "tilt": (0.05, -0.03), "curvature_radius_mm": 25.0, "holes": 4, "texture_um": 15.0},
    {"seed": 4, "tilt": (-0.04, 0.02), "curvature_radius_mm": 30.0, "holes": 2, "texture_um": 12.0,
     "hypertrophic": 1},
]


def match(truths, scars):
    """Greedy one-to-one matching of true scars to detections by centroid distance."""
    pairs, used = [], set()
    for t in truths:
        best = None
        for s in scars:
            d = float(np.hypot(s.centroid_mm[0] - t.center_mm[0], s.centroid_mm[1] - t.center_mm[1]))
            if s.id not in used and d <= max(1.0, t.width_mm / 2) and (best is None or d < best[0]):
                best = (d, s)
        if best is not None:
            used.add(best[1].id)
            pairs.append((t, best[1]))
    return pairs


@pytest.fixture(scope="module")
def results():
    out = []
    for cfg in CONFIGS:
        patch = make_skin_patch(nx=500, ny=500, pixel_mm=0.03, **cfg)
        out.append((patch, detect_scars(patch.surface)))
    return out


def test_recall_and_precision(results):
    n_true = sum(len(p.scars) for p, _ in results)
    n_found = sum(len(s) for _, s in results)
    n_match = sum(len(match(p.scars, s)) for p, s in results)
    assert n_true >= 40
    assert n_match / n_true >= 0.9
    assert n_match / n_found >= 0.9


def test_type_accuracy(results):
    pairs = [pair for p, s in results for pair in match(p.scars, s)]
    assert np.mean([t.type == s.type for t, s in pairs]) >= 0.85
    assert {t.type for t, _ in pairs} == {"icepick", "boxcar", "rolling", "hypertrophic"}


def test_depth_width_volume_errors(results):
    pairs = [pair for p, s in results for pair in match(p.scars, s)]
    depth = [abs(s.depth_mm - t.depth_mm) / abs(t.depth_mm) for t, s in pairs]
    width = [abs(s.width_mm - t.width_mm) / t.width_mm for t, s in pairs]
    volume = [abs(s.volume_mm3 - t.volume_mm3) / t.volume_mm3 for t, s in pairs]
    assert np.median(depth) <= 0.10
    assert np.median(width) <= 0.10
    assert np.median(volume) <= 0.20
    # Known bias: a raised-cosine (rolling) rim meets the skin with zero slope, so the footprint,
    # cut at the rim threshold, is narrower than the true rim; bounded here, not hidden.
    rolling = [(s.width_mm - t.width_mm) / t.width_mm for t, s in pairs if t.type == "rolling"]
    assert -0.25 <= np.median(rolling) <= 0.0
    assert all(np.sign(s.depth_mm) == np.sign(t.depth_mm) for t, s in pairs)


@pytest.mark.parametrize(("seed", "texture_um", "curvature"), [(5, 8.0, None), (6, 15.0, 25.0), (7, 12.0, 40.0)])
def test_pores_and_texture_alone_are_not_scars(seed, texture_um, curvature):
    patch = make_skin_patch(nx=400, ny=400, pixel_mm=0.03, scars=[], seed=seed, texture_um=texture_um,
                            curvature_radius_mm=curvature, tilt=(0.03, 0.01), holes=3)
    assert detect_scars(patch.surface) == ()


def test_tilted_curved_cheek_changes_nothing():
    kwargs = {"nx": 500, "ny": 500, "pixel_mm": 0.03, "seed": 8, "hypertrophic": 1}
    flat = make_skin_patch(**kwargs)
    cheek = make_skin_patch(**kwargs, tilt=(0.06, -0.04), curvature_radius_mm=25.0)
    np.testing.assert_allclose(cheek.surface.z - cheek.form_mm, flat.surface.z, atol=1e-12)  # same scars
    a, b = detect_scars(flat.surface), detect_scars(cheek.surface)
    assert len(a) == len(b) == len(flat.scars)
    for s, t in zip(a, b, strict=True):
        assert s.type == t.type
        assert t.centroid_mm == pytest.approx(s.centroid_mm, abs=0.05)
        assert t.depth_mm == pytest.approx(s.depth_mm, rel=0.03)
        assert t.width_mm == pytest.approx(s.width_mm, rel=0.03)
        assert t.volume_mm3 == pytest.approx(s.volume_mm3, rel=0.05)


def test_anisotropic_scan_gives_the_same_scars():
    patch = make_skin_patch(nx=600, ny=600, pixel_mm=0.025, n_scars=6, seed=9)
    square = detect_scars(patch.surface)
    z = patch.surface.z[:, ::2]  # every other column: dx = 0.05 mm, dy = 0.025 mm
    wide = detect_scars(HeightMap(z, 0.05, 0.025))
    assert len(square) == len(wide) == len(patch.scars)
    for s, t in zip(square, wide, strict=True):
        assert s.type == t.type
        assert t.centroid_mm == pytest.approx(s.centroid_mm, abs=0.05)
        assert t.width_mm == pytest.approx(s.width_mm, rel=0.05)
        assert t.volume_mm3 == pytest.approx(s.volume_mm3, rel=0.05)
