"""Choose a reader or writer by file suffix (case-insensitive)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from scarwise.core import HeightMap, InvalidFileError, InvalidParameterError, UnsupportedFormatError
from scarwise.core import max_points as _max_points
from scarwise.core._checks import check_positive
from scarwise.surface.io._mesh import read_mesh, write_obj, write_ply
from scarwise.surface.io._numpy import read_npy, read_npz, write_npy, write_npz
from scarwise.surface.io._points import read_csv, read_xyz, write_csv, write_xyz
from scarwise.surface.io._tiff import read_tiff, write_tiff
from scarwise.surface.io._x3p import read_x3p, write_x3p

Reader = Callable[..., HeightMap]
Writer = Callable[[HeightMap, Path], None]

#: suffix -> (format name, reader, writer)
_FORMATS: dict[str, tuple[str, Reader, Writer]] = {
    ".x3p": ("x3p", read_x3p, write_x3p),
    ".tif": ("tiff", read_tiff, write_tiff),
    ".tiff": ("tiff", read_tiff, write_tiff),
    ".csv": ("csv", read_csv, write_csv),
    ".xyz": ("xyz", read_xyz, write_xyz),
    ".ply": ("ply", read_mesh, write_ply),
    ".obj": ("obj", read_mesh, write_obj),
    ".npy": ("npy", read_npy, write_npy),
    ".npz": ("npz", read_npz, write_npz),
}

#: File suffixes that :func:`read_surface` and :func:`write_surface` accept.
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)


def _format(path: Path) -> tuple[str, Reader, Writer]:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise UnsupportedFormatError(
            f"{path.name}: file type {suffix or '(none)'!r} is not supported; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    return _FORMATS[suffix]


def read_surface(path: str | os.PathLike[str], *, pixel_mm: float | None = None,
                 max_points: int | None = None) -> HeightMap:
    """Read a scan as a :class:`HeightMap` (heights and pixel size in mm), format by suffix.

    Parameters
    ----------
    path : path-like
        ``.x3p``, ``.tif``/``.tiff``, ``.csv``, ``.xyz``, ``.ply``, ``.obj``, ``.npy`` or ``.npz``.
    pixel_mm : float, optional
        Pixel size in mm: required where the file stores none (npy, TIFF without resolution),
        the resampling step for meshes and scattered points, and otherwise an override of the
        stored size (with a warning recorded in ``metadata['warnings']``).
    max_points : int, optional
        Largest number of grid points accepted (default ``SCARWISE_MAX_POINTS`` or 64 Mi); checked
        before anything large is allocated or decompressed.

    Returns
    -------
    HeightMap
        ``metadata`` holds ``source`` (the path), ``format`` and any ``warnings``.

    Raises
    ------
    UnsupportedFormatError, InvalidFileError, MissingPixelSizeError, TooLargeError
    """
    path = Path(path)
    name, reader, _ = _format(path)
    if pixel_mm is not None:
        check_positive(pixel_mm=pixel_mm)
    limit = _max_points(max_points)  # validates the override
    if not path.is_file():
        raise InvalidFileError(f"{path} does not exist or is not a file")
    surface = reader(path, pixel_mm=pixel_mm, limit=limit)
    surface.metadata.update({"source": str(path), "format": name})
    surface.metadata.setdefault("warnings", [])
    return surface


def write_surface(surface: HeightMap, path: str | os.PathLike[str]) -> Path:
    """Write a :class:`HeightMap` in the format named by the suffix of ``path``; returns the path.

    Every format reads back the same heights and pixel size (CSV/XYZ: pixel sizes with at most
    9 significant digits); ``.npy`` stores no pixel size (pass ``pixel_mm`` when reading) and
    refuses ``dx_mm != dy_mm``. Missing points stay NaN.
    """
    path = Path(path)
    _, _, writer = _format(path)
    if not isinstance(surface, HeightMap):
        raise InvalidParameterError(f"write_surface needs a HeightMap, got {type(surface).__name__}")
    try:
        writer(surface, path)
    except OSError as exc:
        raise InvalidParameterError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
