"""TIFF resolution tags and NumPy headers: pixel size, overrides, refusals, limits."""

import io
import zipfile

import numpy as np
import pytest
import tifffile

from scarwise.core import InvalidFileError, MissingPixelSizeError, TooLargeError
from scarwise.surface.io import read_surface


@pytest.fixture
def z():
    out = np.random.default_rng(0).normal(0, 0.05, (5, 7)).astype(np.float32)
    out[2, 3] = np.nan
    return out


def test_tiff_without_resolution_needs_pixel_size(tmp_path, z):
    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, z)  # tifffile default: 1/1 with unit NONE
    with pytest.raises(MissingPixelSizeError, match="--pixel-mm"):
        read_surface(path)
    s = read_surface(path, pixel_mm=0.02)
    assert (s.dx_mm, s.dy_mm) == (0.02, 0.02) and s.metadata["warnings"] == []
    np.testing.assert_array_equal(s.z, z.astype(np.float64))  # float32 heights widened exactly


@pytest.mark.parametrize("unit,res,expected", [
    ("CENTIMETER", (400.0, 250.0), (0.025, 0.04)),
    ("INCH", (1270.0, 2540.0), (0.02, 0.01)),
])
def test_tiff_resolution_units(tmp_path, z, unit, res, expected):
    path = tmp_path / "res.tif"
    tifffile.imwrite(path, z, resolution=res, resolutionunit=unit)
    s = read_surface(path)
    assert (s.dx_mm, s.dy_mm) == pytest.approx(expected, rel=1e-9)
    with pytest.warns(UserWarning, match="overrides the stored pixel size"):
        t = read_surface(path, pixel_mm=0.5)
    assert t.dx_mm == 0.5 and "overrides" in t.metadata["warnings"][0]


def test_tiff_refusals(tmp_path):
    tifffile.imwrite(tmp_path / "int.tif", np.zeros((4, 4), np.uint16))
    with pytest.raises(InvalidFileError, match="integer TIFFs carry no height unit"):
        read_surface(tmp_path / "int.tif", pixel_mm=0.01)
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((4, 4, 3), np.float32), photometric="rgb")
    with pytest.raises(InvalidFileError, match="single-channel"):
        read_surface(tmp_path / "rgb.tif", pixel_mm=0.01)
    (tmp_path / "junk.tif").write_bytes(b"II*\0garbage")
    with pytest.raises(InvalidFileError, match="not a readable TIFF"):
        read_surface(tmp_path / "junk.tif", pixel_mm=0.01)
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((20, 30), np.float32))
    with pytest.raises(TooLargeError, match="600 points"):
        read_surface(tmp_path / "big.tif", pixel_mm=0.01, max_points=599)
    blob = (tmp_path / "big.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InvalidFileError):
        read_surface(tmp_path / "cut.tif", pixel_mm=0.01)


def test_npy(tmp_path, z):
    path = tmp_path / "z.npy"
    np.save(path, z)
    with pytest.raises(MissingPixelSizeError, match="pixel"):
        read_surface(path)
    np.testing.assert_array_equal(read_surface(path, pixel_mm=0.01).z, z.astype(np.float64))
    with pytest.raises(TooLargeError):
        read_surface(path, pixel_mm=0.01, max_points=10)
    blob = path.read_bytes()
    (tmp_path / "cut.npy").write_bytes(blob[:-8])
    with pytest.raises(InvalidFileError, match="truncated"):
        read_surface(tmp_path / "cut.npy", pixel_mm=0.01)
    np.save(tmp_path / "obj.npy", np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidFileError, match="no pickles"):
        read_surface(tmp_path / "obj.npy", pixel_mm=0.01)
    np.save(tmp_path / "3d.npy", np.zeros((2, 2, 2)))
    with pytest.raises(InvalidFileError, match="2-D"):
        read_surface(tmp_path / "3d.npy", pixel_mm=0.01)
    np.save(tmp_path / "int.npy", np.zeros((2, 2), np.int32))
    with pytest.raises(InvalidFileError, match="integers carry no unit"):
        read_surface(tmp_path / "int.npy", pixel_mm=0.01)
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(InvalidFileError, match="header"):
        read_surface(tmp_path / "junk.npy", pixel_mm=0.01)


def test_npz(tmp_path, z):
    np.savez(tmp_path / "only.npz", heights=z)  # one array under another name: taken as z
    with pytest.raises(MissingPixelSizeError, match="dx_mm"):
        read_surface(tmp_path / "only.npz")
    assert read_surface(tmp_path / "only.npz", pixel_mm=0.03).dx_mm == 0.03
    np.savez(tmp_path / "two.npz", a=z, b=z)
    with pytest.raises(InvalidFileError, match="no array named 'z'"):
        read_surface(tmp_path / "two.npz", pixel_mm=0.03)
    np.savez(tmp_path / "steps.npz", z=z, dx_mm=0.01, dy_mm=0.02)
    s = read_surface(tmp_path / "steps.npz")
    assert (s.dx_mm, s.dy_mm) == (0.01, 0.02)
    # A forged archive: z.npy declares 2 x 2 float64 in its header but holds 16 MiB.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2, 2)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("z.npy", np.lib.format.magic(1, 0) + header.getvalue()[8:] + b"\0" * (16 << 20))
    with pytest.raises(InvalidFileError, match="declares"):
        read_surface(tmp_path / "bomb.npz", pixel_mm=0.01)
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InvalidFileError, match="corrupt or truncated"):
        read_surface(tmp_path / "bad.npz", pixel_mm=0.01)
