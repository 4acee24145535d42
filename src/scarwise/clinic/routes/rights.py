"""``/api/patients/{id}/export`` and ``/erase``: a patient's data rights (Saudi PDPL)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from scarwise.clinic._erase import erase_patient, export_patient_zip
from scarwise.clinic.deps import Admin, Clinician, DbSession

router = APIRouter(prefix="/patients", tags=["data rights"])


class ErasurePublic(BaseModel):
    patient_id: int
    records: dict[str, int]
    files_deleted: int
    audit_rows_redacted: int


@router.get("/{patient_id}/export", response_class=Response,
            responses={200: {"content": {"application/zip": {}}, "description": "records, FHIR bundle, files"}})
def export(patient_id: int, request: Request, user: Clinician, db: DbSession) -> Response:
    """Everything held about the patient as a zip (``records.json``, ``fhir.json``, ``files/``)."""
    data = export_patient_zip(db, request.app.state.blobs, clinic_id=user.clinic_id, patient_id=patient_id)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}-export.zip"'})


@router.post("/{patient_id}/erase", response_model=ErasurePublic)
def erase(patient_id: int, request: Request, user: Admin, db: DbSession) -> ErasurePublic:
    """Erase the patient: records, files and the personal data in the audit log (admins only)."""
    report = erase_patient(db, request.app.state.blobs, clinic_id=user.clinic_id, patient_id=patient_id,
                           actor_id=user.id)
    return ErasurePublic(patient_id=report.patient_id, records=report.records, files_deleted=report.files_deleted,
                         audit_rows_redacted=report.audit_rows_redacted)
