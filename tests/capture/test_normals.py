"""Per-pixel normals: exact on clean data, robust to shadows and highlights."""

from __future__ import annotations

import numpy as np
import pytest

from scarwise.capture import Lights, estimate_normals, render_images, surface_normals
from scarwise.capture._normals import _normals_kernel
from scarwise.core import HeightMap, InvalidParameterError

from .conftest import ring_lights


def _angles(a, b):
    return np.degrees(np.arccos(np.clip((a * b).sum(-1), -1, 1)))


def _bump(n=64, pixel=0.02):
    y, x = np.mgrid[0:n, 0:n] * pixel
    z = -0.15 * np.exp(-((x - 0.6) ** 2 + (y - 0.7) ** 2) / (2 * 0.2**2)) + 0.05 * x
    return HeightMap(z, pixel, pixel)


def test_clean_lambertian_is_exact():
    surface = _bump()
    lights = Lights(ring_lights(4, 55.0), [1.0, 0.8, 1.2, 0.9])
    albedo = 0.3 + 0.4 * np.random.default_rng(0).random((64, 64))
    images = render_images(surface, lights, albedo=albedo, shadows=False)
    nm = estimate_normals(images, lights)
    assert nm.valid.all()
    assert _angles(nm.normals, surface_normals(surface)).max() < 0.05  # float32 normals: arccos near 1
    np.testing.assert_allclose(nm.albedo, albedo, rtol=1e-4)


def test_compiled_kernel_matches_python():
    surface = _bump(24)
    lights = Lights(ring_lights(6, 45.0))
    images = render_images(surface, lights, specular=0.5, shininess=60, noise=0.01, seed=2)
    out_c = (np.empty((24, 24, 3), np.float32), np.empty((24, 24), np.float32), np.empty((24, 24), np.uint8),
             np.empty((24, 24)), np.empty((24, 24)))
    out_p = tuple(np.empty_like(a) for a in out_c)
    args = (images, lights.directions, lights.intensities, 0.1, 0.05, 2)
    _normals_kernel(*args, *out_c)
    _normals_kernel.py_func(*args, *out_p)
    for c, p in zip(out_c, out_p, strict=True):
        np.testing.assert_allclose(c, p, rtol=1e-5, atol=1e-6)


def test_rejects_shadows_and_highlights(scarred_patch, ring8):
    truth = surface_normals(scarred_patch.surface)
    images = render_images(scarred_patch.surface, ring8, specular=0.5, shininess=100, noise=0.005, seed=3)
    robust = estimate_normals(images, ring8)
    # Plain least squares over all observations (Woodham 1980), no rejection:
    b = np.linalg.lstsq(ring8.directions, images.reshape(len(ring8), -1), rcond=None)[0].T
    plain = (b / np.linalg.norm(b, axis=1, keepdims=True)).reshape(truth.shape)
    err_robust = np.nanmedian(_angles(robust.normals, truth))
    err_plain = np.nanmedian(_angles(plain, truth))
    print(f"median normal error: robust {err_robust:.2f} deg, no rejection {err_plain:.2f} deg")
    assert robust.valid.mean() > 0.99
    assert err_robust < 2.0
    assert err_robust < 0.5 * err_plain


def test_bad_input():
    lights = Lights(ring_lights(4, 50.0))
    with pytest.raises(InvalidParameterError, match="3 images but 4 light"):
        estimate_normals(np.zeros((3, 8, 8)), lights)
    with pytest.raises(InvalidParameterError, match="stack"):
        estimate_normals(np.zeros((8, 8)), lights)
    with pytest.raises(InvalidParameterError, match="residual_fraction"):
        estimate_normals(np.zeros((4, 8, 8)), lights, residual_fraction=0)
    nm = estimate_normals(np.zeros((4, 8, 8)), lights)  # black images: no normals, no crash
    assert not nm.valid.any()
