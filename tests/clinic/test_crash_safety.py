"""Crash safety: SIGKILL the server during concurrent writes and uploads, restart, check everything.

A real ``uvicorn`` process serves the app on SQLite and, when ``SCARWISE_TEST_POSTGRES_URL`` is
set, on PostgreSQL. In each of ``CYCLES`` cycles, threads create patients, upload scans (random
bytes, so each upload is a new blob file) and record treatment sessions while the process is
killed with SIGKILL (no clean-up) and started again. After a last start-up the test checks:

* every write that was acknowledged (201/202) is stored, with the content that was sent;
* nothing is half-written: every scan row's file exists with its size and SHA-256, every
  session has its four follow-ups, no scan stays queued or running, no foreign key dangles;
* start-up removed every ``.upload-*`` temporary file and every blob file no row names;
* SQLite: ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` is empty.

``test_startup_removes_stale_files`` checks the clean-up itself, grace period and log included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from scarwise.clinic import crud
from scarwise.clinic._db import make_engine, make_sessionmaker
from scarwise.clinic._scans import BlobStore, referenced_blobs
from scarwise.clinic._security import Security
from scarwise.clinic.models import Base, FollowUp, Patient, Scan, TreatmentSession
from tests.clinic.conftest import CHEAP_ARGON2, PASSWORD

CYCLES = 5
LOAD_S = 1.0  # longest wait before the kill, once every kind of write has been acknowledged in the cycle
SCAN_BYTES = 2**20  # random, so every upload is a new blob file
WRITERS = {"patient": 1, "scan": 2, "session": 2}  # threads per kind of write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Imports the slow dependencies once (seconds), then forks one uvicorn server per line "port" on stdin
# and prints its pid, so a restart costs little. Each server is still its own process, killed alone.
# scarwise.clinic itself is imported after the fork: its scans record the pid of the process that runs them.
_LAUNCHER = """
import os, signal, sys
import alembic.command, fastapi, jinja2, sqlalchemy, uvicorn
import scarwise.evidence
assert not any(m.startswith("scarwise.clinic") for m in sys.modules)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # dead servers are reaped by the kernel
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        uvicorn.run("scarwise.clinic:create_app", factory=True, host="127.0.0.1", port=int(line),
                    log_level="warning")
        os._exit(0)
    print(pid, flush=True)
"""


class Servers:
    """Start (fork) and SIGKILL clinic servers; everything still running is killed on close."""

    def __init__(self, env: dict[str, str]) -> None:
        self.launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER], env=env, text=True,  # noqa: S603
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pids: list[int] = []

    def start(self) -> tuple[int, str]:
        """Fork a server on a free port; (pid, base URL) once it answers. A port taken meanwhile by
        another process (parallel test workers) makes the server exit: then try another."""
        for _attempt in range(3):
            port = _free_port()
            self.launcher.stdin.write(f"{port}\n")
            self.launcher.stdin.flush()
            pid = int(self.launcher.stdout.readline())
            self.pids.append(pid)
            for _ in range(1500):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        return pid, f"http://127.0.0.1:{port}"
                except httpx.HTTPError:
                    if not _alive(pid):
                        break
                    time.sleep(0.02)
            else:
                raise AssertionError("server did not start")
        raise AssertionError("the server exited at start-up three times")

    def stop(self, pid: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` and wait until the process is gone."""
        if _alive(pid):
            os.kill(pid, sig)
        for _ in range(3000):
            if not _alive(pid):
                return
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        for pid in self.pids:
            self.stop(pid)
        self.launcher.kill()
        self.launcher.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _seed(settings) -> tuple[int, int, int]:
    """A clinic with a clinician, one patient with imaging consent and a practitioner."""

    engine = make_engine(settings)
    with make_sessionmaker(engine)() as db:
        clinic = crud.create_clinic(db, name="Crash").id
        crud.create_user(db, clinic_id=clinic, email="c@x.example", role="clinician",
                         password_hash=Security(settings).hash_password(PASSWORD))
        patient = crud.create_patient(db, clinic_id=clinic, data={"mrn": "SCANNED"})
        crud.create_consent(db, patient=patient, kind="imaging", version="1", signed_on=None)
        prac = crud.create_practitioner(db, clinic_id=clinic, data={"name": "Dr K", "licence_number": "L",
                                                                    "licence_expires": dt.date(2099, 1, 1)})
        db.commit()
        ids = clinic, patient.id, prac.id
    engine.dispose()
    return ids


