"""x3p: hand-built files with known numbers, the x3pio peer, and every kind of damaged file."""

import hashlib
import io
import zipfile

import numpy as np
import pytest

from scarwise.core import HeightMap, InvalidFileError, TooLargeError
from scarwise.surface.io import read_surface, write_surface

x3pio = pytest.importorskip("x3pio")


def _axis(name, kind="I", dtype="D", inc="1e-05", off="0"):
    return (f"<{name}><AxisType>{kind}</AxisType><DataType>{dtype}</DataType>"
            f"<Increment>{inc}</Increment><Offset>{off}</Offset></{name}>")


def _main(nx, ny, *, axes, data_md5="", valid="", prolog=""):
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
            '<p:ISO5436_2 xmlns:p="http://www.opengps.eu/2008/ISO5436_2"><Record1><Revision>ISO5436 - 2000'
            f"</Revision><FeatureType>SUR</FeatureType><Axes>{axes}</Axes></Record1><Record3><MatrixDimension>"
            f"<SizeX>{nx}</SizeX><SizeY>{ny}</SizeY><SizeZ>1</SizeZ></MatrixDimension><DataLink>"
            f"<PointDataLink>bindata/data.bin</PointDataLink><MD5ChecksumPointData>{data_md5}"
            f"</MD5ChecksumPointData>{valid}</DataLink></Record3><Record4><ChecksumFile>md5checksum.hex"
            "</ChecksumFile></Record4></p:ISO5436_2>")


def _build(path, main, data, *, valid=None, main_md5=True):
    xml = main.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("main.xml", xml)
        if main_md5:
            zf.writestr("md5checksum.hex", f"{hashlib.md5(xml).hexdigest()} *main.xml\n")
        zf.writestr("bindata/data.bin", data)
        if valid is not None:
            zf.writestr("bindata/valid.bin", valid)
    return path


def test_hand_built_int16_with_scale_offset_and_valid_bits(tmp_path):
    raw = np.array([[0, 1, 2], [-3, 100, 32767]], dtype="<i2")
    valid = np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)
    vbytes = np.packbits(valid.ravel(), bitorder="little").tobytes()
    axes = _axis("CX", inc="2.5e-5") + _axis("CY", inc="4e-5") + _axis("CZ", "A", "I", "1e-7", "2e-6")
    data = raw.tobytes()
    main = _main(3, 2, axes=axes, data_md5=hashlib.md5(data).hexdigest(),
                 valid="<ValidPointsLink>bindata/valid.bin</ValidPointsLink>")
    path = _build(tmp_path / "hand.x3p", main, data, valid=vbytes)
    s = read_surface(path)
    expected = raw * 1e-4 + 2e-3  # mm: stored value x 0.1 um + 2 um offset
    expected[~valid] = np.nan
    np.testing.assert_allclose(s.z, expected, rtol=1e-12)
    assert np.isnan(s.z[0, 2]) and (s.dx_mm, s.dy_mm) == (0.025, 0.04)
    peer = x3pio.read(path).layers[0]  # the peer agrees on the same bytes (offset is in its placement)
    np.testing.assert_allclose(s.z, peer.points()[..., 2] * 1e3, rtol=1e-12)


@pytest.mark.parametrize("z_type", ["INT16", "INT32", "FLOAT32", "FLOAT64"])
def test_reads_peer_written_files_like_the_peer(tmp_path, z_type):
    rng = np.random.default_rng(2)
    z_m = rng.normal(0, 1e-4, (5, 8))
    z_m[1, 2] = np.nan
    path = tmp_path / f"{z_type}.x3p"
    x3pio.write(path, z_m, x_scale=3e-5, y_scale=2e-5, z_type=getattr(x3pio.DataType, z_type))
    ours, peer = read_surface(path), x3pio.read(path).layers[0]
    np.testing.assert_allclose(ours.z, peer.z * 1e3, rtol=1e-12, atol=1e-15)
    assert np.array_equal(np.isnan(ours.z), np.isnan(z_m))
    assert (ours.dx_mm, ours.dy_mm) == pytest.approx((0.03, 0.02), rel=1e-12)


