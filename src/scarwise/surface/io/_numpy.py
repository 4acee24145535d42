"""NumPy ``.npy`` (heights only: pixel size from ``pixel_mm``) and ``.npz`` (``z``, ``dx_mm``, ``dy_mm``).

Headers are read first (``numpy.lib.format``) so the shape is checked against the point limit and
the data length against the shape before the array is loaded; pickles are never allowed.
"""

from __future__ import annotations

import io
import math
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from scarwise.core import (
    HeightMap,
    InvalidFileError,
    InvalidParameterError,
    MissingPixelSizeError,
    check_point_count,
)
from scarwise.surface.io._limits import as_float_heights, check_member_size, open_zip, read_member, warn

#: Longest ``.npy`` header parsed, in bytes (numpy itself writes headers of a few hundred bytes).
_MAX_HEADER_BYTES = 64 * 1024


def _header(stream: IO[bytes], name: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and header length of a ``.npy`` stream (positioned at its start)."""
    # a forged header length (up to 4 GiB in format 2/3) would make numpy's read() allocate it:
    # parse from a bounded copy of the start of the stream instead
    start = stream.read(_MAX_HEADER_BYTES)
    stream = io.BytesIO(start)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        offset = stream.tell()
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, KeyError, RecursionError,
            tokenize.TokenError) as exc:
        raise InvalidFileError(f"{name} is not a readable .npy array (bad or truncated header: {exc})") from exc
    if dtype.hasobject:
        raise InvalidFileError(f"{name} holds Python objects; only numeric arrays are read (no pickles)")
    return tuple(int(s) for s in shape), dtype, offset


def _check(shape: tuple[int, ...], dtype: np.dtype, name: str, limit: int | None) -> None:
    if len(shape) != 2:
        raise InvalidFileError(f"{name} holds an array of shape {shape}; a height map is 2-D (ny, nx)")
    check_point_count(shape[1], shape[0], limit=limit, what=name)
    if dtype.kind != "f":
        raise InvalidFileError(
            f"{name} holds {dtype} values; scarwise reads float heights in mm (integers carry no unit)"
        )


def _override(meta: dict[str, Any], name: str, dx: float, dy: float, pixel_mm: float | None) -> tuple[float, float]:
    if pixel_mm is not None and (not math.isclose(pixel_mm, dx, rel_tol=1e-9)
                                 or not math.isclose(pixel_mm, dy, rel_tol=1e-9)):
        warn(meta, f"{name}: pixel_mm={pixel_mm} overrides the stored pixel size {dx} x {dy} mm")
        return pixel_mm, pixel_mm
    return dx, dy


def read_npy(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read a 2-D float ``.npy`` of heights in mm; ``pixel_mm`` is required."""
    with open(path, "rb") as fh:
        shape, dtype, offset = _header(fh, path.name)
    _check(shape, dtype, path.name, limit)
    expected = offset + math.prod(shape) * dtype.itemsize
    if path.stat().st_size != expected:
        raise InvalidFileError(
            f"{path.name}: header describes {expected} bytes but the file has {path.stat().st_size} (truncated?)"
        )
    if pixel_mm is None:
        raise MissingPixelSizeError(f"{path.name} stores no pixel size; pass pixel_mm= (CLI: --pixel-mm 0.02)")
    z = np.load(path, allow_pickle=False)
    return HeightMap(as_float_heights(z, path=path, what="array"), pixel_mm, pixel_mm, {})


def _scalar(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> float:
    data = read_member(path, archive, info, limit=4096)
    stream = io.BytesIO(data)
    shape, dtype, _ = _header(stream, f"{path.name}:{info.filename}")
    if math.prod(shape) != 1 or dtype.kind not in "fiu":
        raise InvalidFileError(f"{path.name}: {info.filename} must be one number (mm)")
    return float(np.load(io.BytesIO(data), allow_pickle=False).ravel()[0])


def read_npz(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read ``z`` (or the only array) and optional ``dx_mm``/``dy_mm`` scalars from an ``.npz``."""
    meta: dict[str, Any] = {}
    with open_zip(path, what=".npz archive") as archive:
        members = {i.filename: i for i in archive.infolist() if i.filename.endswith(".npy")}
        if "z.npy" in members:
            zinfo = members["z.npy"]
        elif len(members) == 1:
            zinfo = next(iter(members.values()))
        else:
            raise InvalidFileError(f"{path.name}: no array named 'z' among {sorted(m[:-4] for m in members)}")
        try:
            with archive.open(zinfo) as stream:
                shape, dtype, offset = _header(stream, f"{path.name}:{zinfo.filename}")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError,
                zlib.error) as exc:
            raise InvalidFileError(f"{path.name}: cannot read {zinfo.filename} ({exc})") from exc
        _check(shape, dtype, path.name, limit)
        check_member_size(path, zinfo, expected=offset + math.prod(shape) * dtype.itemsize)
        steps = {k: _scalar(path, archive, members[f"{k}.npy"]) for k in ("dx_mm", "dy_mm") if f"{k}.npy" in members}
        raw = read_member(path, archive, zinfo, limit=zinfo.file_size)
    z = np.load(io.BytesIO(raw), allow_pickle=False)
    if "dx_mm" in steps or "dy_mm" in steps:
        dx = steps.get("dx_mm", steps.get("dy_mm"))
        dy = steps.get("dy_mm", dx)
        dx, dy = _override(meta, path.name, float(dx), float(dy), pixel_mm)  # type: ignore[arg-type]
    elif pixel_mm is not None:
        dx = dy = pixel_mm
    else:
        raise MissingPixelSizeError(
            f"{path.name} stores no dx_mm/dy_mm; pass pixel_mm= (CLI: --pixel-mm 0.02)"
        )
    return HeightMap(as_float_heights(z, path=path, what="array"), dx, dy, meta)


def write_npy(surface: HeightMap, path: Path) -> None:
    """Write heights only (float64, mm); the pixel size must be passed again when reading."""
    if surface.dx_mm != surface.dy_mm:
        raise InvalidParameterError(
            f".npy cannot store the pixel size and dx_mm != dy_mm ({surface.dx_mm} vs {surface.dy_mm}); "
            "write .npz instead"
        )
    with open(path, "wb") as fh:  # a handle: np.save would append ".npy" to "SCAN.NPY"
        np.save(fh, np.asarray(surface.z, dtype=np.float64), allow_pickle=False)


def write_npz(surface: HeightMap, path: Path) -> None:
    """Write ``z`` (float64, mm), ``dx_mm`` and ``dy_mm`` (compressed)."""
    with open(path, "wb") as fh:
        np.savez_compressed(fh, z=np.asarray(surface.z, dtype=np.float64),
                            dx_mm=np.float64(surface.dx_mm), dy_mm=np.float64(surface.dy_mm))
