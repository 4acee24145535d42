"""Read photographs for photometric stereo and colour maps: 8/16-bit PNG or TIFF, or JPEG.

Pixel values are returned as float64 on a 0-1 scale (8-bit / 255, 16-bit / 65535; float TIFFs as
stored). Sizes are checked against the point limit before any pixel data is decoded.
"""

from __future__ import annotations

import struct
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from scarwise.core import InvalidFileError, InvalidParameterError, UnsupportedFormatError, check_point_count

#: File name endings read by :func:`read_image`.
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".tif", ".tiff", ".jpg", ".jpeg")

#: Rec. 709 / sRGB luminance weights, applied to *linear* RGB to get one grey channel.
LUMINANCE_WEIGHTS = (0.2126, 0.7152, 0.0722)


def _png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk."""
    with path.open("rb") as f:
        head = f.read(33)
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise InvalidFileError(f"{path.name} is not a valid PNG file (bad signature or header)")
    width, height, depth, ctype = struct.unpack(">IIBB", head[16:26])
    return width, height, depth, ctype


def _read_tiff(path: Path, max_points: int | None) -> NDArray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            shape = page.shape
            if len(shape) < 2:
                raise InvalidFileError(f"{path.name}: TIFF image has shape {shape}, expected rows x columns")
            check_point_count(int(shape[1]), int(shape[0]), limit=max_points, what=path.name)
            data = page.asarray()
    except (tifffile.TiffFileError, ValueError, OSError, struct.error, IndexError, KeyError) as exc:
        raise InvalidFileError(f"{path.name} could not be read as TIFF ({exc}); is the file complete?") from exc
    return data


_STRICT_LOCK = threading.Lock()


@contextmanager
def _refuse_truncated() -> Iterator[None]:
    """Make Pillow raise on a truncated image while we decode one.

    ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` is process-wide, and WeasyPrint sets it to True when
    imported (the clinic imports it for PDF reports): a cut-off photograph would then decode with
    its missing rows silently black. The lock keeps concurrent readers from restoring the flag
    under each other.
    """
    from PIL import ImageFile

    with _STRICT_LOCK:
        saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _read_pillow(path: Path, max_points: int | None) -> NDArray:
    from PIL import Image, UnidentifiedImageError

    if path.suffix.lower() == ".png":
        width, height, depth, ctype = _png_header(path)
        check_point_count(width, height, limit=max_points, what=path.name)
        if depth == 16 and ctype in (2, 6):
            raise UnsupportedFormatError(
                f"{path.name} is a 16-bit colour PNG, which cannot be read without losing bits; "
                "save it as a 16-bit TIFF, or as a 16-bit greyscale PNG"
            )
    try:
        with warnings.catch_warnings(), _refuse_truncated():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                check_point_count(im.width, im.height, limit=max_points, what=path.name)
                if im.mode in ("P", "PA", "1", "LA", "RGBA", "CMYK", "YCbCr"):
                    im = im.convert("RGB")  # palette/alpha images to plain RGB
                data = np.asarray(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise InvalidFileError(f"{path.name} could not be decoded as an image ({exc}); is the file complete?") \
            from exc
    if data.dtype == np.int32:  # Pillow's "I" mode holds 16-bit PNGs
        data = data.astype(np.uint16) if data.min() >= 0 and data.max() <= 65535 else data
    return data


def read_image(path: str | Path, *, max_points: int | None = None) -> NDArray[np.float64]:
    """Read one photograph as float64 values on a 0-1 scale.

    Parameters
    ----------
    path : str or Path
        A PNG (8 or 16 bit), TIFF (8/16 bit or float) or JPEG file.
    max_points : int, optional
        Largest number of pixels accepted (default: the scarwise point limit).

    Returns
    -------
    (ny, nx) or (ny, nx, 3) ndarray
        Grey or RGB values; 8-bit data divided by 255, 16-bit by 65535, float data as stored.
        An alpha channel is dropped.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UnsupportedFormatError(
            f"{path.name}: images must be PNG, TIFF or JPEG ({', '.join(IMAGE_SUFFIXES)}), "
            f"got {suffix or 'no suffix'!r}"
        )
    if not path.is_file():
        raise InvalidFileError(f"image {path} does not exist or is not a file")
    data = _read_tiff(path, max_points) if suffix in (".tif", ".tiff") else _read_pillow(path, max_points)
    if data.ndim == 3 and data.shape[2] in (2, 4):
        data = data[:, :, : data.shape[2] - 1]  # drop alpha
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    if not (data.ndim == 2 or (data.ndim == 3 and data.shape[2] == 3)):
        raise InvalidFileError(f"{path.name}: image has shape {data.shape}; expected grey (rows, columns) or RGB")
    if data.dtype == np.uint8:
        return data.astype(np.float64) / 255.0
    if data.dtype == np.uint16:
        return data.astype(np.float64) / 65535.0
    if data.dtype.kind == "f":
        out = data.astype(np.float64)
        if not np.isfinite(out).all():
            raise InvalidFileError(f"{path.name}: float image holds NaN or infinite values")
        return out
    if data.dtype == np.bool_:
        return data.astype(np.float64)
    raise UnsupportedFormatError(f"{path.name}: pixel type {data.dtype} is not supported; use 8 or 16 bit")


def to_grey(image: NDArray[np.float64]) -> NDArray[np.float64]:
    """Grey values from a linear RGB image (Rec. 709 luminance); a grey image is returned as is."""
    if image.ndim == 2:
        return image
    w = np.asarray(LUMINANCE_WEIGHTS)
    return image[..., 0] * w[0] + image[..., 1] * w[1] + image[..., 2] * w[2]


def load_images(paths: Sequence[str | Path], *, max_points: int | None = None) -> NDArray[np.float32]:
    """Read the registered photographs of one photometric-stereo capture.

    Parameters
    ----------
    paths : sequence of str or Path
        At least 3 image files of the same size and bit depth, one per light, in the order of
        the light directions. Colour images are reduced to linear luminance.
    max_points : int, optional
        Largest number of pixels per image accepted.

    Returns
    -------
    (n, ny, nx) ndarray of float32
        Values on a 0-1 scale.
    """
    paths = [Path(p) for p in paths]
    if len(paths) < 3:
        raise InvalidParameterError(
            f"photometric stereo needs at least 3 images under different lights, got {len(paths)}"
        )
    stack: NDArray[np.float32] | None = None
    first_kind = ""
    for i, p in enumerate(paths):
        img = to_grey(read_image(p, max_points=max_points))
        kind = _bit_depth(p)
        if stack is None:
            stack = np.empty((len(paths), *img.shape), dtype=np.float32)
            first_kind = kind
        elif img.shape != stack.shape[1:]:
            raise InvalidParameterError(
                f"images differ in size: {paths[0].name} is {stack.shape[2]} x {stack.shape[1]} pixels, "
                f"{p.name} is {img.shape[1]} x {img.shape[0]}; all images must be registered on one grid"
            )
        elif kind != first_kind:
            raise InvalidParameterError(
                f"images differ in bit depth: {paths[0].name} is {first_kind}, {p.name} is {kind}; "
                "export all images from the same raw files the same way"
            )
        stack[i] = img
    assert stack is not None
    return stack


def _bit_depth(path: Path) -> str:
    """A short label of how a file stores values (for the same-bit-depth check)."""
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        return "8-bit"
    if suffix == ".png":
        return f"{_png_header(path)[2]}-bit"
    import tifffile

    with tifffile.TiffFile(path) as tif:
        dtype = tif.pages.first.dtype
    return "float" if dtype is not None and np.dtype(dtype).kind == "f" else f"{np.dtype(dtype).itemsize * 8}-bit"