def test_peer_reads_our_files(tmp_path):
    z = np.random.default_rng(3).normal(0, 0.1, (4, 6))
    z[2, 2] = np.nan
    path = write_surface(HeightMap(z, 0.025, 0.03), tmp_path / "ours.x3p")
    peer = x3pio.read(path)  # verifies our MD5 checksums too
    layer = peer.layers[0]
    np.testing.assert_allclose(layer.z * 1e3, z, rtol=1e-15)
    assert layer.spacing == pytest.approx((2.5e-5, 3e-5), rel=1e-15)


def test_absolute_axes(tmp_path):
    nx, ny = 4, 3
    jj, ii = np.meshgrid(np.arange(nx), np.arange(ny))
    rec = np.empty(nx * ny, dtype=[("x", "<f8"), ("y", "<f8"), ("z", "<f8")])
    rec["x"] = (jj * 5e-5 + 1e-3).ravel()  # regular, offset origin
    rec["y"] = (ii * 2e-5).ravel()
    rec["z"] = (jj + 10 * ii).ravel() * 1e-6
    data = rec.tobytes()
    axes = _axis("CX", "A", "D", "1") + _axis("CY", "A", "D", "1") + _axis("CZ", "A", "D", "1")
    path = _build(tmp_path / "abs.x3p", _main(nx, ny, axes=axes), data)
    s = read_surface(path)
    assert (s.dx_mm, s.dy_mm) == (0.05, 0.02)
    np.testing.assert_allclose(s.z, (jj + 10 * ii) * 1e-3, rtol=1e-12)
    # Scattered absolute points: gridded with a warning.
    rng = np.random.default_rng(0)
    rec["x"] = rng.uniform(0, 1e-3, nx * ny)
    rec["y"] = rng.uniform(0, 1e-3, nx * ny)
    rec["z"] = 0.0
    _build(tmp_path / "scatter.x3p", _main(nx, ny, axes=axes), rec.tobytes())
    with pytest.warns(UserWarning, match="not on a regular grid"):
        s = read_surface(tmp_path / "scatter.x3p", pixel_mm=0.1)
    assert np.nanmax(np.abs(s.z)) == 0.0 and s.metadata["warnings"]


def _good(tmp_path, name="good.x3p"):
    z = np.arange(12.0).reshape(3, 4) * 1e-3
    return write_surface(HeightMap(z, 0.01, 0.01), tmp_path / name)


def test_corrupt_and_truncated_zip(tmp_path):
    bad = tmp_path / "bad.x3p"
    bad.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(InvalidFileError, match="corrupt or truncated"):
        read_surface(bad)
    blob = _good(tmp_path).read_bytes()
    for cut in (len(blob) // 2, len(blob) - 30, 100):
        (tmp_path / "cut.x3p").write_bytes(blob[:cut])
        with pytest.raises(InvalidFileError):
            read_surface(tmp_path / "cut.x3p")


def _rewrite(src, dst, **replace):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename.replace("/", "_").replace(".", "_"),
                                                     zin.read(info)))
    return dst


def test_checksum_mismatch(tmp_path):
    good = _good(tmp_path)
    with zipfile.ZipFile(good) as zf:
        data = bytearray(zf.read("bindata/data.bin"))
        xml = zf.read("main.xml")
    data[5] ^= 0xFF
    _rewrite(good, tmp_path / "data.x3p", bindata_data_bin=bytes(data))
    with pytest.raises(InvalidFileError, match="checksum mismatch"):
        read_surface(tmp_path / "data.x3p")
    _rewrite(good, tmp_path / "xml.x3p", main_xml=xml.replace(b"scarwise</Identification>", b"edited</Identification>"))
    with pytest.raises(InvalidFileError, match="main.xml checksum mismatch"):
        read_surface(tmp_path / "xml.x3p")


