"""Light directions for photometric stereo: from a JSON/CSV file, or calibrated from a sphere.

Frame (DESIGN.md, ``scarwise capture``): x along image columns, y along rows, z towards the
camera; each direction is a unit vector pointing from the skin towards the light.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from scarwise.core import InvalidFileError, InvalidParameterError, UnsupportedFormatError

#: A direction counts as a unit vector when its length is within this of 1 (a 3-decimal JSON rounds by < 1e-3).
UNIT_TOLERANCE = 2e-3


@dataclass(frozen=True, eq=False)
class Lights:
    """Known lights of one capture.

    Parameters
    ----------
    directions : (n, 3) ndarray
        Unit vectors from the skin towards each light (x columns, y rows, z towards the camera).
    intensities : (n,) ndarray
        Relative light intensities (1 = equal lights).
    """

    directions: NDArray[np.float64]
    intensities: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        d, s = check_lights(self.directions, self.intensities)
        object.__setattr__(self, "directions", d)
        object.__setattr__(self, "intensities", s)

    def __len__(self) -> int:
        return int(self.directions.shape[0])

    def to_json(self) -> dict[str, Any]:
        """``{"directions": [[x, y, z], ...], "intensities": [...]}`` (the LIGHTS.json format)."""
        return {"directions": self.directions.tolist(), "intensities": self.intensities.tolist()}


def check_lights(directions: Any, intensities: Any = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate light directions (n, 3) and intensities (n,); return them as float64 arrays."""
    try:
        d = np.asarray(directions, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"light directions must be numbers [[x, y, z], ...]: {exc}") from exc
    if d.ndim != 2 or d.shape[1] != 3:
        raise InvalidParameterError(f"light directions must be a list of [x, y, z] vectors, got shape {d.shape}")
    if len(d) < 3:
        raise InvalidParameterError(f"photometric stereo needs at least 3 light directions, got {len(d)}")
    if not np.isfinite(d).all():
        raise InvalidParameterError("light directions hold NaN or infinite values")
    norms = np.linalg.norm(d, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > UNIT_TOLERANCE)
    if bad.size:
        i = int(bad[0])
        raise InvalidParameterError(
            f"light direction {i} {d[i].tolist()} has length {norms[i]:.4g}, not 1; give unit vectors "
            "(divide each by its length) and put relative brightness in \"intensities\""
        )
    if (d[:, 2] <= 0).any():
        i = int(np.flatnonzero(d[:, 2] <= 0)[0])
        raise InvalidParameterError(
            f"light direction {i} {d[i].tolist()} points away from the camera (z <= 0); z runs from the skin "
            "towards the camera"
        )
    d = d / norms[:, None]
    if np.linalg.matrix_rank(d, tol=1e-3) < 3:
        raise InvalidParameterError("light directions are (nearly) coplanar; at least 3 must be independent")
    if intensities is None:
        s = np.ones(len(d))
    else:
        try:
            s = np.asarray(intensities, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"light intensities must be numbers: {exc}") from exc
        if s.shape != (len(d),):
            raise InvalidParameterError(f"{len(d)} light directions but {s.size} intensities; give one per light")
        if not np.isfinite(s).all() or (s <= 0).any():
            raise InvalidParameterError("light intensities must be finite numbers > 0")
    return d, s


