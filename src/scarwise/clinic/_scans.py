"""Scan files (content-addressed on disk) and their measurement in a background thread.

The status row is the only state: ``queued`` → ``running`` (with ``progress`` and a heartbeat
while the worker lives) → ``done`` | ``failed``. A running scan whose heartbeat stopped (the
process died) is marked ``failed`` at start-up and whenever it is read, so it never stays running.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from scarwise.clinic._settings import Settings
from scarwise.clinic.models import Scan, utcnow
from scarwise.core.errors import ScarwiseError, TooLargeError, UnsupportedFormatError

#: Suffixes the measure module reads (used until ``scarwise.surface.io`` lists its own).
KNOWN_SUFFIXES = (".x3p", ".tif", ".tiff", ".csv", ".xyz", ".ply", ".obj", ".npy", ".npz")


def worker_id() -> str:
    """``host:pid`` of this process, recorded on the scans it queues and runs.

    Read at call time, not import time: a server that forks after importing this module (gunicorn
    ``--preload``, uvicorn ``--workers``) must record the worker's pid, not its parent's, or a
    killed worker's scans would look alive for as long as the parent lives.
    """
    return f"{socket.gethostname()}:{os.getpid()}"

_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()
_LOG = logging.getLogger("scarwise.clinic")
#: Prefixes of the temporary files and folders writers leave in the store root if the process dies.
TEMP_PREFIXES = (".upload-", ".capture-", ".colour-", "tmp")
#: Prefix of a colour result's sidecar while it is written, in ``colour/`` (``_capture``).
SIDECAR_TEMP_PREFIX = ".sidecar-"
DIED = "the measurement stopped because its worker died (server restart?); upload the scan again"


def supported_suffixes() -> tuple[str, ...]:
    try:
        from scarwise.surface.io import SUPPORTED_SUFFIXES
    except ImportError:  # pragma: no cover - measure module missing
        return KNOWN_SUFFIXES
    return tuple(SUPPORTED_SUFFIXES) or KNOWN_SUFFIXES


def check_suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    allowed = supported_suffixes()
    if suffix not in allowed:
        raise UnsupportedFormatError(
            f"{filename!r}: scans must be one of {', '.join(allowed)}; export the scan in one of these formats"
        )
    return suffix


class BlobStore:
    """Files named by their SHA-256 under ``root/ab/abcdef…``; the same content is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def put_stream(self, stream: BinaryIO, *, suffix: str, max_bytes: int) -> tuple[str, int]:
        """Copy ``stream`` in chunks, refusing more than ``max_bytes``; returns (sha256, size)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLargeError(
                            f"the file is larger than {max_bytes / 2**20:.0f} MiB; "
                            "crop the scan or raise SCARWISE_MAX_UPLOAD_MB"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path(sha, suffix)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            return sha, size
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def put_file(self, src: Path, *, suffix: str) -> str:
        with open(src, "rb") as fh:
            return self.put_stream(fh, suffix=suffix, max_bytes=1 << 62)[0]

    def remove_stale(self, referenced: set[str], *, grace_s: float) -> list[Path]:
        """Remove what a killed writer left behind, if older than ``grace_s`` seconds.

        That is temporary files and folders in the root (``.upload-*`` and the like) and in
        ``colour/`` (``.sidecar-*``), and blob files
        whose name (``sha256 + suffix``) is not in ``referenced``: written, but the process died
        before the row naming them was committed. The grace period spares files that another live
        process is writing now. Returns the paths removed; each is logged.
        """
        if not self.root.is_dir():
            return []
        limit, removed = time.time() - grace_s, []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(TEMP_PREFIXES):
                candidates = [(entry, "temporary file")]
            elif entry.is_dir() and len(entry.name) == 2:  # ab/abcdef...
                candidates = [(path, "unreferenced blob") for path in sorted(entry.iterdir())
                              if path.is_file() and path.name not in referenced]
            elif entry.is_dir() and entry.name == "colour":  # colour results' half-written sidecars
                candidates = [(path, "temporary file") for path in sorted(entry.glob(SIDECAR_TEMP_PREFIX + "*"))]
            else:
                continue
            for path, what in candidates:
                if _mtime(path) > limit:
                    continue
                try:
                    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                except OSError as exc:
                    _LOG.warning("could not remove %s %s: %s", what, path, exc)
                    continue
                removed.append(path)
                _LOG.warning("removed %s %s, left by an interrupted write", what, path)
        return removed


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return float("inf")  # gone already: nothing to remove


def referenced_blobs(db: Session, store: BlobStore) -> set[str]:
    """File names of every blob a row or a colour result names: scans, scar maps, colour maps."""
    names: set[str] = set()
    for sha, suffix, map_sha in db.execute(select(Scan.sha256, Scan.suffix, Scan.map_sha256)):
        names.add(f"{sha}{suffix}")
        if map_sha:
            names.add(f"{map_sha}.png")
    for sidecar in (store.root / "colour").glob("*.json"):  # colour results (``_capture.sidecar_path``)
        try:
            maps = json.loads(sidecar.read_text(encoding="utf-8")).get("maps_sha256")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(maps, str):
            names.add(f"{maps}.png")
    return names


def clean_blob_store(db: Session, store: BlobStore, *, grace_s: float) -> list[Path]:
    """At start-up: remove temporary files and unreferenced blobs older than ``grace_s`` seconds."""
    return store.remove_stale(referenced_blobs(db, store), grace_s=grace_s)


def _beat(sessions: sessionmaker[Session], scan_id: int, **values: object) -> None:
    with sessions() as db:
        db.execute(update(Scan).where(Scan.id == scan_id).values(heartbeat_at=utcnow(), **values))
        db.commit()


def _slots(n: int) -> threading.BoundedSemaphore:
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(n, threading.BoundedSemaphore(n))


#: ``prepare(sessions, store, settings, scan_id, path) -> (path, extra)``: turns the stored file into
#: the scan file to measure (and updates the row), run by the worker while the scan is ``running``;
#: ``extra`` keys are added to the stored result (e.g. ``{"capture": {...}}``).
Prepare = Callable[[sessionmaker[Session], BlobStore, Settings, int, Path], tuple[Path, dict[str, Any]]]


def measure_scan(sessions: sessionmaker[Session], store: BlobStore, settings: Settings, scan_id: int, *,
                 prepare: Prepare | None = None) -> None:
    """Measure one stored scan and write the result (or a readable error) to its row.

    At most ``settings.scan_workers`` scans are measured at once; the others stay ``queued``.
    ``prepare`` (optional) first turns the stored file into the scan to measure, e.g. a
    photometric set into its reconstructed ``.x3p`` (``_capture.prepare_capture``); its
    ``ScarwiseError`` ends the scan as ``failed`` with that message.
    """
    with _slots(settings.scan_workers):
        _measure(sessions, store, settings, scan_id, prepare)


def _measure(sessions: sessionmaker[Session], store: BlobStore, settings: Settings, scan_id: int,
             prepare: Prepare | None = None) -> None:
    from scarwise.surface.io import read_surface
    from scarwise.surface.measure import measure_surface

    with sessions() as db:
        scan = db.get(Scan, scan_id)
        if scan is None or scan.status != "queued":
            return
        path, pixel_mm = store.path(scan.sha256, scan.suffix), scan.pixel_mm
        scan.status, scan.worker, scan.heartbeat_at, scan.progress = "running", worker_id(), utcnow(), 0.05
        db.commit()
    stop = threading.Event()
    ticker = threading.Thread(target=_tick, args=(sessions, scan_id, stop, settings.scan_stale_s), daemon=True)
    ticker.start()
    try:
        extra: dict[str, Any] = {}
        if prepare is not None:
            path, extra = prepare(sessions, store, settings, scan_id, path)
        kwargs = {"pixel_mm": pixel_mm}
        if settings.max_points is not None:
            kwargs["max_points"] = settings.max_points
        surface = read_surface(path, **kwargs)
        _beat(sessions, scan_id, progress=0.3)
        result = measure_surface(surface)
        _beat(sessions, scan_id, progress=0.8)
        map_sha = _scar_map(store, surface, result)
        values = {"status": "done", "progress": 1.0, "result": {**result.to_json(), **extra}, "map_sha256": map_sha,
                  "error": None}
    except ScarwiseError as exc:
        values = {"status": "failed", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - any crash must end as a readable failed status
        values = {"status": "failed", "error": f"measurement failed unexpectedly ({type(exc).__name__}: {exc})"}
    finally:
        stop.set()
    with sessions() as db:
        scan = db.get(Scan, scan_id)
        if scan is not None:
            for key, value in values.items():
                setattr(scan, key, value)
            scan.finished_at = utcnow()
            db.commit()


def _tick(sessions: sessionmaker[Session], scan_id: int, stop: threading.Event, stale_s: int) -> None:
    while not stop.wait(max(1.0, stale_s / 4)):
        try:
            _beat(sessions, scan_id)
        except Exception:  # noqa: BLE001 - a missed beat is retried; the main work decides the status
            pass


def _scar_map(store: BlobStore, surface: object, result: object) -> str | None:
    """Render the scar map PNG into the blob store; None if plotting is unavailable."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from scarwise.surface.plot import plot_scar_map
    except ImportError:  # pragma: no cover
        return None
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root) as tmp:
        png = plot_scar_map(surface, result, Path(tmp) / "map.png")
        return store.put_file(Path(png), suffix=".png")


def worker_alive(worker: str | None) -> bool | None:
    """Whether the process ``host:pid`` still runs: True/False on this host, None for another host."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return None
    if worker == worker_id():
        return True
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except PermissionError:  # exists, owned by someone else
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return True


def fail_dead_scans(db: Session, *, stale_s: int, scan_ids: list[int] | None = None) -> int:
    """Mark ``failed`` every queued or running scan whose worker is gone; returns how many.

    Gone: its process (on this host) no longer exists, or, for a running scan, its heartbeat is
    older than ``stale_s`` (the worker beats every ``stale_s / 4`` while it measures). Queued scans
    of live processes are left to run, so several server processes may share one database.
    """
    limit = utcnow() - dt.timedelta(seconds=stale_s)
    query = select(Scan).where(Scan.status.in_(("queued", "running")))
    if scan_ids is not None:
        query = query.where(Scan.id.in_(scan_ids))
    failed = 0
    for scan in db.scalars(query):
        alive = worker_alive(scan.worker)
        stale = scan.status == "running" and (scan.heartbeat_at is None or scan.heartbeat_at < limit)
        if alive is False or stale:
            scan.status, scan.error, scan.finished_at = "failed", DIED, utcnow()
            failed += 1
    db.commit()
    return failed
