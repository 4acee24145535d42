"""Data rights: export everything about a patient; erase a patient (admin only, audit redacted)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from sqlalchemy import func, select

from scarwise.clinic.models import AuditLog, Consent, FollowUp, Patient, Scan, TreatmentSession

SCAN = b"PK\x03\x04 scan bytes of Sara"


def _full_patient(world, client, mrn="ERASE-1", scan=SCAN) -> int:
    pid = world.patient(mrn)
    r = client.post("/api/practitioners", json={"name": "Dr Layla", "licence_number": f"SCFHS-{len(mrn)}{mrn[0]}",
                                                "licence_expires": "2099-12-31"}, headers=world.headers("admin"))
    assert r.status_code == 201, r.text
    body = {"practitioner_id": r.json()["id"], "performed_on": "2025-01-31", "product": "Autologous fibroblasts",
            "cell_source": "autologous", "dose": "2 mL", "lot": "LOT-42", "cost_sar": "3500.50"}
    assert client.post(f"/api/patients/{pid}/sessions", json=body, headers=world.headers()).status_code == 201
    r = client.post(f"/api/patients/{pid}/scans", files={"file": (f"face-{mrn}.x3p", scan)},
                    data={"visit_on": "2026-01-02"}, headers=world.headers())
    assert r.status_code in (201, 202), r.text
    return pid


def test_export_has_records_fhir_and_files(world, client):
    pid = _full_patient(world, client)
    r = client.get(f"/api/patients/{pid}/export", headers=world.headers())
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    records = json.loads(zf.read("records.json"))
    assert records["patient"][0]["mrn"] == "ERASE-1" and records["patient"][0]["name_ar"] == "سارة علي"
    assert len(records["consent"]) == 1 and len(records["treatment_session"]) == 1
    assert len(records["follow_up"]) == 4 and len(records["scan"]) == 1
    assert zf.read(f"files/scan-{records['scan'][0]['id']}.x3p") == SCAN
    assert not any("colour" in n for n in zf.namelist())  # no colour result stored yet
    fhir = json.loads(zf.read("fhir.json"))
    assert fhir["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "Patient" for e in fhir["entry"])
    # another clinic cannot export it
    assert client.get(f"/api/patients/{pid}/export", headers=world.headers("admin", "b")).status_code == 404
    assert client.get(f"/api/patients/{pid}/export", headers=world.headers("staff")).status_code == 403


def _fake_colour(app, scan_id: int, *, clinic_id: int, scan_sha: str, png: bytes) -> dict:
    """A colour result as ``_capture.analyse_colour`` stores it: maps PNG blob + sidecar JSON."""
    from scarwise.clinic._capture import sidecar_path

    maps_sha = hashlib.sha256(png).hexdigest()
    maps_png = app.state.blobs.path(maps_sha, ".png")
    maps_png.parent.mkdir(parents=True, exist_ok=True)
    maps_png.write_bytes(png)
    doc = {"scan_id": scan_id, "clinic_id": clinic_id, "scan_sha256": scan_sha, "photo": "skin.tif",
           "maps_sha256": maps_sha, "stats": {"macular_candidates": 1, "scars": [{"id": 1, "erythema_mean": 12.5}]}}
    sidecar = sidecar_path(app.state.blobs, scan_id)
    sidecar.parent.mkdir(parents=True, exist_ok=True)
    sidecar.write_text(json.dumps(doc))
    return doc


def test_export_has_the_colour_results(world, client, app):
    pid = _full_patient(world, client, "COL-1")
    other = _full_patient(world, client, "COL-2", scan=b"PK\x03\x04 someone else's scan")
    with app.state.sessions() as db:
        scan = db.scalars(select(Scan).where(Scan.patient_id == pid)).one()
        scan_id, clinic_id, scan_sha = scan.id, scan.clinic_id, scan.sha256
        other_scan = db.scalars(select(Scan).where(Scan.patient_id == other)).one()
        other_id, other_sha = other_scan.id, other_scan.sha256
    doc = _fake_colour(app, scan_id, clinic_id=clinic_id, scan_sha=scan_sha, png=b"\x89PNG maps of COL-1")
    _fake_colour(app, other_id, clinic_id=clinic_id, scan_sha=other_sha, png=b"\x89PNG maps of COL-2")
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"/api/patients/{pid}/export", headers=world.headers()).content))
    assert json.loads(zf.read(f"files/scan-{scan_id}-colour.json")) == doc
    assert zf.read(f"files/scan-{scan_id}-colour.png") == b"\x89PNG maps of COL-1"
    assert not any(f"scan-{other_id}" in n for n in zf.namelist())  # only this patient's
    # a sidecar left over from another database (hash mismatch) is not this scan's result: left out
    _fake_colour(app, scan_id, clinic_id=clinic_id, scan_sha="0" * 64, png=b"\x89PNG stale")
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"/api/patients/{pid}/export", headers=world.headers()).content))
    assert not any("colour" in n for n in zf.namelist())


def test_erase_removes_records_files_and_personal_data(world, client, app):
    pid = _full_patient(world, client)
    keep = _full_patient(world, client, "KEEP-1", scan=b"PK\x03\x04 another patient's scan")
    with app.state.sessions() as db:
        scan = db.scalars(select(Scan).where(Scan.patient_id == pid)).one()
        blob = app.state.blobs.path(scan.sha256, scan.suffix)
        ids = {m.__tablename__: list(db.scalars(select(m.id).where(m.patient_id == pid)))
               for m in (Consent, Scan, TreatmentSession, FollowUp)}
        before_audit = db.scalar(select(func.count()).select_from(AuditLog))
    assert blob.is_file()
    # a colour analysis stored beside the scan (sidecar JSON + maps PNG) goes with it
    from scarwise.clinic._capture import sidecar_path

    maps_png = app.state.blobs.path("c" * 64, ".png")
    maps_png.parent.mkdir(parents=True, exist_ok=True)
    maps_png.write_bytes(b"\x89PNG colour maps of Sara")
    sidecar = sidecar_path(app.state.blobs, ids["scan"][0])
    sidecar.parent.mkdir(parents=True, exist_ok=True)
    sidecar.write_text(json.dumps({"maps_sha256": "c" * 64}))
    assert client.post(f"/api/patients/{pid}/erase", headers=world.headers()).status_code == 403
    assert client.post(f"/api/patients/{pid}/erase", headers=world.headers("admin", "b")).status_code == 404
    r = client.post(f"/api/patients/{pid}/erase", headers=world.headers("admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["records"] == {"patient": 1, **{k: len(v) for k, v in ids.items()}, "adverse_event": 0,
                               "treatment_plan": 0}
    assert body["files_deleted"] == 3 and not blob.exists()
    assert not sidecar.exists() and not maps_png.exists()
    assert client.get(f"/api/patients/{pid}", headers=world.headers()).status_code == 404
    assert client.get(f"/api/patients/{keep}", headers=world.headers()).status_code == 200
    with app.state.sessions() as db:
        assert db.get(Patient, pid) is None
        for model in (Consent, Scan, TreatmentSession, FollowUp):
            assert db.scalars(select(model).where(model.patient_id == pid)).all() == []
        rows = db.scalars(select(AuditLog)).all()
        assert len(rows) == before_audit + 1  # the erase entry; nothing else added or removed
        dump = json.dumps([[r.before, r.after] for r in rows], ensure_ascii=False)
        assert "ERASE-1" not in dump and "KEEP-1" in dump
        assert dump.count("سارة علي") == 1  # the kept patient's create entry only
        erase_row = rows[-1]
        assert (erase_row.action, erase_row.entity, erase_row.entity_id) == ("erase", "patient", pid)
        assert erase_row.after["records"]["patient"] == 1
    # the append-only guard is back
    import pytest
    from sqlalchemy.exc import DBAPIError

    with app.state.sessions() as db, pytest.raises(DBAPIError):
        db.execute(AuditLog.__table__.update().values(action="x"))
        db.flush()


def test_cli_export_and_erase(world, client, app, backend, monkeypatch, tmp_path):
    import typer
    from typer.testing import CliRunner

    from scarwise.cli_backup import patient_erase_command, patient_export_command

    if backend != "sqlite":
        return  # the CLI path is the same code as the API; one backend is enough here
    pid = _full_patient(world, client)
    settings = app.state.settings
    monkeypatch.setenv("SCARWISE_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("SCARWISE_DATA_DIR", str(settings.resolved_data_dir()))
    cli = typer.Typer()
    cli.command("patient-export")(patient_export_command)
    cli.command("patient-erase")(patient_erase_command)
    runner = CliRunner()
    r = runner.invoke(cli, ["patient-export", "--clinic", str(world.clinic_a), str(pid), str(tmp_path / "p.zip")])
    assert r.exit_code == 0, r.output
    assert "records.json" in zipfile.ZipFile(tmp_path / "p.zip").namelist()
    r = runner.invoke(cli, ["patient-erase", "--clinic", str(world.clinic_b), str(pid), "--yes"])
    assert r.exit_code == 2  # not in that clinic
    r = runner.invoke(cli, ["patient-erase", "--clinic", str(world.clinic_a), str(pid)])
    assert r.exit_code == 2 and "--yes" in r.output
    r = runner.invoke(cli, ["patient-erase", "--clinic", str(world.clinic_a), str(pid), "--yes", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["records"]["patient"] == 1
    assert client.get(f"/api/patients/{pid}", headers=world.headers()).status_code == 404
