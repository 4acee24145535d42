"""Colour indices on synthetic skin with known haemoglobin and melanin."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.capture import (
    colour_maps,
    colour_stats,
    find_discoloured,
    normalise_to_patch,
    srgb_to_linear,
)
from scarwise.core import InvalidParameterError

# A Beer-Lambert toy skin: reflectance per channel R_c = R0_c exp(-(eh_c * c_h + em_c * c_m)).
# Haemoglobin absorbs green far more than red; melanin absorbs more at shorter wavelengths.
R0 = np.array([0.75, 0.65, 0.55])
EPS_HB = np.array([0.05, 0.9, 0.5])
EPS_MEL = np.array([0.5, 0.8, 1.1])


def reflectance(c_h, c_m):
    c_h, c_m = np.asarray(c_h, float), np.asarray(c_m, float)
    return R0 * np.exp(-(EPS_HB * c_h[..., None] + EPS_MEL * c_m[..., None]))


def expected_indices(c_h, c_m):
    """EI = 100 log10(R/G), MI = 100 log10(1/R), worked out for the toy model."""
    ln10 = np.log(10)
    ei = 100 / ln10 * (np.log(R0[0] / R0[1]) + (EPS_HB[1] - EPS_HB[0]) * c_h + (EPS_MEL[1] - EPS_MEL[0]) * c_m)
    mi = 100 / ln10 * (-np.log(R0[0]) + EPS_HB[0] * c_h + EPS_MEL[0] * c_m)
    return ei, mi


def patch_image(levels_h, levels_m, size=20):
    """A grid of uniform patches: rows vary haemoglobin, columns melanin."""
    c_h = np.repeat(np.asarray(levels_h, float), size)[:, None] * np.ones(len(levels_m) * size)
    c_m = np.repeat(np.asarray(levels_m, float), size)[None, :] * np.ones((len(levels_h) * size, 1))
    return reflectance(c_h, c_m), c_h, c_m


def test_indices_match_formula_and_rank_patches():
    h, m = [0.0, 0.3, 0.6, 1.0], [0.0, 0.4, 0.8]
    img, c_h, c_m = patch_image(h, m)
    maps = colour_maps(img)
    ei, mi = expected_indices(c_h, c_m)
    np.testing.assert_allclose(maps.erythema, ei, atol=1e-9)
    np.testing.assert_allclose(maps.melanin, mi, atol=1e-9)
    means_ei = maps.erythema[::20, ::20]  # one value per patch (rows: haemoglobin, columns: melanin)
    means_mi = maps.melanin[::20, ::20]
    assert (np.diff(means_ei, axis=0) > 0).all()  # more blood -> redder, at every melanin level
    assert (np.diff(means_mi, axis=1) > 0).all()  # more pigment -> higher melanin index
    assert (np.diff(maps.ita_deg[::20, ::20], axis=1) < 0).all()  # ...and a lower ITA
    assert (np.diff(maps.a_star[::20, ::20], axis=0) > 0).all()  # more blood -> higher a*


def test_srgb_photo_and_chart_normalisation():
    img, c_h, c_m = patch_image([0.0, 0.5], [0.2, 0.7])
    white = np.full((10, img.shape[1], 3), 0.9)  # a white card of reflectance 0.9 above the skin
    scene = np.concatenate([white, img], axis=0)
    illuminant = np.array([1.05, 0.9, 0.7])  # a warm light, unknown to the analysis
    raw = np.clip(scene * illuminant, 0, 1)
    encoded = np.round(np.where(raw <= 0.0031308, 12.92 * raw, 1.055 * raw ** (1 / 2.4) - 0.055) * 255) / 255
    linear = srgb_to_linear(encoded)
    norm = normalise_to_patch(linear, (0, 0, img.shape[1], 10), reflectance=0.9)
    maps = colour_maps(norm[10:])
    ei, mi = expected_indices(c_h, c_m)
    # 8-bit quantisation moves the indices by well under one unit at these reflectances
    assert np.abs(maps.erythema - ei).max() < 0.6
    assert np.abs(maps.melanin - mi).max() < 0.6
    # without the chart the warm light shifts erythema by 100 log10(1.05 / 0.9) = 6.7
    off = colour_maps(linear[10:])
    assert np.median(off.erythema - ei) == pytest.approx(100 * np.log10(1.05 / 0.9), abs=0.6)


def test_region_stats_against_surround_and_detection():
    ny, nx, px = 120, 160, 0.05
    c_h = np.full((ny, nx), 0.2)
    c_m = np.full((ny, nx), 0.3)
    labels = np.zeros((ny, nx), np.int32)
    labels[30:60, 20:50] = 1  # a red macular scar
    labels[70:100, 100:140] = 2  # a pigmented one
    c_h[labels == 1] = 0.7
    c_m[labels == 2] = 0.9
    rng = np.random.default_rng(0)
    img = reflectance(c_h, c_m) * (1 + rng.normal(0, 0.003, (ny, nx, 1)))
    stats = colour_stats(colour_maps(img), labels, pixel_mm=px, ring_mm=0.5)
    (r1, r2) = stats.regions
    ei_skin, mi_skin = expected_indices(0.2, 0.3)
    ei_red, _ = expected_indices(0.7, 0.3)
    _, mi_dark = expected_indices(0.2, 0.9)
    assert r1.erythema_delta == pytest.approx(ei_red - ei_skin, abs=0.3)
    assert r2.melanin_delta == pytest.approx(mi_dark - mi_skin, abs=0.3)
    assert abs(r1.melanin_delta) < abs(r2.melanin_delta)
    assert r1.area_mm2 == pytest.approx(30 * 30 * px**2)
    assert stats.skin_erythema_mean == pytest.approx(ei_skin, abs=0.2)
    json_ = stats.to_json()
    assert json_["regions"][0]["id"] == 1 and isinstance(json_["skin"]["melanin_mean"], float)
    found = find_discoloured(colour_maps(img), pixel_mm=px)
    assert found.max() == 2
    for k in (1, 2):  # each patch found where it is
        overlap = (found > 0) & (labels == k)
        assert overlap.sum() > 0.8 * (labels == k).sum()


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="colour photograph"):
        colour_maps(np.zeros((5, 5)))
    with pytest.raises(InvalidParameterError, match="outside"):
        normalise_to_patch(np.ones((5, 5, 3)), (0, 0, 10, 2))
    with pytest.raises(InvalidParameterError, match="black"):
        normalise_to_patch(np.zeros((5, 5, 3)), (0, 0, 2, 2))
    with pytest.raises(InvalidParameterError, match="registered"):
        colour_stats(colour_maps(np.full((5, 5, 3), 0.5)), np.zeros((4, 5), int), pixel_mm=0.1)
    dark = colour_maps(np.zeros((3, 3, 3)))  # black or saturated pixels give no index
    assert not dark.valid.any()
