"""Scans without a 3D camera in the clinic: photometric sets to ``.x3p`` scans, colour maps per scan.

A photometric set (images + lights) is checked cheaply in the request and stored as one
content-addressed archive (``<sha256>.capture.zip``) that the new scan row names while it is
``queued``; the background worker reconstructs it with :mod:`scarwise.capture` into a height map,
stores that as ``.x3p``, repoints the row at it and measures it like any uploaded scan. Colour
results need no database column: the maps PNG is a blob, and a JSON sidecar
``<blobs>/colour/scan-<id>.json`` (inside the blob folder, so backups carry it) holds the stats
with the scan's id, clinic and file hash; a sidecar whose hash or clinic does not match is ignored.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scarwise.clinic._scans import SIDECAR_TEMP_PREFIX, BlobStore, _beat, measure_scan
from scarwise.clinic.models import Scan, utcnow
from scarwise.core.errors import (
    InvalidFileError,
    InvalidParameterError,
    ScarwiseError,
    TooLargeError,
    UnsupportedFormatError,
)

#: Most photographs accepted in one photometric set.
MAX_IMAGES = 32
LIGHT_SUFFIXES = (".json", ".csv")
#: Suffix of a stored photometric set (an uncompressed zip) until its ``.x3p`` replaces it.
CAPTURE_SUFFIX = ".capture.zip"
MANIFEST = "capture.json"


def _safe_name(filename: str | None, default: str) -> str:
    name = Path((filename or default).replace("\x00", "")).name[-100:]
    return name or default


def save_upload(stream: BinaryIO, dest: Path, *, budget: list[int]) -> Path:
    """Copy ``stream`` to ``dest`` in chunks, charging ``budget[0]`` bytes (all uploads share it)."""
    with open(dest, "wb") as out:
        while chunk := stream.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise TooLargeError("the photographs together are larger than the upload limit; "
                                    "crop them or raise SCARWISE_MAX_UPLOAD_MB")
            out.write(chunk)
    return dest


def check_image_name(filename: str | None) -> str:
    """The image's suffix; 415 for anything but PNG, TIFF or JPEG."""
    from scarwise.capture import IMAGE_SUFFIXES

    suffix = Path(filename or "").suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UnsupportedFormatError(
            f"{filename!r}: photographs must be one of {', '.join(IMAGE_SUFFIXES)}; export them as 8- or "
            "16-bit PNG or TIFF"
        )
    return suffix


def check_pixel_mm(pixel_mm: float | None) -> float:
    if pixel_mm is None or not (0 < pixel_mm < 100):
        raise InvalidParameterError(f"pixel_mm must be a positive size in mm below 100 (the pixel size on the "
                                    f"skin), got {pixel_mm}")
    return float(pixel_mm)


def _image_size(path: Path, name: str) -> tuple[int, int]:
    """(width, height) from the image's header only (no pixel is decoded)."""
    try:
        if path.suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                shape = tif.pages.first.shape
            if len(shape) < 2:
                raise ValueError(f"shape {shape}")
            return int(shape[1]), int(shape[0])
        from PIL import Image

        with Image.open(path) as im:
            return int(im.width), int(im.height)
    except Exception as exc:  # noqa: BLE001 - any unreadable header is the same bad input
        raise InvalidFileError(f"{name} could not be read as a PNG, TIFF or JPEG image ({exc}); "
                               "is the file complete?") from None


