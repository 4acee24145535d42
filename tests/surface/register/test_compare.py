"""Scar-by-scar change on synthetic visits with known partial fills, a gone and a new scar."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scarwise.surface.register import RegistrationError, compare_series, compare_surfaces
from tests.surface.register._pairs import big_patch, make_pair, scar_change

# Big-patch scar index -> share of depth kept at follow-up (seed 3: 0 rolling, 2 boxcar, 4 icepick).
FILL = {0: 0.6, 2: 0.5, 4: 0.0}
NEW = ("boxcar", (7.5, 17.5), 1.8, 0.3)  # in big-patch mm; baseline coordinates are 4 mm less
TRANSFORM = {"theta_deg": 3.0, "shift_mm": (1.2, -0.8), "tilt": (0.01, 0.0), "z_offset_mm": 0.2}


@pytest.fixture(scope="module")
def patch():
    return big_patch()


@pytest.fixture(scope="module")
def changed(patch):
    pair = make_pair(patch, change_mm=scar_change(patch, FILL, new=(NEW,)), noise_um=1.0, **TRANSFORM)
    return pair, compare_surfaces(pair.baseline, pair.followup)


def _by_truth(pair, comparison):
    """Truth index -> ScarChange, matching baseline scars to true centres."""
    out = {}
    for i, t in enumerate(pair.scars):
        for ch in comparison.scars:
            if ch.baseline_id is not None and math.dist(ch.centroid_mm, t.center_mm) < 0.3 * t.width_mm:
                out[i] = ch
    return out


def test_transform_and_json_contract(changed):
    pair, comp = changed
    data = json.loads(json.dumps(comp.to_json(), allow_nan=False))
    assert set(data) >= {"transform", "overlap_fraction", "scars", "total"}
    t = data["transform"]
    assert set(t) == {"dx_mm", "dy_mm", "rotation_deg", "scale"}
    assert t["dx_mm"] == pytest.approx(1.2, abs=0.05)
    assert t["dy_mm"] == pytest.approx(-0.8, abs=0.05)
    assert t["rotation_deg"] == pytest.approx(3.0, abs=0.2)
    assert t["scale"] == pytest.approx(1.0, abs=0.002)
    assert 0.8 < data["overlap_fraction"] <= 1.0
    keys = {"baseline_id", "followup_id", "centroid_mm", "depth_mm_before", "depth_mm_after",
            "volume_mm3_before", "volume_mm3_after", "volume_change_pct"}
    for s in data["scars"]:
        assert keys <= set(s)
    total = data["total"]
    assert total["volume_mm3_before"] == pytest.approx(sum(s["volume_mm3_before"] for s in data["scars"]))
    assert total["volume_mm3_after"] == pytest.approx(sum(s["volume_mm3_after"] for s in data["scars"]))
    expected = 100 * (total["volume_mm3_after"] - total["volume_mm3_before"]) / total["volume_mm3_before"]
    assert total["volume_change_pct"] == pytest.approx(expected)


def test_partial_fill_volume_change_within_10_percent_of_truth(changed):
    pair, comp = changed
    found = _by_truth(pair, comp)
    for i in (0, 2):  # partly filled
        ch = found[i]
        keep = FILL[i]
        # before agrees with the volume put into the synthetic scar
        assert ch.volume_mm3_before == pytest.approx(pair.scars[i].volume_mm3, rel=0.1)
        assert ch.volume_mm3_after / ch.volume_mm3_before == pytest.approx(keep, rel=0.1)
        assert ch.volume_change_pct == pytest.approx(100 * (keep - 1), abs=10 * keep)
        # deepest sample: texture (8 um RMS, furrows) adds up to ~0.02 mm in either visit
        assert ch.depth_mm_after == pytest.approx(keep * pair.scars[i].depth_mm, abs=0.025)
        assert ch.followup_id is not None
    for i in (1, 5):  # unchanged
        assert abs(found[i].volume_change_pct) < 5.0


def test_gone_scar_has_null_followup_and_minus_100(changed):
    pair, comp = changed
    gone = _by_truth(pair, comp)[4]
    assert gone.followup_id is None
    assert gone.depth_mm_after == 0.0 and gone.volume_mm3_after == 0.0
    assert gone.volume_change_pct == -100.0
    row = next(s for s in comp.to_json()["scars"] if s["baseline_id"] == gone.baseline_id)
    assert row["followup_id"] is None and row["volume_change_pct"] == -100.0


def test_new_scar_has_null_baseline_id(changed, patch):
    pair, comp = changed
    new = [s for s in comp.scars if s.baseline_id is None]
    assert len(new) == 1
    centre = (NEW[1][0] - pair.offset_mm, NEW[1][1] - pair.offset_mm)
    assert math.dist(new[0].centroid_mm, centre) < 0.1
    assert new[0].volume_mm3_before == 0.0 and new[0].volume_change_pct is None
    # dug into skin with pores and furrows (not damped as in a placed scar): up to ~0.05 mm deeper
    assert new[0].depth_mm_after == pytest.approx(NEW[3], abs=0.05)
    true_volume = -scar_change(patch, {}, new=(NEW,)).sum() * patch.surface.dx_mm * patch.surface.dy_mm
    assert new[0].volume_mm3_after == pytest.approx(true_volume, rel=0.1)


def test_difference_map_shows_the_fill(changed):
    pair, comp = changed
    t = pair.scars[0]
    i, j = round(t.center_mm[1] / 0.05), round(t.center_mm[0] / 0.05)
    # the follow-up is (1 - 0.6) * depth higher at the centre of the partly filled rolling scar
    assert comp.difference_mm[i, j] == pytest.approx(0.4 * t.depth_mm, abs=0.02)
    far = comp.difference_mm[np.isfinite(comp.difference_mm)]
    assert np.median(np.abs(far)) < 0.003


def test_repositioned_unchanged_surface_shows_no_change(patch):
    pair = make_pair(patch, theta_deg=-2.0, shift_mm=(-1.0, 0.7), tilt=(0.0, 0.01), z_offset_mm=-0.1,
                     noise_um=1.0)
    comp = compare_surfaces(pair.baseline, pair.followup)
    assert comp.scars and all(s.baseline_id is not None and s.followup_id is not None for s in comp.scars)
    for s in comp.scars:
        assert abs(s.volume_change_pct) < 5.0
        # the deepest sample of a 0.4 mm icepick cone moves off its apex when resampled (4 pixels across)
        assert abs(s.depth_mm_after - s.depth_mm_before) < max(0.02, 0.1 * s.depth_mm_before)
    assert abs(comp.to_json()["total"]["volume_change_pct"]) < 3.0


def test_too_small_overlap_raises(patch):
    pair = make_pair(patch, shift_mm=(12.0, 12.0))
    with pytest.raises(RegistrationError):
        compare_surfaces(pair.baseline, pair.followup)


def test_series_tracks_scars_over_three_visits(patch, changed):
    pair, comp = changed
    half = make_pair(patch, change_mm=scar_change(patch, {0: 0.8}), theta_deg=-1.0, shift_mm=(0.5, 0.5))
    series = compare_series([pair.baseline, half.followup, pair.followup])
    data = json.loads(json.dumps(series.to_json(), allow_nan=False))
    assert data["visits"] == 3 and len(data["registrations"]) == 2
    rolling = next(t for t in series.tracks if t.baseline_id is not None
                   and math.dist(t.centroid_mm, pair.scars[0].center_mm) < 1.0)
    v = rolling.volume_mm3
    assert v[1] / v[0] == pytest.approx(0.8, rel=0.1)
    assert v[2] / v[0] == pytest.approx(0.6, rel=0.1)
    gone = next(t for t in series.tracks if t.baseline_id is not None
                and math.dist(t.centroid_mm, pair.scars[4].center_mm) < 0.5)
    assert gone.volume_mm3[1] > 0 and gone.volume_mm3[2] == 0.0 and gone.ids[2] is None
    new = [t for t in series.tracks if t.baseline_id is None]
    assert len(new) == 1 and new[0].volume_mm3[0] == 0.0 and new[0].volume_mm3[1] == 0.0
    assert new[0].volume_mm3[2] > 0
    assert len(series.total_volume_mm3) == 3


def test_flattened_raised_scar():
    """A hypertrophic scar lowered to half its height loses half its volume above the skin."""
    from scarwise.surface.synthetic import make_skin_patch

    placed = [("rolling", (10.0, 10.0), 5.0, 0.25), ("hypertrophic", (16.0, 16.0), 2.5, -0.3),
              ("boxcar", (15.0, 7.0), 2.5, 0.3)]
    raised = make_skin_patch(nx=480, ny=480, pixel_mm=0.05, seed=5, scars=placed)
    pair = make_pair(raised, theta_deg=2.0, shift_mm=(0.5, 0.3), change_mm=scar_change(raised, {1: 0.5}))
    comp = compare_surfaces(pair.baseline, pair.followup)
    hyper = next(s for s in comp.scars if s.type_before == "hypertrophic")
    assert hyper.followup_id is not None and hyper.type_after == "hypertrophic"
    assert hyper.volume_mm3_before == pytest.approx(pair.scars[1].volume_mm3, rel=0.1)
    assert hyper.volume_change_pct == pytest.approx(-50.0, abs=5.0)
    assert hyper.depth_mm_after == pytest.approx(-0.15, abs=0.025)  # negative: height above skin level
    others = [s for s in comp.scars if s is not hyper]
    assert len(others) == 2 and all(abs(s.volume_change_pct) < 5.0 for s in others)
