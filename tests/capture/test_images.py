"""Reading the photographs: formats, bit depths and bad files."""

from __future__ import annotations

import struct
import zlib

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from scarwise.capture import load_images, read_image
from scarwise.core import InvalidFileError, InvalidParameterError, TooLargeError, UnsupportedFormatError


def _png16_rgb(path, a):
    """A 16-bit RGB PNG written by hand (Pillow cannot write one)."""
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[i].astype(">u2").tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_formats_and_scales(tmp_path):
    rng = np.random.default_rng(0)
    g8 = rng.integers(0, 256, (12, 17), dtype=np.uint8)
    g16 = rng.integers(0, 65536, (12, 17), dtype=np.uint16)
    rgb8 = rng.integers(0, 256, (12, 17, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "g8.png", g8)
    iio.imwrite(tmp_path / "g16.png", g16)
    iio.imwrite(tmp_path / "rgb8.png", rgb8)
    tifffile.imwrite(tmp_path / "g16.tif", g16)
    tifffile.imwrite(tmp_path / "f32.tiff", g16.astype(np.float32) / 65535)
    tifffile.imwrite(tmp_path / "rgb16.tif", np.stack([g16] * 3, axis=-1), photometric="rgb")
    iio.imwrite(tmp_path / "g8.jpg", g8, quality=100)
    np.testing.assert_array_equal(read_image(tmp_path / "g8.png"), g8 / 255.0)
    np.testing.assert_array_equal(read_image(tmp_path / "g16.png"), g16 / 65535.0)
    np.testing.assert_array_equal(read_image(tmp_path / "rgb8.png"), rgb8 / 255.0)
    np.testing.assert_array_equal(read_image(tmp_path / "g16.tif"), g16 / 65535.0)
    np.testing.assert_allclose(read_image(tmp_path / "f32.tiff"), g16 / 65535.0, rtol=1e-6)
    assert read_image(tmp_path / "rgb16.tif").shape == (12, 17, 3)
    assert np.abs(read_image(tmp_path / "g8.jpg") - g8 / 255.0).max() < 0.05  # lossy
    stack = load_images([tmp_path / "g16.png", tmp_path / "g16.tif", tmp_path / "g16.png"])
    assert stack.shape == (3, 12, 17) and stack.dtype == np.float32
    # colour images become linear luminance
    grey = load_images([tmp_path / "rgb8.png"] * 3)[0]
    np.testing.assert_allclose(grey, rgb8 @ np.array([0.2126, 0.7152, 0.0722]) / 255.0, rtol=1e-6)


def test_truncated_image_refused_even_after_weasyprint_import(tmp_path):
    """WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; our reader must stay strict."""
    from PIL import ImageFile

    iio.imwrite(tmp_path / "a.png", np.arange(64 * 64, dtype=np.uint16).reshape(64, 64).astype(np.uint8))
    good = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # what ``import weasyprint`` does
    try:
        with pytest.raises(InvalidFileError, match="could not be decoded"):
            read_image(tmp_path / "cut.png")
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def test_bad_images(tmp_path):
    a = np.zeros((10, 10), np.uint8)
    iio.imwrite(tmp_path / "a.png", a)
    iio.imwrite(tmp_path / "b.png", np.zeros((10, 11), np.uint8))
    iio.imwrite(tmp_path / "c16.png", np.zeros((10, 10), np.uint16))
    with pytest.raises(InvalidParameterError, match="at least 3 images"):
        load_images([tmp_path / "a.png"] * 2)
    with pytest.raises(InvalidParameterError, match="differ in size"):
        load_images([tmp_path / "a.png", tmp_path / "a.png", tmp_path / "b.png"])
    with pytest.raises(InvalidParameterError, match="bit depth"):
        load_images([tmp_path / "a.png", tmp_path / "a.png", tmp_path / "c16.png"])
    good = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8\xff" + b"not really a jpeg" * 10)
    (tmp_path / "junk.tif").write_bytes(b"II*\x00" + b"\x00" * 20)
    (tmp_path / "text.png").write_text("hello")
    for name in ("cut.png", "junk.jpg", "junk.tif", "text.png"):
        with pytest.raises(InvalidFileError):
            read_image(tmp_path / name)
    with pytest.raises(InvalidFileError, match="does not exist"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "a.bmp").write_bytes(b"BM")
    with pytest.raises(UnsupportedFormatError, match="PNG, TIFF or JPEG"):
        read_image(tmp_path / "a.bmp")
    _png16_rgb(tmp_path / "rgb16.png", np.zeros((4, 5, 3), np.uint16))
    with pytest.raises(UnsupportedFormatError, match="16-bit colour PNG"):
        read_image(tmp_path / "rgb16.png")
    with pytest.raises(TooLargeError, match="over the limit"):
        read_image(tmp_path / "a.png", max_points=50)
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((10, 10), np.uint8))
    with pytest.raises(TooLargeError):
        read_image(tmp_path / "big.tif", max_points=50)
    tifffile.imwrite(tmp_path / "nan.tif", np.full((4, 4), np.nan, np.float32))
    with pytest.raises(InvalidFileError, match="NaN"):
        read_image(tmp_path / "nan.tif")
