"""Point lists: CSV (``x_mm,y_mm,z_mm``) and XYZ text, and gridding of (x, y, z) points.

Points on a regular grid (in any order, from any origin, with rows absent) become that grid,
absent points NaN; the pixel size comes from the coordinate differences, rounded to 9 significant
digits. Scattered points are interpolated linearly (``scipy.interpolate.griddata``) with a warning.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import griddata
from scipy.spatial import QhullError, cKDTree

from scarwise.core import HeightMap, InvalidFileError, MissingPixelSizeError, check_point_count, max_points
from scarwise.surface.io._limits import round_sig, warn

CSV_HEADER = ("x_mm", "y_mm", "z_mm")
#: A regular grid must hold at least this share of its cells; sparser point sets are gridded.
MIN_GRID_FILL = 0.01
#: Gridded cells farther than this many spacings from every point are left missing (NaN).
GAP_SPACINGS = 3.0


class _Irregular(Exception):
    pass


def _axis(v: NDArray[np.float64]) -> tuple[float | None, NDArray[np.int64]]:
    """Step and integer index of coordinates on a regular axis; raise _Irregular otherwise."""
    v0 = float(v.min())
    u = np.unique(v)
    span = float(u[-1] - u[0])
    if span == 0:
        return None, np.zeros(v.shape, dtype=np.int64)
    d = np.diff(u)
    d = d[d > 1e-9 * span]  # coordinates printed with float noise are the same coordinate
    step = float(d.min())
    idx = np.rint((v - v0) / step)
    if idx.max() > 1e9:
        raise _Irregular
    step = float(np.dot(idx, v - v0) / np.dot(idx, idx))  # least-squares refinement
    step = round_sig(step)
    if np.abs(v - v0 - idx * step).max() > 1e-3 * step:
        raise _Irregular
    return step, idx.astype(np.int64)


def grid_points(
    x: NDArray, y: NDArray, z: NDArray, *, name: str, pixel_mm: float | None, limit: int | None,
    metadata: dict[str, Any],
) -> tuple[NDArray[np.float64], float, float]:
    """Heights (ny, nx), dx and dy in mm from points; records notes and warnings in ``metadata``.

    Parameters
    ----------
    x, y, z : (n,) ndarray
        Coordinates in mm; z NaN for a missing point.
    name : str
        File name for messages.
    pixel_mm : float, optional
        Overrides the grid's pixel size (with a warning), or sets the gridding resolution of
        scattered points (otherwise the median nearest-neighbour spacing).
    limit : int, optional
        Point limit (see :func:`scarwise.core.max_points`).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    if x.size == 0:
        raise InvalidFileError(f"{name} holds no points")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidFileError(f"{name}: x and y coordinates must all be finite numbers")
    x0, y0 = float(x.min()), float(y.min())
    metadata["origin_mm"] = [x0, y0]
    try:
        dx, ix = _axis(x)
        dy, iy = _axis(y)
        nx, ny = int(ix.max()) + 1, int(iy.max()) + 1
        if x.size < MIN_GRID_FILL * nx * ny:
            raise _Irregular
        flat = iy * nx + ix
        if np.unique(flat).size != flat.size:
            raise _Irregular  # two points in one cell
    except _Irregular:
        return _grid_scattered(x, y, z, name=name, pixel_mm=pixel_mm, limit=limit, metadata=metadata)
    if dx is None and dy is None:
        if pixel_mm is None:
            raise MissingPixelSizeError(f"{name} holds a single point; pass pixel_mm= (CLI: --pixel-mm 0.02)")
        dx = dy = pixel_mm
    elif dx is None or dy is None:
        dx = dy = dx if dx is not None else dy  # one row or one column: square pixels assumed
        metadata.setdefault("notes", []).append("one row or column: pixel assumed square")
    if pixel_mm is not None and (not math.isclose(pixel_mm, dx, rel_tol=1e-9)
                                 or not math.isclose(pixel_mm, dy, rel_tol=1e-9)):
        warn(metadata, f"{name}: pixel_mm={pixel_mm} overrides the grid spacing {dx} x {dy} mm of the file")
        dx = dy = pixel_mm
    check_point_count(nx, ny, limit=limit, what=name)
    grid = np.full((ny, nx), np.nan)
    grid[iy, ix] = z
    return grid, float(dx), float(dy)


