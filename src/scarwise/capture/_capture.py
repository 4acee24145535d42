"""Photometric stereo end to end: images and lights in, a HeightMap out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.capture._images import load_images
from scarwise.capture._integrate import DIRECT_LIMIT, INTEGRATORS, integrate_slopes
from scarwise.capture._lights import Lights, load_lights
from scarwise.capture._normals import NormalMap, estimate_normals
from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError
from scarwise.core._checks import check_choice, check_positive


@dataclass(frozen=True, eq=False)
class PhotometricScan:
    """A height map reconstructed by photometric stereo, with its normals and albedo."""

    surface: HeightMap
    normals: NormalMap

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: grid, share of pixels with a normal, lights used, albedo."""
        valid = self.normals.valid
        used = self.normals.used[valid]
        albedo = self.normals.albedo[valid]
        return {
            "surface": {"nx": self.surface.nx, "ny": self.surface.ny, "dx_mm": self.surface.dx_mm,
                        "dy_mm": self.surface.dy_mm},
            "valid_fraction": float(valid.mean()),
            "lights_used_median": float(np.median(used)) if used.size else 0.0,
            "albedo_median": float(np.median(albedo)) if albedo.size else None,
            "method": self.surface.metadata.get("integrator"),
        }


def photometric_stereo(
    images: NDArray[np.floating],
    lights: Lights,
    *,
    pixel_mm: float,
    method: str = "auto",
    shadow_fraction: float = 0.1,
    residual_fraction: float = 0.05,
    metadata: dict[str, Any] | None = None,
) -> PhotometricScan:
    """Height map from registered images under known lights.

    Parameters
    ----------
    images : (n, ny, nx) ndarray
        Linear grey images, one per light (n >= 3).
    lights : Lights
        Directions and relative intensities, in the order of ``images``.
    pixel_mm : float
        Pixel size in mm on the skin (orthographic camera).
    method : {"auto", "dct", "fft", "lsq"}
        Integrator (see :func:`integrate_slopes`); ``"auto"``: ``"dct"`` when every pixel has a
        normal, else ``"lsq"`` up to ``DIRECT_LIMIT`` pixels (``"dct"`` above).
    shadow_fraction, residual_fraction : float
        Outlier rejection thresholds of :func:`estimate_normals`.

    Returns
    -------
    PhotometricScan
        ``surface``: heights in mm (mean 0), NaN where no normal could be found.
    """
    check_positive(pixel_mm=pixel_mm)
    check_choice("method", method, ("auto", *INTEGRATORS))
    normals = estimate_normals(images, lights, shadow_fraction=shadow_fraction,
                               residual_fraction=residual_fraction)
    valid = normals.valid
    if valid.sum() < 4:
        raise EmptySurfaceError(
            "fewer than 4 pixels have a normal: are the images dark, saturated or under the wrong lights?"
        )
    if method == "auto":
        method = "dct" if valid.all() or valid.size > DIRECT_LIMIT else "lsq"
    p, q = normals.slopes()
    z = integrate_slopes(p, q, dx_mm=pixel_mm, dy_mm=pixel_mm, method=method)
    z -= np.nanmean(z)
    meta = {"source": "photometric stereo", "format": "capture", "n_images": int(len(lights)),
            "integrator": method, "valid_fraction": float(valid.mean()), **(metadata or {})}
    return PhotometricScan(HeightMap(z, pixel_mm, pixel_mm, meta), normals)


def capture_scan(
    image_paths: Sequence[str | Path],
    lights: str | Path | Lights,
    *,
    pixel_mm: float,
    method: str = "auto",
    max_points: int | None = None,
) -> PhotometricScan:
    """Read images and LIGHTS.json (or CSV) and reconstruct the height map (``scarwise capture``)."""
    check_positive(pixel_mm=pixel_mm)
    if not isinstance(lights, Lights):
        lights = load_lights(lights, n_images=len(image_paths))
    stack = load_images(image_paths, max_points=max_points)
    if len(lights) != stack.shape[0]:
        raise InvalidParameterError(
            f"{stack.shape[0]} images but {len(lights)} light directions; give one direction per image"
        )
    names = [Path(p).name for p in image_paths]
    return photometric_stereo(stack, lights, pixel_mm=pixel_mm, method=method, metadata={"images": names})
