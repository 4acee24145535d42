"""PLY/OBJ meshes resampled along +z: analytic planes and spheres, top-most surface, refusals."""

import numpy as np
import pytest
import trimesh
from scipy.spatial import Delaunay

from scarwise.core import InvalidFileError, TooLargeError
from scarwise.surface.io import read_surface


def _plane_mesh(seed=0):
    """A jittered, Delaunay-triangulated patch of the plane z = 0.3 x - 0.2 y + 1 (mm)."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.uniform(0, 2, (300, 2)), [[0, 0], [2, 0], [0, 2], [2, 2]]])
    tri = Delaunay(xy)
    z = 0.3 * xy[:, 0] - 0.2 * xy[:, 1] + 1.0
    return trimesh.Trimesh(np.column_stack([xy, z]), tri.simplices, process=False)


@pytest.mark.parametrize("suffix", [".ply", ".obj"])
def test_plane_written_by_trimesh_is_exact(tmp_path, suffix):
    path = tmp_path / f"plane{suffix}"
    _plane_mesh().export(path)
    s = read_surface(path, pixel_mm=0.05)
    assert s.z.shape == (41, 41) and s.valid.all()  # the square's convex hull covers every node
    x, y = np.meshgrid(s.x_mm, s.y_mm)
    np.testing.assert_allclose(s.z, 0.3 * x - 0.2 * y + 1.0, atol=1e-9)


def test_sphere_top_surface(tmp_path):
    path = tmp_path / "ball.ply"
    trimesh.creation.icosphere(subdivisions=4, radius=1.0).export(path)
    s = read_surface(path, pixel_mm=0.02)
    x, y = np.meshgrid(s.x_mm - 1.0, s.y_mm - 1.0)
    r = np.hypot(x, y)
    inside = r < 0.9
    assert np.all(s.valid[inside]) and not s.valid[r > 1.01].any()
    # Top-most surface: the upper hemisphere, within the facets' sag (edge ~0.08 -> ~1e-3).
    np.testing.assert_allclose(s.z[inside], np.sqrt(1 - r[inside] ** 2), atol=3e-3)


def test_top_most_of_stacked_sheets(tmp_path):
    low = trimesh.creation.box(extents=(2, 2, 0.1))
    high = trimesh.creation.box(extents=(1, 1, 0.1))
    high.apply_translation((0, 0, 0.5))
    path = tmp_path / "stack.obj"
    trimesh.util.concatenate([low, high]).export(path)
    s = read_surface(path, pixel_mm=0.1)
    assert s.z.shape == (21, 21)
    assert s.z[10, 10] == pytest.approx(0.55) and s.z[1, 1] == pytest.approx(0.05)


def test_pixel_inferred_from_edges_with_warning(tmp_path):
    jj, ii = np.meshgrid(np.arange(5), np.arange(4))
    verts = np.column_stack([jj.ravel() * 0.02, ii.ravel() * 0.02, (jj * ii).ravel() * 0.001])
    idx = np.arange(20).reshape(4, 5)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    faces = np.concatenate([np.column_stack([a, b, c]), np.column_stack([b, d, c])])
    path = tmp_path / "grid.ply"
    trimesh.Trimesh(verts, faces, process=False).export(path)
    with pytest.warns(UserWarning, match="median edge length, 0.02 mm"):
        s = read_surface(path)
    assert s.z.shape == (4, 5)
    np.testing.assert_allclose(s.z, jj * ii * 0.001, atol=1e-9)  # trimesh writes float32


def test_mesh_refusals(tmp_path):
    (tmp_path / "pts.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    with pytest.raises(InvalidFileError, match="no faces"):
        read_surface(tmp_path / "pts.obj", pixel_mm=0.1)
    (tmp_path / "pts.ply").write_text(
        "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
        "end_header\n0 0 0\n1 1 1\n")
    with pytest.raises(InvalidFileError, match="no faces"):
        read_surface(tmp_path / "pts.ply", pixel_mm=0.1)
    (tmp_path / "junk.ply").write_bytes(b"not a mesh")
    with pytest.raises(InvalidFileError, match="not a PLY"):
        read_surface(tmp_path / "junk.ply", pixel_mm=0.1)
    (tmp_path / "huge.ply").write_text(
        "ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty double x\n"
        "property double y\nproperty double z\nend_header\n")
    with pytest.raises(TooLargeError, match="vertices"):
        read_surface(tmp_path / "huge.ply", pixel_mm=0.1)
    path = tmp_path / "plane.ply"
    _plane_mesh().export(path)
    with pytest.raises(TooLargeError, match="resampled"):
        read_surface(path, pixel_mm=0.001, max_points=10_000)
    blob = path.read_bytes()
    (tmp_path / "cut.ply").write_bytes(blob[: len(blob) // 3])
    with pytest.raises(InvalidFileError):
        read_surface(tmp_path / "cut.ply", pixel_mm=0.05)
