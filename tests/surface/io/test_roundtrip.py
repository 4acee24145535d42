"""Every writer then reader gives back the same heights, pixel size and missing points."""

import warnings

import numpy as np
import pytest

from scarwise.core import EmptySurfaceError, HeightMap, InvalidParameterError, UnsupportedFormatError
from scarwise.surface.io import SUPPORTED_SUFFIXES, read_surface, write_surface

FORMATS = [s for s in SUPPORTED_SUFFIXES if s != ".tiff"]


def _surface(ny=7, nx=11, dx=0.025, dy=0.03, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 0.1, (ny, nx))
    z[0, :] = np.nan  # a whole missing border row
    z[3, 4] = np.nan  # an isolated hole
    z[4:6, 7:9] = np.nan
    z[-1, -1] = np.nan
    return HeightMap(z, dx, dy)


def _read(path, surface, **kw):
    pixel = surface.dx_mm if path.suffix.lower() == ".npy" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean round trip warns about nothing
        return read_surface(path, pixel_mm=pixel, **kw)


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_is_exact(tmp_path, suffix):
    dx, dy = (0.025, 0.025) if suffix == ".npy" else (0.025, 0.03)
    surface = _surface(dx=dx, dy=dy)
    path = write_surface(surface, tmp_path / f"scan{suffix}")
    back = _read(path, surface)
    assert back.z.shape == surface.z.shape
    np.testing.assert_array_equal(back.z, surface.z)  # NaN where NaN, every other bit equal
    assert (back.dx_mm, back.dy_mm) == (surface.dx_mm, surface.dy_mm)
    assert back.metadata["source"] == str(path) and suffix.lstrip(".").startswith(back.metadata["format"][:3])
    assert back.metadata["warnings"] == []


@pytest.mark.parametrize("suffix", FORMATS)
def test_upper_case_suffix_and_non_square(tmp_path, suffix):
    surface = _surface(ny=6, nx=17, dx=0.02, dy=0.02, seed=3)
    path = write_surface(surface, tmp_path / f"SCAN{suffix.upper()}")
    np.testing.assert_array_equal(_read(path, surface).z, surface.z)


def test_same_surface_same_numbers_in_every_format(tmp_path):
    surface = _surface(ny=9, nx=6, dx=0.05, dy=0.05, seed=1)
    results = {s: _read(write_surface(surface, tmp_path / f"s{s}"), surface) for s in FORMATS}
    ref = results[".x3p"]
    for suffix, got in results.items():
        np.testing.assert_array_equal(got.z, ref.z, err_msg=suffix)
        assert (got.dx_mm, got.dy_mm) == (ref.dx_mm, ref.dy_mm), suffix


def test_float32_x3p_from_peer_within_float32_precision(tmp_path):
    x3pio = pytest.importorskip("x3pio")
    surface = _surface()
    path = tmp_path / "f32.x3p"
    x3pio.write(path, surface.z * 1e-3, x_scale=surface.dx_mm * 1e-3, y_scale=surface.dy_mm * 1e-3,
                z_type=x3pio.DataType.FLOAT32)
    back = read_surface(path)
    np.testing.assert_allclose(back.z, surface.z, rtol=1e-7, atol=1e-12)
    assert np.array_equal(np.isnan(back.z), np.isnan(surface.z))


@pytest.mark.parametrize("suffix", [".x3p", ".tif", ".npz", ".ply"])
def test_one_by_one_and_all_nan(tmp_path, suffix):
    one = HeightMap(np.array([[0.25]]), 0.01, 0.01)
    back = read_surface(write_surface(one, tmp_path / f"one{suffix}"))
    assert back.z.shape == (1, 1) and back.z[0, 0] == 0.25
    with pytest.raises(EmptySurfaceError, match="valid point"):
        back.require_valid()
    if suffix != ".ply":  # a mesh of no valid points has no vertices: see test_mesh
        empty = HeightMap(np.full((3, 4), np.nan), 0.01, 0.02)
        back = read_surface(write_surface(empty, tmp_path / f"nan{suffix}"))
        assert back.z.shape == (3, 4) and np.isnan(back.z).all()
        with pytest.raises(EmptySurfaceError):
            back.require_valid()


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "scan.bmp"
    path.write_bytes(b"BM")
    with pytest.raises(UnsupportedFormatError, match=r"\.x3p.*\.npz"):
        read_surface(path)
    with pytest.raises(UnsupportedFormatError, match="not supported"):
        write_surface(_surface(), tmp_path / "scan.stl")


def test_bad_arguments(tmp_path):
    with pytest.raises(InvalidParameterError, match="pixel_mm"):
        read_surface(tmp_path / "x.tif", pixel_mm=-1.0)
    with pytest.raises(InvalidParameterError, match="max_points"):
        read_surface(tmp_path / "x.tif", max_points=0)
    with pytest.raises(InvalidParameterError, match=r"\.npz"):
        write_surface(HeightMap(np.zeros((2, 2)), 0.01, 0.02), tmp_path / "x.npy")
    with pytest.raises(InvalidParameterError, match="cannot write"):
        write_surface(_surface(), tmp_path / "missing-dir" / "x.csv")


def test_missing_file(tmp_path):
    from scarwise.core import InvalidFileError

    with pytest.raises(InvalidFileError, match="does not exist"):
        read_surface(tmp_path / "nothing.x3p")
