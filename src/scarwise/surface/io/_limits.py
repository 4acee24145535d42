"""Guards shared by the readers: zip members, XML, warnings and metadata.

Everything here runs before anything large is allocated or decompressed: a zip member's declared
size is compared with what the file header says it should hold, and members are then read with a
bound, so a forged or bomb-like archive fails early with a :class:`ScarwiseError`.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from scarwise.core import InvalidFileError, TooLargeError

#: Largest XML document (x3p ``main.xml``) read, in bytes. Binary data lives in other members.
MAX_XML_BYTES = 32 * 1024 * 1024
_UNSAFE_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def open_zip(path: Path, *, what: str) -> zipfile.ZipFile:
    """Open a zip archive, turning every kind of damage into :class:`InvalidFileError`."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise InvalidFileError(
            f"{path.name} is not a readable {what} (corrupt or truncated zip archive: {exc})"
        ) from exc


def check_member_size(path: Path, info: zipfile.ZipInfo, *, expected: int | None = None,
                      limit: int | None = None) -> None:
    """Check a member's declared size against the bytes expected, or an upper limit, before reading."""
    if expected is not None and info.file_size != expected:
        raise InvalidFileError(
            f"{path.name}: {info.filename} declares {info.file_size} bytes but the header describes "
            f"{expected} bytes; the file is inconsistent or forged"
        )
    if limit is not None and info.file_size > limit:
        raise TooLargeError(
            f"{path.name}: {info.filename} would inflate to {info.file_size} bytes, over the limit of "
            f"{limit} bytes for this member"
        )


def read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    """Read one member, never more than ``limit`` bytes and never more than it declares."""
    check_member_size(path, info, limit=limit)
    try:
        with archive.open(info) as stream:
            data = stream.read(info.file_size + 1)  # ZipExtFile stops at the declared size
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError) as exc:  # ValueError: e.g. a member name that is not valid UTF-8
        raise InvalidFileError(f"{path.name}: cannot read {info.filename} (corrupt or truncated: {exc})") from exc
    if len(data) != info.file_size:
        raise InvalidFileError(f"{path.name}: {info.filename} is shorter than declared (truncated)")
    return data


def check_xml_safe(path: Path, data: bytes) -> None:
    """Refuse XML with a DOCTYPE or ENTITY declaration (entity expansion bombs, external entities)."""
    if _UNSAFE_XML.search(data):
        raise InvalidFileError(
            f"{path.name}: main.xml contains a DOCTYPE or ENTITY declaration, which x3p files never need; "
            "refusing to parse it (possible XML entity bomb)"
        )


def warn(metadata: dict[str, Any], message: str) -> None:
    """Emit a :class:`UserWarning` and record it in ``metadata['warnings']``."""
    warnings.warn(message, UserWarning, stacklevel=3)
    metadata.setdefault("warnings", []).append(message)


def round_sig(value: float, digits: int = 9) -> float:
    """Round to ``digits`` significant digits (pixel sizes inferred from coordinates)."""
    return float(f"{value:.{digits}g}")


def as_float_heights(z: np.ndarray, *, path: Path, what: str) -> np.ndarray:
    """Heights as float64; refuse integer and other non-float data, whose unit is unknown."""
    if z.dtype.kind != "f":
        raise InvalidFileError(
            f"{path.name}: {what} holds {z.dtype} values; scarwise reads heights as floating-point mm "
            "(integer data carry no height unit: convert to float32/float64 millimetres first)"
        )
    return np.asarray(z, dtype=np.float64)
