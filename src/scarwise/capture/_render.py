"""Render photographs of a height map under known lights: the forward model used for testing,
demonstrations and benchmarks of photometric stereo.

Lambertian diffuse light ``rho * max(0, n . L)``, an optional Blinn-Phong specular lobe
``k_s * max(0, n . h)^shininess`` with ``h`` the unit half vector of ``L`` and the view
direction (0, 0, 1), cast shadows by marching from each pixel towards the light, and Gaussian
noise. Normals come from central differences of the heights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from scarwise.capture._lights import Lights
from scarwise.core import HeightMap
from scarwise.core._checks import check_non_negative


def surface_normals(surface: HeightMap) -> NDArray[np.float64]:
    """Unit normals (ny, nx, 3) of a height map from central differences (NaN heights give NaN)."""
    zy, zx = np.gradient(surface.z, surface.dy_mm, surface.dx_mm)
    n = np.stack([-zx, -zy, np.ones_like(zx)], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def cast_shadows(surface: HeightMap, direction: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True where the light from unit ``direction`` is blocked by higher skin on its way."""
    z = np.nan_to_num(surface.z, nan=float(np.nanmin(surface.z)))
    lx, ly, lz = (float(c) for c in direction)
    horizontal = np.hypot(lx, ly)
    if horizontal < 1e-9:
        return np.zeros(z.shape, dtype=bool)
    # One step = one pixel along the light's horizontal direction; the ray rises by rise_mm.
    step_x, step_y = lx / horizontal, ly / horizontal
    step_mm = np.hypot(step_x * surface.dx_mm, step_y * surface.dy_mm)
    rise_mm = step_mm * lz / horizontal
    n_steps = int(np.ceil((z.max() - z.min()) / rise_mm)) + 1
    yy, xx = np.mgrid[0 : z.shape[0], 0 : z.shape[1]].astype(np.float64)
    shadow = np.zeros(z.shape, dtype=bool)
    for s in range(1, min(n_steps, max(z.shape)) + 1):
        along = ndimage.map_coordinates(z, [yy + s * step_y, xx + s * step_x], order=1, mode="nearest")
        shadow |= along > z + s * rise_mm + 1e-12
    return shadow


def render_images(
    surface: HeightMap,
    lights: Lights,
    *,
    albedo: float | NDArray[np.float64] = 0.6,
    specular: float = 0.0,
    shininess: float = 40.0,
    shadows: bool = True,
    ambient: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> NDArray[np.float32]:
    """Images (n, ny, nx) of ``surface`` under each light, values clipped to 0-1.

    Parameters
    ----------
    surface : HeightMap
        Heights in mm.
    lights : Lights
        Directions and intensities.
    albedo : float or (ny, nx) ndarray
        Diffuse reflectance.
    specular, shininess : float
        Strength and exponent of the Blinn-Phong lobe (0: none).
    shadows : bool
        Cast shadows (attached shadows are always there).
    ambient : float
        Light reaching shadowed points (share of the albedo).
    noise : float
        Standard deviation of additive Gaussian noise on the 0-1 scale.
    seed : int
        Seed of the noise.
    """
    check_non_negative(specular=specular, shininess=shininess, ambient=ambient, noise=noise)
    normals = surface_normals(surface)
    rng = np.random.default_rng(seed)
    out = np.empty((len(lights), surface.ny, surface.nx), dtype=np.float32)
    view = np.array([0.0, 0.0, 1.0])
    for k, (d, s) in enumerate(zip(lights.directions, lights.intensities, strict=True)):
        shade = np.clip(normals @ d, 0.0, None)
        h = (d + view) / np.linalg.norm(d + view)
        spec = specular * np.clip(normals @ h, 0.0, None) ** shininess if specular > 0 else 0.0
        lit = s * (albedo * shade + spec * (shade > 0))
        if shadows:
            lit = np.where(cast_shadows(surface, d), 0.0, lit)
        img = lit + ambient * albedo
        if noise > 0:
            img = img + rng.normal(0.0, noise, img.shape)
        out[k] = np.clip(np.nan_to_num(img), 0.0, 1.0)
    return out
