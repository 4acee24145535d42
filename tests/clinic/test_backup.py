"""Backup and restore (SQLite online backup, pg_dump/pg_restore): every record and file comes back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from scarwise.clinic._backup import backup, record_count, restore, verify
from scarwise.clinic.models import Base, Patient
from scarwise.core.errors import InvalidFileError, InvalidParameterError
from tests.clinic.conftest import make_settings


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def populate(world, client) -> int:
    pid = world.patient("MRN-B1")
    world.patient("MRN-B2", clinic="b")
    r = client.post(f"/api/patients/{pid}/scans", files={"file": ("scan.x3p", b"PK\x03\x04 not a scan")},
                    data={"visit_on": "2026-01-02"}, headers=world.headers())
    assert r.status_code in (201, 202), r.text
    return pid


def test_backup_restore_every_record(world, client, app, backend, tmp_path: Path) -> None:
    settings = app.state.settings
    populate(world, client)
    url = settings.resolved_database_url()
    before = snapshot(url)
    assert sum(len(v) for v in before.values()) > 10
    # a colour result (sidecar outside the hashed folders + maps PNG blob) and a sidecar write in flight
    colour = settings.resolved_data_dir() / "blobs" / "colour"
    colour.mkdir(parents=True, exist_ok=True)
    (colour / "scan-1.json").write_text('{"maps_sha256": "c"}')
    blobs = sorted(p.relative_to(settings.resolved_data_dir()) for p in
                   (settings.resolved_data_dir() / "blobs").rglob("*") if p.is_file())
    assert blobs
    (colour / ".sidecar-abc").write_text("half-written")

    manifest = backup(settings, tmp_path / "bk")
    assert "blobs/colour/scan-1.json" in manifest.files and not any(".sidecar-" in n for n in manifest.files)
    assert manifest.backend.startswith(backend) and manifest.blob_count == len(blobs)
    assert verify(tmp_path / "bk").files == manifest.files

    with pytest.raises(InvalidParameterError, match="already holds"):
        restore(settings, tmp_path / "bk")  # the live database is not empty

    if backend == "sqlite":  # into a new, empty installation
        target = make_settings(f"sqlite:///{tmp_path / 'new' / 'scarwise.db'}", tmp_path / "new" / "data")
    else:  # into the same database after damage, with --force
        target = settings
        with app.state.sessions() as db:
            db.delete(db.scalars(select(Patient)).first())
            db.commit()
        assert snapshot(url) != before
    restore(target, tmp_path / "bk", force=backend != "sqlite")
    after = snapshot(target.resolved_database_url())
    assert after == before
    checked = sum(len(v) for v in after.values())
    assert checked == sum(len(v) for v in before.values())
    for rel in blobs:
        assert (target.resolved_data_dir() / rel).read_bytes() == (settings.resolved_data_dir() / rel).read_bytes()
    assert record_count(target.resolved_database_url()) > 0


def test_damaged_backup_is_refused(world, client, app, tmp_path: Path) -> None:
    populate(world, client)
    backup(app.state.settings, tmp_path / "bk")
    blob = next(p for p in (tmp_path / "bk" / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"x")
    with pytest.raises(InvalidFileError, match="checksum"):
        verify(tmp_path / "bk")
    blob.unlink()
    with pytest.raises(InvalidFileError, match="missing"):
        verify(tmp_path / "bk")
    doc = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    doc["format"] = "other"
    (tmp_path / "bk" / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidFileError, match="not a"):
        verify(tmp_path / "bk")


def test_backup_refuses_non_empty_folder(app, tmp_path: Path) -> None:
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "x").write_text("x")
    with pytest.raises(InvalidParameterError, match="not an empty folder"):
        backup(app.state.settings, tmp_path / "bk")


def test_cli_backup_restore(tmp_path: Path, sqlite_template: Path, monkeypatch) -> None:
    import shutil

    import typer
    from typer.testing import CliRunner

    from scarwise.cli_backup import backup_command, restore_command

    cli = typer.Typer()
    cli.command("backup")(backup_command)
    cli.command("restore")(restore_command)
    shutil.copy(sqlite_template, tmp_path / "scarwise.db")
    monkeypatch.setenv("SCARWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'scarwise.db'}")
    runner = CliRunner()
    r = runner.invoke(cli, ["backup", str(tmp_path / "bk"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["backend"] == "sqlite"
    r = runner.invoke(cli, ["backup", str(tmp_path / "bk")])
    assert r.exit_code == 2 and "not an empty folder" in r.output
    monkeypatch.setenv("SCARWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    r = runner.invoke(cli, ["restore", str(tmp_path / "bk"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["verified"] is True
    assert snapshot(f"sqlite:///{tmp_path / 'new.db'}") == snapshot(f"sqlite:///{tmp_path / 'scarwise.db'}")
