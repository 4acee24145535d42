"""Scans without a 3D camera in the clinic: photometric sets to ``.x3p`` scans, colour maps per scan.

A photometric set (images + lights) is reconstructed with :mod:`scarwise.capture` into a height
map that is written as ``.x3p`` and then stored and measured like any uploaded scan. Colour
results need no database column: the maps PNG is a blob, and a JSON sidecar
``<blobs>/colour/scan-<id>.json`` (inside the blob folder, so backups carry it) holds the stats
with the scan's id, clinic and file hash; a sidecar whose hash or clinic does not match is ignored.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from scarwise.clinic._scans import SIDECAR_TEMP_PREFIX, BlobStore
from scarwise.core.errors import (
    InvalidFileError,
    InvalidParameterError,
    TooLargeError,
    UnsupportedFormatError,
)

#: Most photographs accepted in one photometric set.
MAX_IMAGES = 32
LIGHT_SUFFIXES = (".json", ".csv")


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


def reconstruct(images: list[tuple[str | None, BinaryIO]], lights: tuple[str | None, BinaryIO], *,
                pixel_mm: float, max_bytes: int, max_points: int | None, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Photometric stereo from uploaded files; returns the written ``.x3p`` path and a summary.

    Parameters
    ----------
    images : list of (filename, stream)
        3 to ``MAX_IMAGES`` registered photographs, one per light, in the lights' order.
    lights : (filename, stream)
        LIGHTS.json ``{"directions": [[x, y, z], ...]}`` or a CSV ``x,y,z``.
    pixel_mm : float
        Pixel size on the skin in mm.
    max_bytes : int
        Largest total size of all files, in bytes.
    max_points : int, optional
        Largest number of pixels per image.
    out_dir : Path
        Folder for the temporary files and the ``.x3p`` written.
    """
    from scarwise.capture import capture_scan, load_lights
    from scarwise.surface.io import write_surface

    pixel_mm = check_pixel_mm(pixel_mm)
    if not 3 <= len(images) <= MAX_IMAGES:
        raise InvalidParameterError(f"a photometric set needs 3 to {MAX_IMAGES} photographs (one per light), "
                                    f"got {len(images)}")
    suffixes = [check_image_name(name) for name, _ in images]
    light_name = _safe_name(lights[0], "lights.json")
    if Path(light_name).suffix.lower() not in LIGHT_SUFFIXES:
        raise InvalidParameterError(f"{light_name}: the lights must be a .json or .csv file")
    budget = [max_bytes]
    paths = [save_upload(stream, out_dir / f"image-{k:02d}{suffix}", budget=budget)
             for k, ((_, stream), suffix) in enumerate(zip(images, suffixes, strict=True))]
    light_path = save_upload(lights[1], out_dir / f"lights{Path(light_name).suffix.lower()}", budget=budget)
    try:
        parsed = load_lights(light_path, n_images=len(paths))
    except (InvalidFileError, UnsupportedFormatError) as exc:  # a bad lights file is bad input: 422
        raise InvalidParameterError(str(exc).replace(light_path.name, light_name)) from None
    scan = capture_scan(paths, parsed, pixel_mm=pixel_mm, max_points=max_points)
    written = write_surface(scan.surface, out_dir / "capture.x3p")
    return Path(written), scan.summary()


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

