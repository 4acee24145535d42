"""ISO 5436-2 / ISO 25178-72 x3p: a zip with ``main.xml``, ``bindata/data.bin`` and checksums.

Read by hand (zipfile + defusedxml) so that every size is checked before anything is inflated:
the declared matrix size against the point limit, each member's declared size against the bytes
that size implies, and the MD5 checksums of ``main.xml`` and the data. Lengths in the file are in
metres; scarwise works in mm. Increments and offsets are parsed as decimals and scaled by 10^3
exactly, and the writer stores heights in mm with a z increment of 1e-3, so that a file written
here reads back bit for bit.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
from defusedxml import ElementTree as DefusedET
from defusedxml.common import DefusedXmlException

from scarwise.core import HeightMap, InvalidFileError, check_point_count
from scarwise.surface.io._limits import (
    MAX_XML_BYTES,
    check_member_size,
    check_xml_safe,
    open_zip,
    read_member,
    warn,
)
from scarwise.surface.io._points import grid_points

_DTYPES = {"I": np.dtype("<i2"), "L": np.dtype("<i4"), "F": np.dtype("<f4"), "D": np.dtype("<f8")}
_NS = "http://www.opengps.eu/2008/ISO5436_2"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(parent: Element | None, *names: str) -> Element | None:
    node = parent
    for name in names:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(parent: Element | None, *names: str) -> str | None:
    node = _find(parent, *names)
    return None if node is None or node.text is None else node.text.strip()


def _mm(text: str | None, default: str, what: str, path: Path) -> float:
    """A length in metres (decimal text) as mm, scaled exactly by 10^3."""
    try:
        value = Decimal(text if text else default).scaleb(3)
    except InvalidOperation as exc:
        raise InvalidFileError(f"{path.name}: {what} {text!r} is not a number") from exc
    out = float(value)
    if not math.isfinite(out):
        raise InvalidFileError(f"{path.name}: {what} {text!r} is not finite")
    return out


def _int(text: str | None, what: str, path: Path) -> int:
    try:
        value = int(text or "")
    except ValueError as exc:
        raise InvalidFileError(f"{path.name}: main.xml {what} {text!r} is not a whole number") from exc
    if value < 1:
        raise InvalidFileError(f"{path.name}: main.xml {what} is {value}, must be at least 1")
    return value


def _axis(axes: Element | None, name: str, path: Path) -> dict[str, Any]:
    node = _find(axes, name)
    if node is None:
        raise InvalidFileError(f"{path.name}: main.xml has no axis {name}")
    kind = (_text(node, "AxisType") or "").upper()
    if kind not in ("I", "A"):
        raise InvalidFileError(f"{path.name}: axis {name} has AxisType {kind!r}, expected I or A")
    dtype_code = (_text(node, "DataType") or "D").upper()
    if dtype_code not in _DTYPES:
        raise InvalidFileError(f"{path.name}: axis {name} has DataType {dtype_code!r}; expected I, L, F or D")
    inc = _mm(_text(node, "Increment"), "1", f"{name} Increment", path)
    if inc == 0:
        raise InvalidFileError(f"{path.name}: axis {name} has a zero Increment")
    return {"type": kind, "dtype": _DTYPES[dtype_code], "code": dtype_code, "inc_mm": inc,
            "off_mm": _mm(_text(node, "Offset"), "0", f"{name} Offset", path)}


def _md5_ok(data: bytes, expected: str | None) -> bool:
    if not expected or len(expected.strip()) != 32:
        return True  # a missing or malformed checksum is not checked
    return hashlib.md5(data).hexdigest() == expected.strip().lower()


def read_x3p(path: Path, *, pixel_mm: float | None, limit: int | None) -> HeightMap:
    """Read the first layer of an x3p surface (or grid a point cloud); heights in mm."""
    meta: dict[str, Any] = {}
    with open_zip(path, what="x3p file") as archive:
        members = {i.filename.replace("\\", "/"): i for i in archive.infolist()
                   if i.filename and not i.is_dir()}  # a forged entry may have an empty name
        mains = [n for n in members if n == "main.xml" or (n.count("/") == 1 and n.endswith("/main.xml"))]
        if len(mains) != 1:
            raise InvalidFileError(f"{path.name} is not an x3p file: it holds {len(mains)} main.xml files, not 1")
        base = posixpath.dirname(mains[0])
        xml = read_member(path, archive, members[mains[0]], limit=MAX_XML_BYTES)
        check_xml_safe(path, xml)
        checksum_name = posixpath.join(base, "md5checksum.hex")
        if checksum_name in members:
            hexfile = read_member(path, archive, members[checksum_name], limit=4096)
            digest = hexfile.decode("ascii", "replace").split()[0] if hexfile.strip() else ""
            if not _md5_ok(xml, digest):
                raise InvalidFileError(f"{path.name}: main.xml checksum mismatch (the file was changed or damaged)")
        try:
            root = DefusedET.fromstring(xml)
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise InvalidFileError(f"{path.name}: main.xml is not well-formed XML ({exc})") from exc

        rec1, rec3 = _find(root, "Record1"), _find(root, "Record3")
        if rec1 is None or rec3 is None:
            raise InvalidFileError(f"{path.name}: main.xml lacks Record1 or Record3")
        axes = _find(rec1, "Axes")
        ax = {n: _axis(axes, n, path) for n in ("CX", "CY", "CZ")}
        if ax["CZ"]["type"] != "A":
            raise InvalidFileError(f"{path.name}: the z axis must be absolute (AxisType A)")
        feature = (_text(rec1, "FeatureType") or "SUR").upper()
        meta["x3p_feature"] = feature
        if _find(rec3, "MatrixDimension") is not None:
            nx = _int(_text(rec3, "MatrixDimension", "SizeX"), "SizeX", path)
            ny = _int(_text(rec3, "MatrixDimension", "SizeY"), "SizeY", path)
            nz = _int(_text(rec3, "MatrixDimension", "SizeZ") or "1", "SizeZ", path)
        elif _find(rec3, "ListDimension") is not None:
            nx, ny, nz = _int(_text(rec3, "ListDimension"), "ListDimension", path), 1, 1
            feature = "PCL"
        else:
            raise InvalidFileError(f"{path.name}: Record3 has neither MatrixDimension nor ListDimension")
        check_point_count(nx, ny * nz, limit=limit, what=f"{path.name} ({nx} x {ny} x {nz} layers)")
        n = nx * ny * nz
        stored = [a for a in ("CX", "CY", "CZ") if ax[a]["type"] == "A"]
        record = np.dtype([(a, ax[a]["dtype"]) for a in stored])
        link = _find(rec3, "DataLink")
        if link is None:
            raise InvalidFileError(
                f"{path.name}: the data are stored as XML text (DataList); scarwise reads binary x3p only"
            )
        data_name = posixpath.normpath(posixpath.join(base, (_text(link, "PointDataLink") or "")))
        if data_name not in members:
            raise InvalidFileError(f"{path.name}: the data file {data_name!r} named in main.xml is missing")
        check_member_size(path, members[data_name], expected=n * record.itemsize)
        raw = read_member(path, archive, members[data_name], limit=n * record.itemsize)
        if not _md5_ok(raw, _text(link, "MD5ChecksumPointData")):
            raise InvalidFileError(f"{path.name}: {data_name} checksum mismatch (the file was changed or damaged)")
        valid = None
        valid_link = _text(link, "ValidPointsLink")
        if valid_link:
            valid_name = posixpath.normpath(posixpath.join(base, valid_link))
            if valid_name not in members:
                raise InvalidFileError(f"{path.name}: the validity file {valid_name!r} is missing")
            vbytes = read_member(path, archive, members[valid_name], limit=(n + 7) // 8 + 1024)
            if len(vbytes) < (n + 7) // 8:
                raise InvalidFileError(f"{path.name}: {valid_name} is shorter than {n} bits (truncated)")
            if not _md5_ok(vbytes, _text(link, "MD5ChecksumValidPoints")):
                raise InvalidFileError(f"{path.name}: {valid_name} checksum mismatch")
            valid = np.unpackbits(np.frombuffer(vbytes, np.uint8), count=n, bitorder="little").astype(bool)

    points = np.frombuffer(raw, dtype=record, count=n)

    def values(a: str) -> np.ndarray:
        v = points[a].astype(np.float64) * ax[a]["inc_mm"] + ax[a]["off_mm"]
        if valid is not None:
            v[~valid] = np.nan
        return v

    z = values("CZ")
    meta["x3p_z_type"] = ax["CZ"]["code"]
    if nz > 1:
        warn(meta, f"{path.name} holds {nz} layers; the first is read")
    if feature == "PCL" or ax["CX"]["type"] == "A" or ax["CY"]["type"] == "A":
        first = np.arange(nx * ny)
        coords = []
        for a, index in (("CX", first % nx), ("CY", first // nx)):
            coords.append(values(a)[: nx * ny] if ax[a]["type"] == "A" else index * ax[a]["inc_mm"] + ax[a]["off_mm"])
        keep = np.isfinite(coords[0]) & np.isfinite(coords[1])
        grid, dx, dy = grid_points(coords[0][keep], coords[1][keep], z[: nx * ny][keep],
                                   name=path.name, pixel_mm=pixel_mm, limit=limit, metadata=meta)
        meta["x3p_axes"] = "absolute"
        return HeightMap(grid, dx, dy, meta)
    grid = z[: nx * ny].reshape(ny, nx)
    dx, dy = ax["CX"]["inc_mm"], ax["CY"]["inc_mm"]
    if dx < 0:
        grid, dx = grid[:, ::-1], -dx
    if dy < 0:
        grid, dy = grid[::-1, :], -dy
    meta["origin_mm"] = [ax["CX"]["off_mm"], ax["CY"]["off_mm"]]
    if pixel_mm is not None and (not math.isclose(pixel_mm, dx, rel_tol=1e-9)
                                 or not math.isclose(pixel_mm, dy, rel_tol=1e-9)):
        warn(meta, f"{path.name}: pixel_mm={pixel_mm} overrides the stored pixel size {dx} x {dy} mm")
        dx = dy = pixel_mm
    return HeightMap(np.ascontiguousarray(grid), dx, dy, meta)


_MAIN = """<?xml version="1.0" encoding="UTF-8"?>
<p:ISO5436_2 xmlns:p="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="{ns} {ns}/ISO5436_2.xsd">
  <Record1>
    <Revision>ISO5436 - 2000</Revision>
    <FeatureType>SUR</FeatureType>
    <Axes>
      <CX><AxisType>I</AxisType><DataType>D</DataType><Increment>{dx}</Increment><Offset>0</Offset></CX>
      <CY><AxisType>I</AxisType><DataType>D</DataType><Increment>{dy}</Increment><Offset>0</Offset></CY>
      <CZ><AxisType>A</AxisType><DataType>D</DataType><Increment>0.001</Increment><Offset>0</Offset></CZ>
    </Axes>
  </Record1>
  <Record2>
    <Date>{date}</Date>
    <Instrument><Manufacturer>scarwise</Manufacturer><Model>scarwise</Model><Serial>N/A</Serial>\
