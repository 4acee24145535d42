"""Backup and restore of a clinic installation: the database plus every stored file (scans, maps).

A backup is a folder::

    OUT/manifest.json        format, backend, Alembic revision, time, SHA-256 and size of every file
    OUT/database.sqlite      SQLite: a consistent copy made with SQLite's online backup API
    OUT/database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    OUT/blobs/ab/abcdef...   the content-addressed file store, copied as is
    OUT/blobs/colour/...     the colour results (``scan-<id>.json`` sidecars; their maps PNGs are blobs)

Temporary files of writes in flight (uploads, captures, colour sidecars) are left out.

:func:`restore` checks every checksum (and that no file was added or is missing) before it touches
the target, and refuses to overwrite a database that already holds records unless ``force=True``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, make_url, text

from scarwise.clinic._scans import SIDECAR_TEMP_PREFIX, TEMP_PREFIXES
from scarwise.clinic._settings import Settings
from scarwise.core.errors import InvalidFileError, InvalidParameterError

FORMAT = "scarwise-backup/1"
MANIFEST = "manifest.json"
#: tables whose rows make a database "non-empty" (a fresh, migrated database has none)
#: name prefixes of files being written (skipped): the store's temporaries and ``_capture``'s sidecar temp files
_IN_FLIGHT = (*TEMP_PREFIXES, SIDECAR_TEMP_PREFIX)
_CONTENT_TABLES = ("clinic", "user", "patient", "scan", "treatment_session", "audit_log")


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds: ``files`` maps each relative path to ``(sha256, size_bytes)``."""

    backend: str
    revision: str | None
    created_at: str
    files: dict[str, tuple[str, int]]

    @property
    def blob_count(self) -> int:
        return sum(1 for name in self.files if name.startswith("blobs/"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _backend(url: str) -> str:
    if url.startswith("sqlite"):
        if url.endswith(":memory:") or not url.startswith("sqlite:///"):
            raise InvalidParameterError("an in-memory SQLite database cannot be backed up; use a database file")
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise InvalidParameterError(f"backups support SQLite and PostgreSQL, not {url.split(':', 1)[0]}")


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options and environment (password in PGPASSWORD, never on the command line)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    args = ["--host", u.host or "localhost", "--port", str(u.port or 5432), "--dbname", u.database or ""]
    if u.username:
        args += ["--username", u.username]
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise InvalidParameterError(f"{cmd[0]} is not installed; install the PostgreSQL client tools")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        raise InvalidParameterError(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}")


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def record_count(url: str) -> int:
    """Rows in the content tables (0 for a fresh or missing database)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            return sum(int(conn.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0)  # noqa: S608 - fixed names
                       for t in _CONTENT_TABLES if t in names)
    finally:
        engine.dispose()


def backup(settings: Settings, out: str | os.PathLike[str]) -> BackupManifest:
    """Write a checksummed backup of the database and the file store to the new folder ``out``.

    Raises
    ------
    InvalidParameterError
        ``out`` exists and is not empty, the database kind is unsupported, or ``pg_dump`` failed.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidParameterError(f"{out} already exists and is not an empty folder; choose a new folder")
    url = settings.resolved_database_url()
    backend = _backend(url)
    out.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        db_file = Path(url.removeprefix("sqlite:///"))
        if not db_file.is_file():
            raise InvalidParameterError(f"no database at {db_file}")
        src = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        dst = sqlite3.connect(out / "database.sqlite")
        try:
            src.backup(dst)  # online backup: consistent even while the app writes
        finally:
            dst.close()
            src.close()
    else:
        args, env = _pg_args(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(out / "database.pgdump"), *args], env)
    blobs = settings.resolved_data_dir() / "blobs"
    if blobs.is_dir():
        for path in sorted(blobs.rglob("*")):
            rel = path.relative_to(blobs)
            if path.is_file() and not any(part.startswith(_IN_FLIGHT) for part in rel.parts):
                target = out / "blobs" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    files = {p.relative_to(out).as_posix(): (_sha256(p), p.stat().st_size)
             for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = BackupManifest(backend=backend, revision=_revision(url),
                              created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), files=files)
    doc: dict[str, Any] = {"format": FORMAT, "backend": backend, "revision": manifest.revision,
                           "created_at": manifest.created_at,
                           "files": {k: {"sha256": s, "size": n} for k, (s, n) in files.items()}}
    (out / MANIFEST).write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def verify(src: str | os.PathLike[str]) -> BackupManifest:
    """Check a backup folder against its manifest (every checksum, no missing or extra file)."""
    src = Path(src)
    try:
        doc = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise InvalidFileError(f"{src}: not a {FORMAT} backup (format {doc.get('format')!r})")
        files = {k: (str(v["sha256"]), int(v["size"])) for k, v in doc["files"].items()}
        manifest = BackupManifest(backend=str(doc["backend"]), revision=doc.get("revision"),
                                  created_at=str(doc["created_at"]), files=files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidFileError(f"{src}: missing or unreadable {MANIFEST} ({exc})") from exc
    present = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(files):
        raise InvalidFileError(f"{src}: files differ from the manifest (missing {sorted(set(files) - present)[:5]}, "
                               f"extra {sorted(present - set(files))[:5]})")
    for name, (sha, size) in files.items():
        path = src / name
        if path.stat().st_size != size or _sha256(path) != sha:
            raise InvalidFileError(f"{src}: {name} does not match its checksum; the backup is damaged")
    return manifest


def restore(settings: Settings, src: str | os.PathLike[str], *, force: bool = False) -> BackupManifest:
    """Restore a verified backup into the configured database and data folder.

    Refuses a target database that already holds records unless ``force``, and a backup made from
    another kind of database (SQLite vs PostgreSQL).
    """
    src = Path(src)
    manifest = verify(src)
    url = settings.resolved_database_url()
    backend = _backend(url)
    if manifest.backend != backend:
        raise InvalidParameterError(f"the backup is of a {manifest.backend} database; the target is {backend}")
    if backend == "sqlite":
        db_file = Path(url.removeprefix("sqlite:///"))
        existing = record_count(url) if db_file.is_file() else 0
    else:
        existing = record_count(url)
    if existing and not force:
        raise InvalidParameterError(f"the target database already holds {existing} records; "
                                    "restore into an empty database or pass --force to replace it")
    if backend == "sqlite":
        db_file.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{src / 'database.sqlite'}?mode=ro", uri=True)
        target = sqlite3.connect(db_file)
        try:
            source.backup(target)  # replaces every page of the target, WAL included
        finally:
            target.close()
            source.close()
    else:
        args, env = _pg_args(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
              str(src / "database.pgdump")], env)
    blobs = settings.resolved_data_dir() / "blobs"
    for name in manifest.files:
        if name.startswith("blobs/"):
            target_path = blobs / name.removeprefix("blobs/")
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, target_path)
    return manifest
