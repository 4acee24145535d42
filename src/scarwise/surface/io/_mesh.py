"""Triangle meshes (PLY, OBJ via trimesh) resampled to a height map seen along +z.

Each grid node takes the top-most surface above it: the triangles are rasterised (barycentric
interpolation, a z-buffer keeping the maximum) by a numba kernel, which handles ~1M faces in well
under a second after compilation. Nodes outside the mesh are NaN. A vertex lying on a node gives
its own height exactly, so a grid written by :func:`write_mesh` reads back bit for bit. Mesh
coordinates are taken to be in mm.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numba
import numpy as np
import trimesh
from numpy.typing import NDArray

from scarwise.core import HeightMap, InvalidFileError, ScarwiseError, TooLargeError, check_point_count, max_points
from scarwise.surface.io._limits import round_sig, warn

_GRID = re.compile(rb"scarwise grid nx=(\d+) ny=(\d+) dx_mm=(\S+) dy_mm=(\S+)")
#: Tolerances in pixels / barycentric units: a node this close outside a triangle still counts (float32
#: meshes), and a node this close to a vertex takes the vertex height exactly.
_INSIDE = 1e-6
_SNAP = 1e-9


@numba.njit(cache=True)
def _rasterise(vx, vy, vz, faces, x0, y0, dx, dy, out):  # pragma: no cover - compiled
    ny, nx = out.shape
    for f in range(faces.shape[0]):
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        xa, ya, za = vx[a], vy[a], vz[a]
        xb, yb, zb = vx[b], vy[b], vz[b]
        xc, yc, zc = vx[c], vy[c], vz[c]
        det = (yb - yc) * (xa - xc) + (xc - xb) * (ya - yc)
        scale = (abs(xa - xc) + abs(xb - xc)) * (abs(ya - yc) + abs(yb - yc))
        if scale == 0.0 or abs(det) <= 1e-12 * scale:
            continue  # degenerate in projection (a wall seen edge-on, or a point)
        j0 = max(int(math.ceil((min(xa, xb, xc) - x0) / dx - _INSIDE)), 0)
        j1 = min(int(math.floor((max(xa, xb, xc) - x0) / dx + _INSIDE)), nx - 1)
        i0 = max(int(math.ceil((min(ya, yb, yc) - y0) / dy - _INSIDE)), 0)
        i1 = min(int(math.floor((max(ya, yb, yc) - y0) / dy + _INSIDE)), ny - 1)
        for i in range(i0, i1 + 1):
            py = y0 + i * dy
            for j in range(j0, j1 + 1):
                px = x0 + j * dx
                l1 = ((yb - yc) * (px - xc) + (xc - xb) * (py - yc)) / det
                l2 = ((yc - ya) * (px - xc) + (xa - xc) * (py - yc)) / det
                l3 = 1.0 - l1 - l2
                if l1 < -_INSIDE or l2 < -_INSIDE or l3 < -_INSIDE:
                    continue
                if l1 >= 1.0 - _SNAP:
                    z = za
                elif l2 >= 1.0 - _SNAP:
                    z = zb
                elif l3 >= 1.0 - _SNAP:
                    z = zc
                else:
                    z = l1 * za + l2 * zb + l3 * zc
                if math.isnan(out[i, j]) or z > out[i, j]:
                    out[i, j] = z
    for k in range(vx.shape[0]):  # vertices on nodes, e.g. points whose triangles were dropped
        fj = (vx[k] - x0) / dx
        fi = (vy[k] - y0) / dy
        j = int(round(fj))
        i = int(round(fi))
        if 0 <= i < ny and 0 <= j < nx and abs(fj - j) < _INSIDE and abs(fi - i) < _INSIDE:
            if not math.isnan(vz[k]) and (math.isnan(out[i, j]) or vz[k] > out[i, j]):
                out[i, j] = vz[k]


def _ply_header(path: Path) -> tuple[dict[str, int], bytes]:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.startswith(b"ply"):
        raise InvalidFileError(f"{path.name} is not a PLY file (no 'ply' magic)")
    end = head.find(b"end_header")
    if end < 0:
        raise InvalidFileError(f"{path.name}: PLY header has no end_header within 64 KiB (truncated?)")
    counts = {}
    for line in head[:end].splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == b"element":
            try:
                counts[parts[1].decode("ascii", "replace")] = int(parts[2])
            except ValueError as exc:
                raise InvalidFileError(f"{path.name}: bad PLY element line {line[:60]!r}") from exc
    return counts, head[:end]


def _obj_counts(path: Path) -> tuple[dict[str, int], bytes]:
    counts = {"vertex": 0, "face": 0}
    head = b""
    with open(path, "rb") as fh:
        carry = b"\n"
        while chunk := fh.read(1 << 22):
            if not head:
                head = chunk[:4096]
            block = carry + chunk
            counts["vertex"] += block.count(b"\nv ") + block.count(b"\nv\t")
            counts["face"] += block.count(b"\nf ") + block.count(b"\nf\t")
            carry = chunk[-1:]
    return counts, head


def read_mesh(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Resample a PLY/OBJ mesh to heights (top-most surface along +z) at ``pixel_mm``."""
    kind = path.suffix.lower().lstrip(".")
    counts, head = _ply_header(path) if kind == "ply" else _obj_counts(path)
    lim = max_points(limit)
    if counts.get("vertex", 0) > lim or counts.get("face", 0) > 4 * lim:
        raise TooLargeError(
            f"{path.name} declares {counts.get('vertex', 0)} vertices and {counts.get('face', 0)} faces, over the "
            f"limit of {lim} points; raise it with --max-points or SCARWISE_MAX_POINTS if this is intended"
        )
    try:
        mesh = trimesh.load(path, file_type=kind, force="mesh", process=False)
    except ScarwiseError:
        raise
    except Exception as exc:  # trimesh raises many kinds on damaged files
        raise InvalidFileError(f"{path.name} is not a readable {kind.upper()} mesh ({exc})") from exc
    vertices = np.asarray(getattr(mesh, "vertices", np.empty((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(mesh, "faces", np.empty((0, 3))), dtype=np.int64)
    if vertices.size == 0 or faces.size == 0:
        raise InvalidFileError(f"{path.name}: the mesh has no faces (or no vertices); nothing to resample")
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        raise InvalidFileError(f"{path.name}: vertices need x, y, z and faces three corners (damaged mesh)")
    if not np.isfinite(vertices[:, :2]).all():
        raise InvalidFileError(f"{path.name}: vertex x and y must be finite")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise InvalidFileError(f"{path.name}: a face refers to a vertex that does not exist")
    meta: dict[str, Any] = {"mesh_vertices": int(len(vertices)), "mesh_faces": int(len(faces))}
    grid = _GRID.search(head)
    x0, y0 = float(vertices[:, 0].min()), float(vertices[:, 1].min())
    if grid is not None and pixel_mm is None and x0 >= 0 and y0 >= 0:
        nx, ny = int(grid.group(1)), int(grid.group(2))
        dx, dy = float(grid.group(3)), float(grid.group(4))
        x0 = y0 = 0.0
        if not (dx > 0 and dy > 0 and math.isfinite(dx) and math.isfinite(dy)):
            raise InvalidFileError(f"{path.name}: bad scarwise grid comment")
    else:
        if pixel_mm is None:
            edges = vertices[faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)][:, :, :2]
            lengths = np.hypot(*(edges[:, 0] - edges[:, 1]).T)
            lengths = lengths[lengths > 0]
            if lengths.size == 0:
                raise InvalidFileError(f"{path.name}: all faces are degenerate in x-y")
            single = bool(np.array_equal(vertices[:, :2].astype(np.float32), vertices[:, :2]))
            pixel_mm = round_sig(float(np.median(lengths)), 7 if single else 9)  # float32 files: 7 digits
            warn(meta, f"{path.name}: pixel size inferred from the median edge length, {pixel_mm} mm "
                       "(pass --pixel-mm to choose)")
        dx = dy = float(pixel_mm)
        nx = int(math.floor((float(vertices[:, 0].max()) - x0) / dx + _INSIDE)) + 1
        ny = int(math.floor((float(vertices[:, 1].max()) - y0) / dy + _INSIDE)) + 1
        meta["origin_mm"] = [x0, y0]
    check_point_count(nx, ny, limit=limit, what=f"{path.name} resampled at {dx} x {dy} mm")
    out = np.full((ny, nx), np.nan)
    _rasterise(np.ascontiguousarray(vertices[:, 0]), np.ascontiguousarray(vertices[:, 1]),
               np.ascontiguousarray(vertices[:, 2]), np.ascontiguousarray(faces), x0, y0, dx, dy, out)
    return HeightMap(out, dx, dy, meta)


def _grid_mesh(surface: HeightMap) -> tuple[NDArray[np.float64], NDArray[np.int64], str]:
    """Vertices of the valid nodes and two triangles per cell whose three nodes are valid."""
    ny, nx = surface.z.shape
    valid = surface.valid
    index = np.full((ny, nx), -1, dtype=np.int64)
    index[valid] = np.arange(int(valid.sum()))
    yy, xx = np.meshgrid(surface.y_mm, surface.x_mm, indexing="ij")
    vertices = np.column_stack([xx[valid], yy[valid], surface.z[valid]])
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    tris = np.concatenate([np.column_stack([a, b, c]), np.column_stack([b, d, c])])
    tris = tris[(tris >= 0).all(axis=1)]
    used = np.zeros(len(vertices), dtype=bool)
    used[tris.ravel()] = True
    lonely = np.flatnonzero(~used)  # kept as degenerate faces so that readers keep the vertex
    faces = np.concatenate([tris, np.repeat(lonely[:, None], 3, axis=1)]).astype(np.int64)
    comment = f"scarwise grid nx={nx} ny={ny} dx_mm={surface.dx_mm!r} dy_mm={surface.dy_mm!r}"
    return vertices, faces, comment


def write_ply(surface: HeightMap, path: Path) -> None:
    """Binary little-endian PLY: float64 vertices of valid nodes, triangles of valid cells."""
    vertices, faces, comment = _grid_mesh(surface)
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"comment {comment}\n"
        f"element vertex {len(vertices)}\nproperty double x\nproperty double y\nproperty double z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    records = np.empty(len(faces), dtype=[("n", "u1"), ("v", "<i4", (3,))])
    records["n"] = 3
    records["v"] = faces
    with open(path, "wb") as fh:
        fh.write(header.encode("ascii"))
        fh.write(np.ascontiguousarray(vertices, dtype="<f8").tobytes())
        fh.write(records.tobytes())


def write_obj(surface: HeightMap, path: Path) -> None:
    """Wavefront OBJ text: vertices (17 significant digits) and 1-based triangles."""
    vertices, faces, comment = _grid_mesh(surface)
    with open(path, "w", encoding="ascii") as fh:
        fh.write(f"# {comment}\n")
        np.savetxt(fh, vertices, fmt="v %.17g %.17g %.17g")
        np.savetxt(fh, faces + 1, fmt="f %d %d %d")
