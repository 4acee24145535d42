"""Scar detection on shapes worked by hand: invalid input, cone, spherical cap, cylinder, plateau."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError, ScarMeasurement
from scarwise.surface.scars import DetectionSettings, detect_scars, scar_labels, segment_scars

DX = 0.02


def plane(nx: int = 300, ny: int = 300, dx: float = DX, dy: float = DX):
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    return x * dx, y * dy


def with_flat_skin(z: np.ndarray, dx: float = DX, dy: float = DX) -> tuple[HeightMap, np.ndarray]:
    """Surface and its known skin level (0): tests of measurement use the true reference."""
    return HeightMap(z, dx, dy), np.zeros_like(z)


# --- invalid input first -------------------------------------------------------------------------
def test_invalid_input():
    x, _ = plane(60, 50)
    surface = HeightMap(x * 0.0, DX, DX)
    with pytest.raises(InvalidParameterError, match="HeightMap"):
        detect_scars(x)
    with pytest.raises(InvalidParameterError, match="shapes differ"):
        detect_scars(surface, skin_level_mm=np.zeros((3, 3)))
    with pytest.raises(InvalidParameterError, match="finite"):
        detect_scars(surface, skin_level_mm=np.full(x.shape, np.nan))
    with pytest.raises(InvalidParameterError, match="DetectionSettings"):
        detect_scars(surface, settings={"threshold_mm": 0.05})
    with pytest.raises(EmptySurfaceError):
        detect_scars(HeightMap(np.full((10, 10), np.nan), DX, DX))
    with pytest.raises(InvalidParameterError, match="scars do not match"):
        scar_labels(surface, [_dummy()])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"threshold_mm": 0.0}, "threshold_mm"), ({"min_width_mm": -1.0}, "min_width_mm"),
     ({"smoothing_mm": float("nan")}, "smoothing_mm"), ({"rim_sigma": -1.0}, "rim_sigma"),
     ({"boxcar_min_flatness": 1.5}, "boxcar_min_flatness")],
)
def test_invalid_settings(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        DetectionSettings(**kwargs)


def _dummy() -> ScarMeasurement:
    return ScarMeasurement(id=1, type="icepick", centroid_mm=(1.0, 1.0), width_mm=1.0, depth_mm=0.3,
                           area_mm2=0.8, volume_mm3=0.1, mean_wall_slope_deg=40.0, floor_flatness=0.1,
                           threshold_mm=0.01)


# --- flat surfaces: nothing ---------------------------------------------------------------------
def test_flat_and_missing_never_scar():
    x, y = plane()
    z = 0.01 * x
    z[100:180, 100:180] = np.nan  # a large hole: missing is never scar
    assert detect_scars(HeightMap(z, DX, DX)) == ()


# --- analytic shapes on a flat plane, against the true skin level --------------------------------
def test_cone_depth_area_volume_and_type():
    # Cone of depth D and rim radius R at (3.0, 2.4) mm: depth(r) = D (1 - r / R). The footprint is
    # where depth > t (t = reported threshold): radius r_t = R (1 - t / D), area pi r_t^2, volume
    # 2 pi D (r_t^2 / 2 - r_t^3 / (3 R)).
    x, y = plane()
    depth_mm, radius = 0.6, 0.7
    r = np.hypot(x - 3.0, y - 2.4)
    surface, skin = with_flat_skin(-depth_mm * np.clip(1 - r / radius, 0, None))
    (scar,) = detect_scars(surface, skin_level_mm=skin)
    t = scar.threshold_mm
    r_t = radius * (1 - t / depth_mm)
    assert scar.type == "icepick"
    assert scar.depth_mm == pytest.approx(depth_mm, abs=1e-12)
    assert scar.centroid_mm == pytest.approx((3.0, 2.4), abs=1e-3)
    assert scar.area_mm2 == pytest.approx(math.pi * r_t**2, rel=0.02)
    assert scar.width_mm == pytest.approx(2 * r_t, rel=0.01)
    assert scar.volume_mm3 == pytest.approx(2 * math.pi * depth_mm * (r_t**2 / 2 - r_t**3 / (3 * radius)), rel=0.01)
    assert scar.mean_wall_slope_deg == pytest.approx(math.degrees(math.atan(depth_mm / radius)), abs=3.0)


def test_spherical_cap_volume_and_rolling_type():
    # Cap of depth D, rim radius a on a sphere of radius rho = (a^2 + D^2) / (2 D). Above the
    # threshold t the footprint is a cap of depth D - t (radius a_t) plus a slab t thick:
    # V = pi (D - t) (3 a_t^2 + (D - t)^2) / 6 + t pi a_t^2.
    x, y = plane(400, 400)
    depth_mm, a = 0.3, 2.5
    rho = (a**2 + depth_mm**2) / (2 * depth_mm)
    r2 = (x - 4.0) ** 2 + (y - 4.0) ** 2
    cap = np.where(r2 < a**2, np.sqrt(np.clip(rho**2 - r2, 0, None)) - (rho - depth_mm), 0.0)
    surface, skin = with_flat_skin(-cap)
    (scar,) = detect_scars(surface, skin_level_mm=skin)
    t = scar.threshold_mm
    h = depth_mm - t
    a_t = math.sqrt(2 * rho * h - h * h)
    assert scar.type == "rolling"
    assert scar.depth_mm == pytest.approx(depth_mm, abs=1e-12)
    assert scar.area_mm2 == pytest.approx(math.pi * a_t**2, rel=0.01)
    assert scar.volume_mm3 == pytest.approx(math.pi * h * (3 * a_t**2 + h * h) / 6 + t * math.pi * a_t**2, rel=0.01)


def test_cylinder_is_a_flat_floored_boxcar():
    x, y = plane()
    r = np.hypot(x - 3.0, y - 3.0)
    surface, skin = with_flat_skin(np.where(r < 1.2, -0.35, 0.0))
    (scar,) = detect_scars(surface, skin_level_mm=skin)
    assert scar.type == "boxcar"
    assert scar.floor_flatness > 0.8
    assert scar.area_mm2 == pytest.approx(math.pi * 1.2**2, rel=0.03)
    assert scar.volume_mm3 == pytest.approx(0.35 * math.pi * 1.2**2, rel=0.03)
    assert scar.depth_mm == pytest.approx(0.35)


def test_anisotropic_pixels_give_the_same_scar():
    # The same cone sampled at dx = 0.015, dy = 0.03: area and volume in mm are unchanged.
    results = []
    for dx, dy in [(0.02, 0.02), (0.015, 0.03)]:
        x, y = plane(int(6 / dx), int(6 / dy), dx, dy)
        r = np.hypot(x - 3.0, y - 3.0)
        surface, skin = with_flat_skin(-0.5 * np.clip(1 - r / 1.0, 0, None), dx, dy)
        (scar,) = detect_scars(surface, skin_level_mm=skin)
        results.append(scar)
    a, b = results
    assert b.centroid_mm == pytest.approx(a.centroid_mm, abs=0.02)
    assert b.area_mm2 == pytest.approx(a.area_mm2, rel=0.03)
    assert b.volume_mm3 == pytest.approx(a.volume_mm3, rel=0.03)
    assert b.type == a.type == "icepick"


def test_raised_lesions_plateau_yes_soft_bump_no():
    x, y = plane(400, 300)
    plateau = 0.3 * (np.hypot(x - 2.5, y - 3.0) < 1.0)  # firm plateau 2 mm wide, 0.3 mm high
    bump = 0.1 * np.exp(-0.5 * (np.hypot(x - 6.0, y - 3.0) / 0.25) ** 2)  # soft 0.1 mm bump
    surface, skin = with_flat_skin(plateau + bump)
    (scar,) = detect_scars(surface, skin_level_mm=skin)
    assert scar.type == "hypertrophic"
    assert scar.depth_mm == pytest.approx(-0.3)  # negative: height above skin level
    assert scar.centroid_mm == pytest.approx((2.5, 3.0), abs=0.01)
    assert scar.volume_mm3 == pytest.approx(0.3 * math.pi, rel=0.03)


def test_small_or_shallow_pits_are_not_scars():
    x, y = plane()
    pore = 0.04 * np.exp(-0.5 * (np.hypot(x - 2.0, y - 2.0) / 0.03) ** 2)  # pore: 0.07 mm wide, 0.04 deep
    shallow = 0.06 * (np.hypot(x - 4.0, y - 4.0) < 0.6)  # 1.2 mm wide but only 0.06 mm deep
    narrow = 0.3 * (np.hypot(x - 4.0, y - 1.5) < 0.1)  # 0.3 mm deep but 0.2 mm wide
    surface, skin = with_flat_skin(-(pore + shallow + narrow))
    assert detect_scars(surface, skin_level_mm=skin) == ()


def test_touching_scars_are_split():
    x, y = plane()
    z = np.zeros_like(x)
    for cx in (2.2, 3.8):  # two raised-cosine bowls 2.4 mm wide, rims overlapping by 0.8 mm
        u = np.clip(np.hypot(x - cx, y - 3.0) / 1.2, 0, 1)
        z -= 0.3 * 0.5 * (1 + np.cos(np.pi * u))  # saddle 0.15 mm, peaks 0.3 mm deep
    surface, skin = with_flat_skin(z)
    seg = segment_scars(surface, skin_level_mm=skin)
    assert len(seg.scars) == 2
    left, right = sorted(seg.scars, key=lambda s: s.centroid_mm[0])
    assert left.centroid_mm[0] < 3.0 < right.centroid_mm[0]
    assert left.depth_mm == pytest.approx(0.3) and right.depth_mm == pytest.approx(0.3)
    assert left.area_mm2 == pytest.approx(right.area_mm2, rel=0.02)


def test_labels_ids_order_and_json():
    x, y = plane()
    z = np.zeros_like(x)
    for cx, cy in [(4.5, 1.0), (1.0, 4.5), (1.0, 1.0)]:
        z -= 0.4 * np.clip(1 - np.hypot(x - cx, y - cy) / 0.5, 0, None)
    surface, skin = with_flat_skin(z)
    seg = segment_scars(surface, skin_level_mm=skin)
    assert [s.id for s in seg.scars] == [1, 2, 3]
    assert [s.centroid_mm for s in seg.scars] == sorted((s.centroid_mm for s in seg.scars), key=lambda c: (c[1], c[0]))
    for s in seg.scars:
        assert (seg.labels == s.id).sum() * DX * DX == pytest.approx(s.area_mm2)
        r0, c0, r1, c1 = s.bbox
        assert (seg.labels[r0:r1, c0:c1] == s.id).any() and (seg.labels == s.id).sum() == (
            seg.labels[r0:r1, c0:c1] == s.id).sum()
        json.dumps(s.to_json())
    np.testing.assert_array_equal(scar_labels(surface, seg.scars, skin_level_mm=skin), seg.labels)
    assert detect_scars(surface, skin_level_mm=skin) == seg.scars
    json.dumps(DetectionSettings().to_json())


def test_cone_on_tilted_plane_with_computed_skin_level():
    # Same cone as above, on a tilted plane, skin level computed (robust regression): the numbers
    # match the hand-worked values to within 1-2% (the level itself is exact on a plane).
    x, y = plane()
    depth_mm, radius = 0.6, 0.7
    r = np.hypot(x - 3.0, y - 2.4)
    z = 0.04 * x - 0.03 * y - depth_mm * np.clip(1 - r / radius, 0, None)
    (scar,) = detect_scars(HeightMap(z, DX, DX))
    t = scar.threshold_mm
    r_t = radius * (1 - t / depth_mm)
    assert scar.depth_mm == pytest.approx(depth_mm, abs=2e-3)
    assert scar.area_mm2 == pytest.approx(math.pi * r_t**2, rel=0.02)
    assert scar.volume_mm3 == pytest.approx(2 * math.pi * depth_mm * (r_t**2 / 2 - r_t**3 / (3 * radius)), rel=0.02)


def test_fill_holes_matches_scipy():
    from scipy import ndimage

    from scarwise.surface.scars._segment import _fill_holes

    rng = np.random.default_rng(3)
    for _ in range(10):
        mask = rng.random((40, 55)) < 0.6
        np.testing.assert_array_equal(_fill_holes(mask), ndimage.binary_fill_holes(mask))