def _grid_scattered(
    x: NDArray, y: NDArray, z: NDArray, *, name: str, pixel_mm: float | None, limit: int | None,
    metadata: dict[str, Any],
) -> tuple[NDArray[np.float64], float, float]:
    keep = np.isfinite(z)
    x, y, z = x[keep], y[keep], z[keep]
    if x.size < 3:
        raise InvalidFileError(f"{name}: too few valid scattered points ({x.size}) to grid")
    pts = np.column_stack([x, y])
    tree = cKDTree(pts)
    dist, _ = tree.query(pts, k=2)
    spacing = float(np.median(dist[:, 1]))
    if pixel_mm is None:
        if spacing <= 0:
            raise MissingPixelSizeError(f"{name}: cannot infer a pixel size; pass pixel_mm=")
        pixel = round_sig(spacing)
        how = f"the median nearest-neighbour spacing, {pixel} mm (pass --pixel-mm to choose)"
    else:
        pixel = float(pixel_mm)
        how = f"pixel_mm={pixel} mm"
    x0, y0 = float(x.min()), float(y.min())
    nx = int(math.floor((float(x.max()) - x0) / pixel + 1e-9)) + 1
    ny = int(math.floor((float(y.max()) - y0) / pixel + 1e-9)) + 1
    check_point_count(nx, ny, limit=limit, what=f"{name} gridded at {pixel} mm")
    gx, gy = np.meshgrid(x0 + np.arange(nx) * pixel, y0 + np.arange(ny) * pixel)
    try:
        grid = griddata(pts, z, (gx, gy), method="linear")
    except (QhullError, ValueError) as exc:
        raise InvalidFileError(f"{name}: cannot grid the points (are they all on a line?): {exc}") from exc
    far, _ = tree.query(np.column_stack([gx.ravel(), gy.ravel()]), k=1,
                        distance_upper_bound=GAP_SPACINGS * max(spacing, pixel))
    grid[np.isinf(far).reshape(grid.shape)] = np.nan
    warn(metadata, f"{name}: points are not on a regular grid; interpolated linearly onto a grid at {how}")
    metadata.setdefault("notes", []).append(f"gridded from {x.size} scattered points, pixel {pixel} mm")
    return grid, pixel, pixel


def _bad_line(path: Path, *, delimiter: str | None, skip: int) -> str:
    """Find the first data line that is not three numbers (error path only)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if number <= skip or not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.strip().split(delimiter)
            try:
                if len(fields) != 3:
                    raise ValueError
                [float(f) for f in fields]
            except ValueError:
                shown = line.strip()[:60]
                return f"line {number} ({shown!r}) is not three numbers x, y, z"
    return "unreadable data"


def _read_table(path: Path, *, delimiter: str | None, skip: int, limit: int) -> NDArray[np.float64]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
            data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, ndmin=2, max_rows=limit + 1,
                              comments="#", encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidFileError(f"{path.name}: {_bad_line(path, delimiter=delimiter, skip=skip)}") from exc
    if data.shape[0] == 0:
        raise InvalidFileError(f"{path.name} holds no data rows")
    if data.shape[1] != 3:
        raise InvalidFileError(
            f"{path.name}: expected 3 columns x, y, z, found {data.shape[1]}; "
            f"{_bad_line(path, delimiter=delimiter, skip=skip)}"
        )
    if data.shape[0] > limit:
        check_point_count(data.shape[0], 1, limit=limit, what=f"{path.name} (rows)")
    return data


def _first_line(path: Path) -> tuple[str, int]:
    """The first non-blank line (at most 4 KiB) and its 1-based number."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number in range(1, 1001):
            line = fh.readline(4096)  # bounded: a file without newlines is not read whole here
            if not line:
                break
            if line.strip():
                return line.strip(), number
    raise InvalidFileError(f"{path.name} is empty")


def read_csv(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read a CSV with header ``x_mm,y_mm,z_mm`` (columns in any order, rows in any order)."""
    header, number = _first_line(path)
    names = [h.strip().strip('"').lower() for h in header.split(",")]
    if sorted(names) != sorted(CSV_HEADER):
        raise InvalidFileError(
            f"{path.name}: line {number} must be the header x_mm,y_mm,z_mm (coordinates and heights in mm), "
            f"found {header[:60]!r}"
        )
    data = _read_table(path, delimiter=",", skip=number, limit=max_points(limit))
    cols = [names.index(n) for n in CSV_HEADER]
    meta: dict[str, Any] = {}
    z, dx, dy = grid_points(data[:, cols[0]], data[:, cols[1]], data[:, cols[2]], name=path.name,
                            pixel_mm=pixel_mm, limit=limit, metadata=meta)
    return HeightMap(z, dx, dy, meta)


def read_xyz(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read whitespace-separated ``x y z`` in mm, with or without one header line."""
    first, number = _first_line(path)
    try:
        [float(f) for f in first.split()]
        skip = number - 1
    except ValueError:
        skip = number  # a header line
    data = _read_table(path, delimiter=None, skip=skip, limit=max_points(limit))
    meta: dict[str, Any] = {}
    z, dx, dy = grid_points(data[:, 0], data[:, 1], data[:, 2], name=path.name, pixel_mm=pixel_mm,
                            limit=limit, metadata=meta)
    return HeightMap(z, dx, dy, meta)


def _table(surface: HeightMap) -> NDArray[np.float64]:
    yy, xx = np.meshgrid(surface.y_mm, surface.x_mm, indexing="ij")
    return np.column_stack([xx.ravel(), yy.ravel(), surface.z.ravel()])


def write_csv(surface: HeightMap, path: Path) -> None:
    """Every grid point as ``x_mm,y_mm,z_mm`` (17 significant digits; ``nan`` where missing)."""
    np.savetxt(path, _table(surface), delimiter=",", fmt="%.17g", header=",".join(CSV_HEADER), comments="")


def write_xyz(surface: HeightMap, path: Path) -> None:
    """Every grid point as ``x y z`` in mm, no header (``nan`` where missing)."""
    np.savetxt(path, _table(surface), delimiter=" ", fmt="%.17g")