def _writers(base: str, cycle: int, patient: int, practitioner: int, acked: dict[str, dict[str, str]],
             stop: threading.Event) -> list[threading.Thread]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": "c@x.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    lock = threading.Lock()

    def loop(kind: str, n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            for k in range(10**6):
                if stop.is_set():
                    return
                key = f"c{cycle}-{kind}{n}-{k}"
                try:
                    if kind == "patient":
                        value = "-"
                        r = client.post("/api/patients", json={"mrn": key, "name_en": "Crash Test"})
                    elif kind == "scan":
                        data = secrets.token_bytes(SCAN_BYTES)
                        value = hashlib.sha256(data).hexdigest()
                        r = client.post(f"/api/patients/{patient}/scans", files={"file": (f"{key}.x3p", data)})
                    else:
                        value = "-"
                        r = client.post(f"/api/patients/{patient}/sessions", json={
                            "practitioner_id": practitioner, "performed_on": "2025-01-01", "product": "PRP",
                            "lot": key})
                except httpx.HTTPError:
                    continue
                if r.status_code in (201, 202):
                    with lock:
                        acked[kind][key] = value

    return [threading.Thread(target=loop, args=(kind, n)) for kind, threads in WRITERS.items()
            for n in range(threads)]


def _check_database(settings, blob_root: Path, acked: dict[str, dict[str, str]]) -> dict[str, int]:
    engine = make_engine(settings)
    counts = {}
    try:
        with make_sessionmaker(engine)() as db:
            mrns = set(db.scalars(select(Patient.mrn)))
            assert [m for m in acked["patient"] if m not in mrns] == [], "acknowledged patients lost"
            scans = {s.filename.removesuffix(".x3p"): s for s in db.scalars(select(Scan))}
            lost = [k for k, sha in acked["scan"].items() if k not in scans or scans[k].sha256 != sha]
            assert lost == [], f"acknowledged scans lost or changed: {lost}"
            for scan in scans.values():  # every stored scan is whole, acknowledged or not
                data = (blob_root / scan.sha256[:2] / f"{scan.sha256}{scan.suffix}").read_bytes()
                assert len(data) == scan.size_bytes and hashlib.sha256(data).hexdigest() == scan.sha256
                assert scan.status in ("done", "failed"), f"scan {scan.id} left {scan.status}"
            lots = dict(db.execute(select(TreatmentSession.lot, TreatmentSession.id)).all())
            assert [k for k in acked["session"] if k not in lots] == [], "acknowledged sessions lost"
            follow_ups = dict(db.execute(select(FollowUp.session_id, func.count()).group_by(FollowUp.session_id)).all())
            assert all(follow_ups.get(sid) == 4 for sid in lots.values()), "a session without its follow-ups"
            for table in Base.metadata.sorted_tables:  # no dangling reference, whatever the engine enforces
                for fk in table.foreign_keys:
                    parent = fk.column
                    dangling = db.scalar(select(func.count()).select_from(table).where(
                        fk.parent.is_not(None), ~fk.parent.in_(select(parent)))) or 0
                    assert dangling == 0, f"{table.name}.{fk.parent.name}: {dangling} rows point nowhere"
            counts = {"patients": len(mrns), "scans": len(scans), "sessions": len(lots)}
    finally:
        engine.dispose()
    return counts


def _blob_files(root: Path) -> set[str]:
    return {p.name for p in root.glob("??/*")}


def _referenced(settings, root: Path) -> set[str]:
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as db:
            return referenced_blobs(db, BlobStore(root))
    finally:
        engine.dispose()


@pytest.fixture
def env(fresh_settings) -> dict[str, str]:
    return {**os.environ, "SCARWISE_DATABASE_URL": fresh_settings.resolved_database_url(),
            "SCARWISE_DATA_DIR": str(fresh_settings.resolved_data_dir()), "SCARWISE_SECRET_KEY": "crash-test",
            "SCARWISE_STALE_FILE_S": "0", "SCARWISE_SCAN_WORKERS": "1", "OPENBLAS_NUM_THREADS": "1",
            **{f"SCARWISE_{k.upper()}": str(v) for k, v in CHEAP_ARGON2.items()}}


def test_kill_restart_keeps_acknowledged_writes(backend: str, fresh_settings, env: dict[str, str]) -> None:
    _clinic, patient, practitioner = _seed(fresh_settings)
    blob_root = fresh_settings.resolved_data_dir() / "blobs"
    acked: dict[str, dict[str, str]] = {"patient": {}, "scan": {}, "session": {}}
    servers, temporary, orphans = Servers(env), 0, 0
    try:
        for cycle in range(CYCLES):
            pid, base = servers.start()
            stop = threading.Event()
            threads = _writers(base, cycle, patient, practitioner, acked, stop)
            before = {kind: len(done) for kind, done in acked.items()}
            for t in threads:
                t.start()
            deadline = time.monotonic() + 20  # until every kind of write got through once (slow machines)
            while time.monotonic() < deadline and any(len(acked[k]) == n for k, n in before.items()):
                time.sleep(0.02)
            time.sleep(LOAD_S * (cycle + 1) / CYCLES)  # then kill at a different moment each cycle
            servers.stop(pid)  # SIGKILL: no clean-up of any kind
            stop.set()
            for t in threads:
                t.join()
            temporary += len(list(blob_root.glob(".upload-*")))  # what this kill left, for the figures
            orphans += len(_blob_files(blob_root) - _referenced(fresh_settings, blob_root))
        pid, _base = servers.start()  # start-up: fail dead scans, remove what the kills left
        servers.stop(pid, signal.SIGINT)  # uvicorn's graceful stop
    finally:
        servers.close()
    assert sorted(blob_root.glob(".upload-*")) == [], "temporary upload files left after start-up"
    counts = _check_database(fresh_settings, blob_root, acked)
    on_disk, referenced = _blob_files(blob_root), _referenced(fresh_settings, blob_root)
    assert on_disk == referenced, f"orphan files {on_disk - referenced}, missing {referenced - on_disk}"
    if backend == "sqlite":
        con = sqlite3.connect(fresh_settings.resolved_database_url().removeprefix("sqlite:///"))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            con.close()
    assert all(len(v) >= CYCLES for v in acked.values()), {k: len(v) for k, v in acked.items()}
    print(f"crash safety ({backend}): {CYCLES} SIGKILL cycles survived; acknowledged "
          f"{ {k: len(v) for k, v in acked.items()} } all present; stored {counts}; "
          f"the kills left {temporary} .upload-* files and {orphans} orphan blobs, start-up removed them all")


def test_startup_removes_stale_files(fresh_settings, caplog: pytest.LogCaptureFixture) -> None:
    """Orphans older than the grace period go at start-up; referenced and recent files stay."""
    from scarwise.clinic import create_app

    store = BlobStore(fresh_settings.resolved_data_dir() / "blobs")
    clinic, patient, _ = _seed(fresh_settings)
    app = create_app(fresh_settings)
    tmp = store.root.parent / "in.x3p"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(b"kept scan")
    sha = store.put_file(tmp, suffix=".x3p")
    with app.state.sessions() as db:
        db.add(Scan(clinic_id=clinic, patient_id=patient, filename="k.x3p", sha256=sha, suffix=".x3p",
                    size_bytes=9, visit_on=dt.date(2025, 1, 1), status="failed"))
        db.commit()
    app.state.engine.dispose()
    old = time.time() - 7200
    orphan = store.path(hashlib.sha256(b"orphan").hexdigest(), ".x3p")
    young = store.path(hashlib.sha256(b"young").hexdigest(), ".x3p")
    sidecar_tmp = store.root / "colour" / ".sidecar-abc"
    for path in (orphan, young, store.root / ".upload-abc", store.root / ".capture-x" / "img.png", sidecar_tmp):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left by a kill")
    for path in (orphan, store.root / ".upload-abc", store.root / ".capture-x", store.path(sha, ".x3p"),
                 sidecar_tmp):
        os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING, logger="scarwise.clinic"):
        create_app(fresh_settings).state.engine.dispose()  # default grace: one hour
    assert store.path(sha, ".x3p").is_file() and young.is_file()  # referenced / younger than the grace
    assert not orphan.exists() and not (store.root / ".upload-abc").exists()
    assert not (store.root / ".capture-x").exists() and not sidecar_tmp.exists()
    assert sum("interrupted write" in r.getMessage() for r in caplog.records) == 4
    create_app(fresh_settings.model_copy(update={"stale_file_s": 0})).state.engine.dispose()
    assert not young.exists() and store.path(sha, ".x3p").is_file()

