"""Data rights (Saudi PDPL): export everything held about a patient, or erase it.

Erasure deletes the patient, their consents, scans, treatment sessions, follow-ups and adverse events,
the scan files and scar maps no other scan shares, and redacts the personal data in the audit-log rows
about those records (their ``before``/``after`` snapshots become ``{"redacted": "erasure"}``; who did
what and when is kept). The append-only triggers on ``audit_log`` are lifted for that one statement
inside the erasure's transaction (PostgreSQL: ``DISABLE TRIGGER``, which locks the table until commit;
SQLite: the triggers are dropped and re-created in the same transaction), so a failure leaves
everything as it was. One new audit row, action ``erase``, records the erasure with counts only.
"""

from __future__ import annotations

import io
import json
import types
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from scarwise.clinic import crud
from scarwise.clinic._capture import colour_files, read_colour, sidecar_path
from scarwise.clinic._db import plain_value
from scarwise.clinic._scans import BlobStore
from scarwise.clinic.models import (
    AdverseEvent,
    AuditLog,
    Consent,
    FollowUp,
    Patient,
    Scan,
    TreatmentPlan,
    TreatmentSession,
    utcnow,
)

#: the patient's records, children first (the deletion order)
_CHILDREN = (FollowUp, AdverseEvent, TreatmentSession, TreatmentPlan, Scan, Consent)
_SQLITE_TRIGGERS = {
    verb: f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
          "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
}


@dataclass(frozen=True)
class ErasureReport:
    """Counts of what an erasure removed (no personal data)."""

    patient_id: int
    records: dict[str, int]
    files_deleted: int
    audit_rows_redacted: int


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: plain_value(getattr(obj, c.key)) for c in obj.__mapper__.column_attrs}


def patient_records(db: Session, *, clinic_id: int, patient_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every stored record about one patient of one clinic, as plain JSON-ready rows by table."""
    patient = crud.get_patient(db, clinic_id=clinic_id, patient_id=patient_id)  # 404 across clinics
    out: dict[str, list[dict[str, Any]]] = {"patient": [_row(patient)]}
    for model in reversed(_CHILDREN):
        rows = db.scalars(select(model).where(model.patient_id == patient.id, model.clinic_id == clinic_id)
                          .order_by(model.id))
        out[model.__tablename__] = [_row(r) for r in rows]
    return out


def export_patient_zip(db: Session, blobs: BlobStore, *, clinic_id: int, patient_id: int) -> bytes:
    """A zip of the patient's data: ``records.json``, ``fhir.json`` (FHIR R4 Bundle) and ``files/``.

    ``files/`` holds each scan as uploaded (``scan-<id><suffix>``), its scar map
    (``scan-<id>-map.png``) when one was made, and its colour result when one was stored
    (``scan-<id>-colour.json``, the sidecar with the numbers, and ``scan-<id>-colour.png``, the maps).
    """
    from scarwise.interop import export_patient

    records = patient_records(db, clinic_id=clinic_id, patient_id=patient_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("records.json", json.dumps(records, ensure_ascii=False, indent=1))
        zf.writestr("fhir.json", json.dumps(export_patient(db, clinic_id=clinic_id, patient_id=patient_id),
                                            ensure_ascii=False, indent=1))
        for scan in records["scan"]:
            src = blobs.path(scan["sha256"], scan["suffix"])
            if src.is_file():
                zf.write(src, f"files/scan-{scan['id']}{scan['suffix']}")
            if scan["map_sha256"] and blobs.path(scan["map_sha256"], ".png").is_file():
                zf.write(blobs.path(scan["map_sha256"], ".png"), f"files/scan-{scan['id']}-map.png")
            colour = read_colour(blobs, types.SimpleNamespace(**scan))  # None unless it is this scan's
            if colour is not None:
                zf.write(sidecar_path(blobs, scan["id"]), f"files/scan-{scan['id']}-colour.json")
                if blobs.path(colour["maps_sha256"], ".png").is_file():
                    zf.write(blobs.path(colour["maps_sha256"], ".png"), f"files/scan-{scan['id']}-colour.png")
    return buf.getvalue()


def _set_audit_guard(db: Session, *, on: bool) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(AuditLog.__table__.select().limit(0))  # make sure we are in the transaction
        db.connection().exec_driver_sql(
            f"ALTER TABLE audit_log {'ENABLE' if on else 'DISABLE'} TRIGGER audit_log_append_only")
    else:
        for verb, ddl in _SQLITE_TRIGGERS.items():
            db.connection().exec_driver_sql(ddl if on else f"DROP TRIGGER IF EXISTS audit_log_no_{verb.lower()}")


def erase_patient(db: Session, blobs: BlobStore, *, clinic_id: int, patient_id: int,
                  actor_id: int | None) -> ErasureReport:
    """Erase one patient (records, files, personal data in the audit log) and commit.

    Raises :class:`~scarwise.clinic._errors.NotFoundError` when the patient is not in ``clinic_id``.
    """
    patient = crud.get_patient(db, clinic_id=clinic_id, patient_id=patient_id)
    pid = patient.id
    ids: dict[str, list[int]] = {"patient": [pid]}
    for model in _CHILDREN:
        ids[model.__tablename__] = list(db.scalars(select(model.id).where(model.patient_id == pid)))
    files = {(s.sha256, s.suffix) for s in db.scalars(select(Scan).where(Scan.patient_id == pid))}
    files |= {(m, ".png") for m in db.scalars(select(Scan.map_sha256).where(Scan.patient_id == pid)) if m}
    db.expunge_all()
    # Core statements: the ORM audit hook would copy the personal data into new audit rows
    for model in _CHILDREN:
        db.execute(delete(model).where(model.patient_id == pid))
    db.execute(delete(Patient).where(Patient.id == pid))
    _set_audit_guard(db, on=False)
    redacted = 0
    for entity, entity_ids in ids.items():
        if entity_ids:
            redacted += db.execute(
                update(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id.in_(entity_ids))
                .values(before={"redacted": "erasure"}, after={"redacted": "erasure"})
            ).rowcount or 0
    _set_audit_guard(db, on=True)
    counts = {k: len(v) for k, v in ids.items()}
    db.execute(insert(AuditLog).values(clinic_id=clinic_id, user_id=actor_id, at=utcnow(), action="erase",
                                       entity="patient", entity_id=pid, before=None,
                                       after={"records": counts, "files": len(files)}))
    still_used = {(s, x) for s, x in db.execute(select(Scan.sha256, Scan.suffix))}
    still_used |= {(m, ".png") for m in db.scalars(select(Scan.map_sha256)) if m}
    db.commit()
    deleted = 0
    paths = [blobs.path(sha, suffix) for sha, suffix in sorted(files - still_used)]
    for scan_id in ids.get(Scan.__tablename__, []):  # colour-map sidecars and PNGs of the erased scans
        paths.extend(colour_files(blobs, scan_id))
    for path in paths:  # after commit: a rollback never loses a file
        if path.is_file():
            path.unlink()
            deleted += 1
    return ErasureReport(patient_id=pid, records=counts, files_deleted=deleted, audit_rows_redacted=redacted)