def stage_capture(images: list[tuple[str | None, BinaryIO]], lights: tuple[str | None, BinaryIO], *,
                  pixel_mm: float, max_bytes: int, max_points: int | None, store: BlobStore) -> tuple[str, int, dict]:
    """Check a photometric set cheaply and store it as one content-addressed archive.

    What is checked here (the request answers 4xx): pixel size, 3 to ``MAX_IMAGES`` images of a
    known type, their total size, the lights file (parsed, one direction per image, not
    coplanar), and each image's pixel count and grid from its header. Decoding the images and the
    reconstruction are left to :func:`prepare_capture` in the background.

    Parameters
    ----------
    images : list of (filename, stream)
        Registered photographs, one per light, in the lights' order.
    lights : (filename, stream)
        LIGHTS.json ``{"directions": [[x, y, z], ...]}`` or a CSV ``x,y,z``.
    pixel_mm : float
        Pixel size on the skin in mm.
    max_bytes : int
        Largest total size of all files, in bytes.
    max_points : int, optional
        Largest number of pixels per image.
    store : BlobStore
        Where the archive (an uncompressed zip, suffix ``CAPTURE_SUFFIX``) is stored.

    Returns
    -------
    (sha256, size in bytes, summary) of the archive; summary: images, nx, ny, pixel_mm.
    """
    from scarwise.capture import load_lights
    from scarwise.core import check_point_count

    pixel_mm = check_pixel_mm(pixel_mm)
    if not 3 <= len(images) <= MAX_IMAGES:
        raise InvalidParameterError(f"a photometric set needs 3 to {MAX_IMAGES} photographs (one per light), "
                                    f"got {len(images)}")
    suffixes = [check_image_name(name) for name, _ in images]
    names = [_safe_name(name, f"image-{k:02d}{suffix}") for k, ((name, _), suffix)
             in enumerate(zip(images, suffixes, strict=True))]
    light_name = _safe_name(lights[0], "lights.json")
    light_suffix = Path(light_name).suffix.lower()
    if light_suffix not in LIGHT_SUFFIXES:
        raise InvalidParameterError(f"{light_name}: the lights must be a .json or .csv file")
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".capture-") as tmp:
        out, budget = Path(tmp), [max_bytes]
        paths = [save_upload(stream, out / f"image-{k:02d}{suffix}", budget=budget)
                 for k, ((_, stream), suffix) in enumerate(zip(images, suffixes, strict=True))]
        light_path = save_upload(lights[1], out / f"lights{light_suffix}", budget=budget)
        try:
            load_lights(light_path, n_images=len(paths))
        except (InvalidFileError, UnsupportedFormatError) as exc:  # a bad lights file is bad input: 422
            raise InvalidParameterError(str(exc).replace(light_path.name, light_name)) from None
        sizes = [_image_size(path, name) for path, name in zip(paths, names, strict=True)]
        for (nx, ny), name in zip(sizes, names, strict=True):
            check_point_count(nx, ny, limit=max_points, what=name)
            if (nx, ny) != sizes[0]:
                raise InvalidParameterError(
                    f"images differ in size: {names[0]} is {sizes[0][0]} x {sizes[0][1]} pixels, {name} is "
                    f"{nx} x {ny}; all images must be registered on one grid")
        manifest = {"images": [p.name for p in paths], "names": names, "lights": light_path.name,
                    "lights_name": light_name, "pixel_mm": pixel_mm}
        archive = out / "capture.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest))
            for path in [*paths, light_path]:
                zf.write(path, path.name)
        sha = store.put_file(archive, suffix=CAPTURE_SUFFIX)
        size = archive.stat().st_size
    return sha, size, {"images": len(paths), "nx": sizes[0][0], "ny": sizes[0][1], "pixel_mm": pixel_mm}


