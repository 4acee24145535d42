"""``/api/patients``: patients and their consents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scarwise.clinic import crud
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
def list_patients(user: CurrentUser, db: DbSession, q: Annotated[str, Query(max_length=200)] = "",
                  offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
                  limit: Annotated[int, Query(ge=1, le=200)] = 25) -> PatientPage:
    items, total = crud.list_patients(db, clinic_id=user.clinic_id, q=q.replace("\x00", ""),
                                      offset=offset, limit=limit)
    return PatientPage(items=[PatientPublic.model_validate(p) for p in items], total=total, offset=offset,
                       limit=limit)


@router.get("/{patient_id}", response_model=PatientPublic)
def read_patient(patient: PatientDep) -> Patient:
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


_CONSENT_SCOPE = {"treatment": "treatment", "research": "research", "imaging": "patient-privacy"}


@router.get("/{patient_id}/fhir")
def patient_fhir(patient: PatientDep, db: DbSession) -> dict:
    """A minimal FHIR R4 Bundle of type ``collection`` holding the Patient resource and their Consents.

    The full export (scans as Observations, sessions as Procedures) belongs to ``scarwise.interop``.
    """
    gender = patient.sex if patient.sex in ("female", "male", "other") else "unknown"
    resource: dict = {"resourceType": "Patient", "id": str(patient.id),
                      "identifier": [{"type": {"text": "MRN"}, "value": patient.mrn}], "gender": gender}
    names = [{"use": "official", "text": text} for text in (patient.name_en, patient.name_ar) if text]
    if names:
        resource["name"] = names
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    entries = [{"fullUrl": f"urn:scarwise:patient:{patient.id}", "resource": resource}]
    for c in crud.list_consents(db, patient=patient):
        entries.append({"fullUrl": f"urn:scarwise:consent:{c.id}", "resource": {
            "resourceType": "Consent", "id": str(c.id), "status": "inactive" if c.withdrawn_on else "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": _CONSENT_SCOPE[c.kind]}]},
            "category": [{"text": c.kind}], "patient": {"reference": f"Patient/{patient.id}"},
            "dateTime": c.signed_on.isoformat(), "policyRule": {"text": f"scarwise consent {c.kind} v{c.version}"}}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