def load_lights(path: str | Path, *, n_images: int | None = None) -> Lights:
    """Read light directions from LIGHTS.json or a CSV file.

    Parameters
    ----------
    path : str or Path
        JSON ``{"directions": [[x, y, z], ...], "intensities": [...] (optional)}``, or CSV with
        columns ``x,y,z`` and optionally ``intensity`` (header row optional).
    n_images : int, optional
        Number of images the lights belong to; a different count is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidFileError(f"lights file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFileError(f"{path.name} could not be read as text: {exc}") from exc
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidFileError(f"{path.name} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or "directions" not in data:
            raise InvalidFileError(f'{path.name} must hold an object {{"directions": [[x, y, z], ...]}}')
        unknown = set(data) - {"directions", "intensities"}
        if unknown:
            raise InvalidFileError(f"{path.name}: unknown keys {sorted(unknown)}; allowed: directions, intensities")
        lights = Lights(data["directions"], data.get("intensities"))
    elif suffix == ".csv":
        lights = _lights_from_csv(path.name, text)
    else:
        raise UnsupportedFormatError(f"{path.name}: lights must be a .json or .csv file")
    if n_images is not None and len(lights) != n_images:
        raise InvalidParameterError(
            f"{path.name} gives {len(lights)} light directions for {n_images} images; give one per image, "
            "in the same order"
        )
    return lights


def _lights_from_csv(name: str, text: str) -> Lights:
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if rows and not _is_number(rows[0][0]):
        header = [c.strip().lower() for c in rows[0]]
        rows = rows[1:]
        if header[:3] != ["x", "y", "z"] or (len(header) > 3 and header[3] not in ("intensity", "intensities")):
            raise InvalidFileError(f"{name}: CSV header must be x,y,z[,intensity], got {','.join(header)}")
    try:
        values = [[float(c) for c in r] for r in rows]
    except ValueError as exc:
        raise InvalidFileError(f"{name}: CSV holds a value that is not a number ({exc})") from exc
    widths = {len(r) for r in values}
    if not values or widths - {3, 4} or len(widths) != 1:
        raise InvalidFileError(f"{name}: every CSV row must have 3 (x,y,z) or 4 (x,y,z,intensity) numbers")
    arr = np.asarray(values)
    return Lights(arr[:, :3], arr[:, 3] if arr.shape[1] == 4 else None)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def find_sphere(image: NDArray[np.float64], *, threshold: float | None = None) -> tuple[float, float, float]:
    """Centre (x, y) and radius of a bright sphere on a dark background, in pixels.

    ``image`` is the pixel-wise maximum (chrome) or mean (matte) over the calibration images;
    the sphere is the largest region above ``threshold`` (Otsu's threshold when None).
    """
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    if image.ndim != 2 or min(image.shape) < 8:
        raise InvalidParameterError(f"sphere image must be 2-D and at least 8 x 8 pixels, got {image.shape}")
    t = float(threshold_otsu(image)) if threshold is None else float(threshold)
    mask = ndimage.binary_fill_holes(image > t)
    labels, n = ndimage.label(mask)
    if n == 0:
        raise InvalidParameterError("no sphere found: the calibration images are blank; give center/radius")
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    region = labels == (1 + int(np.argmax(sizes)))
    yy, xx = np.nonzero(region)
    return float(xx.mean()), float(yy.mean()), math.sqrt(region.sum() / math.pi)


def calibrate_sphere(
    images: NDArray[np.float64],
    *,
    kind: Literal["chrome", "matte"] = "chrome",
    center_px: tuple[float, float] | None = None,
    radius_px: float | None = None,
) -> Lights:
    """Light directions from images of a sphere taken under the same lights as the skin.

    Parameters
    ----------
    images : (n, ny, nx) ndarray
        One grey image of the sphere per light (orthographic camera, as for the skin).
    kind : {"chrome", "matte"}
        ``"chrome"``: a mirror ball; each light is the mirror reflection of the view direction
        (0, 0, 1) about the sphere normal at the highlight's centroid, L = 2 (n . v) n - v.
        ``"matte"``: a Lambertian ball; each light (and its relative intensity) is the least-
        squares solution of I = n . (s L) over the lit pixels.
    center_px, radius_px : optional
        Sphere centre (x, y) and radius in pixels; found by :func:`find_sphere` when None.

    Returns
    -------
    Lights
        Directions, and intensities (matte only; chrome gives 1).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or images.shape[0] < 3:
        raise InvalidParameterError(f"sphere calibration needs an (n >= 3, ny, nx) stack, got shape {images.shape}")
    if kind not in ("chrome", "matte"):
        raise InvalidParameterError(f"sphere kind {kind!r} unknown; choose 'chrome' or 'matte'")
    if center_px is None or radius_px is None:
        cx, cy, r = find_sphere(images.max(axis=0) if kind == "chrome" else images.mean(axis=0))
        cx, cy = center_px if center_px is not None else (cx, cy)
        r = radius_px if radius_px is not None else r
    else:
        (cx, cy), r = center_px, float(radius_px)
    ny, nx = images.shape[1:]
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    u, v = (xx - cx) / r, (yy - cy) / r
    inside = u**2 + v**2 < 0.98**2  # keep off the silhouette, where normals are ill-defined
    nz = np.sqrt(np.clip(1 - u**2 - v**2, 0, None))
    dirs, gains = [], []
    for i, img in enumerate(images):
        if kind == "chrome":
            vals = np.where(inside, img, -np.inf)
            peak = vals.max()
            if not np.isfinite(peak) or peak <= 0:
                raise InvalidParameterError(f"sphere image {i} shows no highlight on the sphere")
            hi = inside & (img >= 0.9 * peak)
            w = img[hi]
            n = np.array([(u[hi] * w).sum(), (v[hi] * w).sum(), (nz[hi] * w).sum()]) / w.sum()
            n /= np.linalg.norm(n)
            d = 2 * n[2] * n - np.array([0.0, 0.0, 1.0])
            dirs.append(d / np.linalg.norm(d))
            gains.append(1.0)
        else:
            lit = inside & (img > 0.05 * img[inside].max())
            a = np.stack([u[lit], v[lit], nz[lit]], axis=1)
            if len(a) < 10:
                raise InvalidParameterError(f"sphere image {i}: too few lit pixels on the sphere")
            b, *_ = np.linalg.lstsq(a, img[lit], rcond=None)
            s = float(np.linalg.norm(b))
            dirs.append(b / s)
            gains.append(s)
    g = np.asarray(gains)
    return Lights(np.asarray(dirs), g / g.max())
