"""``/api/patients``: patients and their consents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from scarwise.clinic import _reads, crud
from scarwise.clinic.deps import Admin, CurrentUser, DbSession, PatientDep
from scarwise.clinic.models import Patient
from scarwise.clinic.schemas import (
    ConsentCreate,
    ConsentPublic,
    PatientCreate,
    PatientPage,
    PatientPublic,
    PatientUpdate,
)

router = APIRouter(prefix="/patients", tags=["patients"])


@router.post("", response_model=PatientPublic, status_code=201)
def create_patient(body: PatientCreate, user: CurrentUser, db: DbSession) -> Patient:
    patient = crud.create_patient(db, clinic_id=user.clinic_id, data=body.model_dump())
    db.commit()
    return patient


@router.get("", response_model=PatientPage)
async def list_patients(request: Request, user: CurrentUser, q: Annotated[str, Query(max_length=200)] = "",
                        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
                        limit: Annotated[int, Query(ge=1, le=200)] = 25) -> PatientPage:
    # a short read on the event loop, no thread hop (_reads explains)
    items, total = _reads.list_patients(request.app.state.reader, clinic_id=user.clinic_id,
                                        q=q.replace("\x00", ""), offset=offset, limit=limit)
    return PatientPage(items=[PatientPublic.model_validate(p) for p in items], total=total, offset=offset,
                       limit=limit)


@router.get("/{patient_id}", response_model=PatientPublic)
async def read_patient(patient: PatientDep) -> Patient:
    return patient


@router.patch("/{patient_id}", response_model=PatientPublic)
def update_patient(patient: PatientDep, body: PatientUpdate, db: DbSession) -> Patient:
    nullable = ("birth_date", "fitzpatrick")
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k in nullable}
    crud.update_patient(db, patient=patient, data=data)
    db.commit()
    return patient


@router.delete("/{patient_id}", status_code=204)
def delete_patient(patient: PatientDep, _admin: Admin, db: DbSession) -> None:
    crud.delete_patient(db, patient=patient)
    db.commit()


@router.post("/{patient_id}/consents", response_model=ConsentPublic, status_code=201)
def create_consent(patient: PatientDep, body: ConsentCreate, db: DbSession) -> object:
    consent = crud.create_consent(db, patient=patient, kind=body.kind, version=body.version, signed_on=body.signed_on)
    db.commit()
    return consent


@router.get("/{patient_id}/consents", response_model=list[ConsentPublic])
def list_consents(patient: PatientDep, db: DbSession) -> list:
    return crud.list_consents(db, patient=patient)


@router.post("/{patient_id}/consents/{consent_id}/withdraw", response_model=ConsentPublic)
def withdraw_consent(patient: PatientDep, consent_id: int, db: DbSession) -> object:
    consent = crud.withdraw_consent(db, patient=patient, consent_id=consent_id)
    db.commit()
    return consent


@router.get("/{patient_id}/fhir")
def patient_fhir(patient: PatientDep, db: DbSession, download: bool = False) -> JSONResponse:
    """The patient's whole record as a FHIR R4 Bundle of type ``collection`` (``scarwise.interop``).

    ``?download=1`` answers it as a file (the "Download my data" action for PDPL requests).
    """
    from scarwise.interop import export_patient

    bundle = export_patient(db, clinic_id=patient.clinic_id, patient_id=patient.id)
    headers = {"Content-Disposition": f'attachment; filename="patient-{patient.id}-fhir.json"'} if download else None
    return JSONResponse(bundle, media_type="application/fhir+json", headers=headers)