def reconstruct_archive(archive: Path, *, max_points: int | None, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Photometric stereo from a stored set (:func:`stage_capture`); the ``.x3p`` path and a summary.

    Errors name the photographs and the lights file as uploaded.
    """
    from scarwise.capture import capture_scan, load_lights
    from scarwise.surface.io import write_surface

    try:
        with zipfile.ZipFile(archive) as zf:
            manifest = json.loads(zf.read(MANIFEST))
            members = [*manifest["images"], manifest["lights"]]
            for member in members:  # only the plain names the stager wrote: never a path
                if Path(member).name != member or member.startswith("."):
                    raise ValueError(f"unexpected member {member!r}")
                with zf.open(member) as src, open(out_dir / member, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise InvalidFileError(f"the stored photometric set is unreadable ({exc}); upload the set again") from None
    renames = {**dict(zip(manifest["images"], manifest["names"], strict=True)),
               manifest["lights"]: manifest["lights_name"]}
    try:
        parsed = load_lights(out_dir / manifest["lights"], n_images=len(manifest["images"]))
        scan = capture_scan([out_dir / name for name in manifest["images"]], parsed,
                            pixel_mm=float(manifest["pixel_mm"]), max_points=max_points)
    except ScarwiseError as exc:  # the same error class, naming the files as the user knows them
        message = str(exc)
        for stored, name in sorted(renames.items(), key=lambda kv: -len(kv[0])):
            message = message.replace(stored, name)
        raise type(exc)(f"photometric reconstruction failed: {message}") from None
    written = write_surface(scan.surface, out_dir / "capture.x3p")
    return Path(written), scan.summary()


def prepare_capture(sessions: sessionmaker[Session], store: BlobStore, settings: Any, scan_id: int,
                    path: Path) -> tuple[Path, dict[str, Any]]:
    """Background step before measuring a capture: reconstruct, store the ``.x3p``, repoint the row.

    The scan is ``running`` (heartbeat ticking) meanwhile; progress goes 0.1 → 0.25. A scan
    whose file is not a stored photometric set is returned unchanged. After the row names the
    ``.x3p``, the archive is deleted unless another scan still names it (the same set twice).
    Returns the ``.x3p`` path and ``{"capture": summary}`` (grid, ``valid_fraction`` of pixels with
    a normal, lights used, albedo, integrator), which is kept in the scan's result.
    """
    if not path.name.endswith(CAPTURE_SUFFIX):
        return path, {}
    _beat(sessions, scan_id, progress=0.1)
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".capture-") as tmp:
        x3p, summary = reconstruct_archive(path, max_points=settings.max_points, out_dir=Path(tmp))
        sha = store.put_file(x3p, suffix=".x3p")
        size = x3p.stat().st_size
    archive_sha = path.name.removesuffix(CAPTURE_SUFFIX)
    with sessions() as db:  # through the ORM, so the audit log records the file the scan now names
        scan = db.get(Scan, scan_id)
        if scan is None:
            raise ScarwiseError(f"scan {scan_id} was deleted while its photometric set was reconstructed")
        scan.sha256, scan.suffix, scan.size_bytes = sha, ".x3p", size
        scan.progress, scan.heartbeat_at = 0.25, utcnow()
        db.commit()
        still_named = db.scalar(select(func.count()).select_from(Scan).where(
            Scan.sha256 == archive_sha, Scan.suffix == CAPTURE_SUFFIX))
    if not still_named:
        path.unlink(missing_ok=True)
    return store.path(sha, ".x3p"), {"capture": summary}


def capture_and_measure(sessions: sessionmaker[Session], store: BlobStore, settings: Any, scan_id: int) -> None:
    """Background job of an uploaded photometric set: reconstruct, then measure like any scan."""
    measure_scan(sessions, store, settings, scan_id, prepare=prepare_capture)


# -- colour -------------------------------------------------------------------------------------
def sidecar_path(store: BlobStore, scan_id: int) -> Path:
    return store.root / "colour" / f"scan-{int(scan_id)}.json"


def read_colour(store: BlobStore, scan: Any) -> dict[str, Any] | None:
    """The colour result stored for ``scan``, or None (also when the sidecar belongs to another scan)."""
    path = sidecar_path(store, scan.id)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if doc.get("scan_sha256") != scan.sha256 or doc.get("clinic_id") != scan.clinic_id:
        return None  # left over from another database: never show it
    return doc


def colour_summary(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The audit-log view of a colour result: its numbers per scar and the maps' hash, no image data."""
    if doc is None:
        return None

    def num(value: Any) -> float | None:
        return round(float(value), 3) if isinstance(value, int | float) and math.isfinite(value) else None

    stats = doc.get("stats") or {}
    photo = stats.get("photo") or {}
    keys = ("area_mm2", "erythema_mean", "erythema_delta", "melanin_mean", "melanin_delta")
    return {"maps_sha256": doc.get("maps_sha256"), "encoding": photo.get("encoding"),
            "chart_normalised": bool(photo.get("chart_normalised")),
            "macular_candidates": stats.get("macular_candidates"),
            "scars": [{"id": r.get("id"), **{k: num(r.get(k)) for k in keys}} for r in stats.get("scars") or []]}


def colour_files(store: BlobStore, scan_id: int) -> list[Path]:
    """The sidecar of ``scan_id`` and its maps PNG (for erasure); only those that exist."""
    path = sidecar_path(store, scan_id)
    out = [path] if path.is_file() else []
    try:
        sha = json.loads(path.read_text(encoding="utf-8")).get("maps_sha256")
    except (OSError, ValueError):
        sha = None
    if sha and store.path(sha, ".png").is_file():
        out.append(store.path(sha, ".png"))
    return out


def analyse_colour(store: BlobStore, scan: Any, photo: tuple[str | None, BinaryIO], *, chart: str | None,
                   linear: bool, max_bytes: int) -> dict[str, Any]:
    """Erythema and melanin maps of a photograph on the scan's grid, per scar of the scan.

    Writes the maps PNG into ``store`` and the sidecar JSON; returns the sidecar's content
    (``stats``: the ``scarwise colour --json`` object, ``maps_sha256``).
    """
    from scarwise.cli_capture import _plot_colour, colour_analysis

    suffix = check_image_name(photo[0])
    name = _safe_name(photo[0], f"photo{suffix}")
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".colour-") as tmp:
        photo_path = save_upload(photo[1], Path(tmp) / name, budget=[max_bytes])
        scan_path = store.path(scan.sha256, scan.suffix)
        try:
            stats, maps, labels, patches = colour_analysis(
                photo_path, scan=scan_path, pixel_mm=scan.pixel_mm, linear=linear, chart=chart,
                chart_reflectance=0.9)
        except InvalidParameterError as exc:  # name the scan as the user knows it, not by its hash
            raise InvalidParameterError(str(exc).replace(scan_path.name, scan.filename)) from None
        png = _plot_colour(maps, labels, patches, Path(tmp) / "colour.png", name)
        maps_sha = store.put_file(png, suffix=".png")
    doc = {"scan_id": scan.id, "clinic_id": scan.clinic_id, "scan_sha256": scan.sha256, "photo": name,
           "maps_sha256": maps_sha, "stats": stats}
    path = sidecar_path(store, scan.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=SIDECAR_TEMP_PREFIX)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, allow_nan=False, default=float)
    os.replace(tmp_name, path)
    return doc

