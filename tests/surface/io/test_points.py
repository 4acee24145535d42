"""CSV and XYZ point lists: grids in any order, absent rows, scattered clouds, bad rows."""

import numpy as np
import pytest

from scarwise.core import InvalidFileError, MissingPixelSizeError, TooLargeError
from scarwise.surface.io import read_surface


def _write_rows(path, rows, header="x_mm,y_mm,z_mm", sep=","):
    lines = [header] if header else []
    lines += [sep.join(repr(float(v)) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _grid_rows(nx=6, ny=4, dx=0.02, dy=0.05, x0=12.5, y0=-3.0):
    jj, ii = np.meshgrid(np.arange(nx), np.arange(ny))
    z = 0.1 * jj - 0.03 * ii + 0.001 * jj * ii
    return np.column_stack([(x0 + jj * dx).ravel(), (y0 + ii * dy).ravel(), z.ravel()]), z


def test_shuffled_offset_grid_with_absent_rows(tmp_path):
    rows, z = _grid_rows()
    keep = np.ones(len(rows), bool)
    keep[[3, 10, 23]] = False  # absent rows become NaN
    order = np.random.default_rng(0).permutation(int(keep.sum()))
    s = read_surface(_write_rows(tmp_path / "g.csv", rows[keep][order]))
    assert (s.dx_mm, s.dy_mm) == (0.02, 0.05)  # from coordinate differences, 9 significant digits
    expected = z.copy()
    expected.ravel()[[3, 10, 23]] = np.nan
    np.testing.assert_allclose(s.z, expected, rtol=1e-15)
    assert s.metadata["origin_mm"] == [12.5, -3.0]


def test_float_noise_in_coordinates_is_rounded(tmp_path):
    rows, z = _grid_rows(dx=0.1, dy=0.1, x0=0.0, y0=0.0)
    rows[:, 0] = rows[:, 0] * (1 + 1e-13)  # e.g. 0.30000000000000004
    s = read_surface(_write_rows(tmp_path / "n.csv", rows))
    assert s.dx_mm == 0.1 and s.z.shape == z.shape


def test_columns_in_any_order_and_quoted_header(tmp_path):
    rows, z = _grid_rows()
    s = read_surface(_write_rows(tmp_path / "o.csv", rows[:, [2, 0, 1]], header='"z_mm","x_mm","y_mm"'))
    np.testing.assert_allclose(s.z, z, rtol=1e-15)


def test_xyz_with_and_without_header(tmp_path):
    rows, z = _grid_rows()
    a = read_surface(_write_rows(tmp_path / "a.xyz", rows, header=None, sep=" "))
    b = read_surface(_write_rows(tmp_path / "b.xyz", rows, header="X Y Z", sep="\t"))
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_allclose(a.z, z, rtol=1e-15)


def test_scattered_cloud_is_gridded_with_a_warning(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 2, 400), rng.uniform(0, 1, 400)
    rows = np.column_stack([x, y, 0.3 * x - 0.2 * y + 1.0])  # a plane: linear interpolation is exact
    with pytest.warns(UserWarning, match="not on a regular grid"):
        s = read_surface(_write_rows(tmp_path / "c.csv", rows))
    nn = s.dx_mm  # inferred: median nearest-neighbour spacing
    assert 0.01 < nn < 0.1 and s.dx_mm == s.dy_mm
    assert "median nearest-neighbour" in s.metadata["warnings"][0]
    ok = s.valid
    assert ok.mean() > 0.8
    xx = x.min() + np.arange(s.nx) * s.dx_mm
    yy = y.min() + np.arange(s.ny) * s.dy_mm
    plane = 0.3 * xx[None, :] - 0.2 * yy[:, None] + 1.0
    np.testing.assert_allclose(s.z[ok], plane[ok], atol=1e-12)
    with pytest.warns(UserWarning, match="pixel_mm=0.05"):
        t = read_surface(tmp_path / "c.csv", pixel_mm=0.05)
    assert t.dx_mm == 0.05


@pytest.mark.parametrize("body,phrase", [
    ("x_mm,y_mm,z_mm\n0,0,1\n1,0,2\n0,1,abc\n", "line 4"),
    ("x_mm,y_mm,z_mm\n0,0,1\n1,0\n", "line 3"),
    ("x_mm,y_mm,z_mm\n0,0,1,5\n1,0,2,5\n", "line 2"),
    ("x,y,z\n0,0,1\n", "header x_mm,y_mm,z_mm"),
    ("0,0,1\n1,0,2\n", "header"),
    ("", "empty"),
    ("x_mm,y_mm,z_mm\n", "no data rows"),
    ("x_mm,y_mm,z_mm\n0,0,1\ninf,1,1\n", "finite"),
])
def test_bad_csv(tmp_path, body, phrase):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(InvalidFileError, match=phrase):
        read_surface(path)


def test_single_point_needs_pixel_and_one_row_is_square(tmp_path):
    path = _write_rows(tmp_path / "one.csv", [[1.0, 2.0, 0.5]])
    with pytest.raises(MissingPixelSizeError, match="pixel"):
        read_surface(path)
    s = read_surface(path, pixel_mm=0.01)
    assert s.z.shape == (1, 1) and s.z[0, 0] == 0.5
    row = read_surface(_write_rows(tmp_path / "row.csv", [[0, 0, 1], [0.02, 0, 2], [0.04, 0, 3]]))
    assert row.z.shape == (1, 3) and row.dx_mm == row.dy_mm == 0.02


def test_limits(tmp_path):
    rows, _ = _grid_rows(nx=10, ny=10)
    path = _write_rows(tmp_path / "big.csv", rows)
    with pytest.raises(TooLargeError, match="over the limit"):
        read_surface(path, max_points=50)
    # Two points far apart on a fine grid: the grid size is refused before it is allocated.
    sparse = _write_rows(tmp_path / "sparse.xyz", [[0, 0, 0], [1000.0, 1000.0, 0], [0.001, 0, 0]],
                         header=None, sep=" ")
    with pytest.raises(TooLargeError):
        read_surface(sparse, pixel_mm=0.001, max_points=1000)