def test_declared_size_does_not_match_data(tmp_path):
    axes = _axis("CX") + _axis("CY") + _axis("CZ", "A")
    path = _build(tmp_path / "size.x3p", _main(5, 5, axes=axes), np.zeros(20).tobytes())
    with pytest.raises(InvalidFileError, match="declares 160 bytes but the header describes 200"):
        read_surface(path)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    axes = _axis("CX") + _axis("CY") + _axis("CZ", "A")
    # 10 x 10 points declared, but the data member inflates to 16 MiB of zeros (~70 KiB compressed).
    bomb = b"\0" * (16 * 1024 * 1024)
    path = _build(tmp_path / "bomb.x3p", _main(10, 10, axes=axes), bomb)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(InvalidFileError, match="declares 16777216 bytes"):
        read_surface(path)
    # A main.xml padded to 33 MiB of blanks: over the XML limit, refused from its declared size.
    xml = _main(10, 10, axes=axes) + " " * (33 * 1024 * 1024)
    _build(tmp_path / "xmlbomb.x3p", xml, np.zeros(100).tobytes(), main_md5=False)
    with pytest.raises(TooLargeError, match="inflate"):
        read_surface(tmp_path / "xmlbomb.x3p")


def test_dimensions_beyond_the_limit(tmp_path):
    axes = _axis("CX") + _axis("CY") + _axis("CZ", "A")
    path = _build(tmp_path / "huge.x3p", _main(100000, 100000, axes=axes), b"")
    with pytest.raises(TooLargeError, match="over the limit"):
        read_surface(path)
    good = _good(tmp_path)
    with pytest.raises(TooLargeError, match="max-points"):
        read_surface(good, max_points=5)
    assert read_surface(good, max_points=12).z.shape == (3, 4)


def test_xml_with_doctype_or_entity_is_refused(tmp_path):
    axes = _axis("CX") + _axis("CY") + _axis("CZ", "A")
    lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    path = _build(tmp_path / "ent.x3p", _main(2, 2, axes=axes, prolog=lol), np.zeros(4).tobytes())
    with pytest.raises(InvalidFileError, match="DOCTYPE or ENTITY"):
        read_surface(path)


def test_malformed_main_xml(tmp_path):
    axes = _axis("CX") + _axis("CY") + _axis("CZ", "A")
    cases = {
        "notxml": "<p:ISO5436_2 <<",
        "noaxis": _main(2, 2, axes=_axis("CX") + _axis("CZ", "A")),
        "badsize": _main("two", 2, axes=axes),
        "badtype": _main(2, 2, axes=_axis("CX") + _axis("CY") + _axis("CZ", "A", "Q")),
        "zeroinc": _main(2, 2, axes=_axis("CX", inc="0") + _axis("CY") + _axis("CZ", "A")),
    }
    for name, xml in cases.items():
        path = _build(tmp_path / f"{name}.x3p", xml, np.zeros(4).tobytes(), main_md5=False)
        with pytest.raises(InvalidFileError):
            read_surface(path)
    with zipfile.ZipFile(tmp_path / "nomain.x3p", "w") as zf:
        zf.writestr("bindata/data.bin", b"")
    with pytest.raises(InvalidFileError, match="main.xml"):
        read_surface(tmp_path / "nomain.x3p")


def test_pixel_override_warns(tmp_path):
    good = _good(tmp_path)
    with pytest.warns(UserWarning, match="overrides"):
        s = read_surface(good, pixel_mm=0.02)
    assert s.dx_mm == 0.02 and "overrides" in s.metadata["warnings"][0]


def test_nested_folder_layout(tmp_path):
    good = _good(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            zout.writestr("scan/" + info.filename, zin.read(info))
    (tmp_path / "nested.x3p").write_bytes(buf.getvalue())
    np.testing.assert_array_equal(read_surface(tmp_path / "nested.x3p").z, read_surface(good).z)
