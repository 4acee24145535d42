"""TIFF height maps (tifffile): float32/float64 heights in mm, pixel size from the resolution tags.

XResolution/YResolution are pixels per ResolutionUnit (INCH or CENTIMETER). A resolution of 1/1
with unit NONE (tifffile's default) or any unit NONE means "no pixel size". The scarwise writer
also stores the exact ``dx_mm``/``dy_mm`` as JSON in ImageDescription (rational tags round them);
the reader uses those when they agree with the tags to 1e-6. Integer TIFFs are refused: their
height unit is unknown.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from scarwise.core import HeightMap, InvalidFileError, MissingPixelSizeError, ScarwiseError, check_point_count
from scarwise.surface.io._limits import as_float_heights, warn

_MM_PER_UNIT = {2: 25.4, 3: 10.0}  # ResolutionUnit INCH, CENTIMETER


def _rational(tag: Any) -> float | None:
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, tuple) and len(value) == 2:
        num, den = value
        return float(num) / float(den) if den else None
    return float(value)


def _stored_pixel(page: Any, shaped: Any) -> tuple[float, float] | None:
    unit = page.tags.get("ResolutionUnit")
    unit_code = int(unit.value) if unit is not None else 2  # TIFF default is INCH
    xres, yres = _rational(page.tags.get("XResolution")), _rational(page.tags.get("YResolution"))
    if unit_code not in _MM_PER_UNIT or not xres or not yres or xres <= 0 or yres <= 0:
        return None
    dx, dy = _MM_PER_UNIT[unit_code] / xres, _MM_PER_UNIT[unit_code] / yres
    if shaped:
        exact = shaped[0] if isinstance(shaped, (tuple, list)) else shaped
        if isinstance(exact, dict):
            try:
                ex, ey = float(exact["dx_mm"]), float(exact["dy_mm"])
                if math.isclose(ex, dx, rel_tol=1e-6) and math.isclose(ey, dy, rel_tol=1e-6):
                    return ex, ey
            except (KeyError, TypeError, ValueError):
                pass
    return dx, dy


def read_tiff(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read the first page of a TIFF as heights in mm."""
    meta: dict[str, Any] = {}
    try:
        with tifffile.TiffFile(path) as tif:
            if not tif.pages:
                raise InvalidFileError(f"{path.name} is not a readable TIFF: it holds no image (corrupt or truncated?)")
            page = tif.pages[0]
            shape = tuple(int(s) for s in page.shape)
            if len(shape) == 3 and 1 in (shape[0], shape[-1]):
                shape = tuple(s for s in shape if s != 1) or (1, 1)
            if len(shape) != 2:
                raise InvalidFileError(
                    f"{path.name}: image of shape {page.shape} is not a single-channel height map"
                )
            check_point_count(shape[1], shape[0], limit=limit, what=path.name)
            if np.dtype(page.dtype).kind != "f":
                raise InvalidFileError(
                    f"{path.name} holds {page.dtype} pixels; scarwise reads float32/float64 heights in mm "
                    "(integer TIFFs carry no height unit: convert to floating-point millimetres first)"
                )
            if len(tif.pages) > 1:
                warn(meta, f"{path.name} holds {len(tif.pages)} pages; the first is read")
            stored = _stored_pixel(page, tif.shaped_metadata)
            z = page.asarray().reshape(shape)
    except ScarwiseError:
        raise
    except Exception as exc:  # tifffile raises many kinds on damaged files
        raise InvalidFileError(f"{path.name} is not a readable TIFF (corrupt or truncated: {exc})") from exc
    z = as_float_heights(z, path=path, what="TIFF")
    if stored is None:
        if pixel_mm is None:
            raise MissingPixelSizeError(
                f"{path.name} stores no pixel size (resolution unit NONE); pass pixel_mm= (CLI: --pixel-mm 0.02)"
            )
        dx = dy = pixel_mm
    else:
        dx, dy = stored
        if pixel_mm is not None and (not math.isclose(pixel_mm, dx, rel_tol=1e-9)
                                     or not math.isclose(pixel_mm, dy, rel_tol=1e-9)):
            warn(meta, f"{path.name}: pixel_mm={pixel_mm} overrides the stored pixel size {dx:.9g} x {dy:.9g} mm")
            dx = dy = pixel_mm
    return HeightMap(z, dx, dy, meta)


def write_tiff(surface: HeightMap, path: Path) -> None:
    """Write float64 heights in mm with the pixel size in the resolution tags (CENTIMETER)."""
    tifffile.imwrite(
        path, np.ascontiguousarray(surface.z, dtype=np.float64),
        resolution=(10.0 / surface.dx_mm, 10.0 / surface.dy_mm), resolutionunit="CENTIMETER",
        metadata={"dx_mm": surface.dx_mm, "dy_mm": surface.dy_mm, "z_unit": "mm", "software": "scarwise"},
    )