<Version>{version}</Version></Instrument>
    <CalibrationDate>{date}</CalibrationDate>
    <ProbingSystem><Type>Software</Type><Identification>scarwise</Identification></ProbingSystem>
    <Comment>heights stored in mm (z increment 0.001 m)</Comment>
  </Record2>
  <Record3>
    <MatrixDimension><SizeX>{nx}</SizeX><SizeY>{ny}</SizeY><SizeZ>1</SizeZ></MatrixDimension>
    <DataLink>
      <PointDataLink>bindata/data.bin</PointDataLink>
      <MD5ChecksumPointData>{md5_data}</MD5ChecksumPointData>{valid_link}
    </DataLink>
  </Record3>
  <Record4><ChecksumFile>md5checksum.hex</ChecksumFile></Record4>
</p:ISO5436_2>
"""


def _metres(value_mm: float) -> str:
    """The decimal text of a length in mm, written in metres exactly (exponent shifted by 3)."""
    return format(Decimal(repr(float(value_mm))).scaleb(-3), "E")


def write_x3p(surface: HeightMap, path: Path) -> None:
    """Write a float64 x3p (ISO 5436-2000 revision) with validity bits and MD5 checksums."""
    from datetime import UTC, datetime

    from scarwise import __version__

    z = np.ascontiguousarray(surface.z, dtype="<f8")
    data = z.tobytes()
    members = [("bindata/data.bin", data)]
    valid_link = ""
    if not surface.valid.all():
        vbytes = np.packbits(surface.valid.ravel(), bitorder="little").tobytes()
        members.append(("bindata/valid.bin", vbytes))
        valid_link = ("\n      <ValidPointsLink>bindata/valid.bin</ValidPointsLink>"
                      f"\n      <MD5ChecksumValidPoints>{hashlib.md5(vbytes).hexdigest()}</MD5ChecksumValidPoints>")
    date = datetime.now(UTC).replace(microsecond=0).isoformat()
    xml = _MAIN.format(ns=_NS, dx=_metres(surface.dx_mm), dy=_metres(surface.dy_mm), nx=surface.nx,
                       ny=surface.ny, md5_data=hashlib.md5(data).hexdigest(), valid_link=valid_link,
                       date=date, version=__version__).encode("utf-8")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.xml", xml)
        archive.writestr("md5checksum.hex", f"{hashlib.md5(xml).hexdigest()} *main.xml\n")
        for name, content in members:
            archive.writestr(name, content)
