"""Practitioners, treatment sessions, follow-ups, adverse events, lot recall and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from scarwise.clinic import crud
from scarwise.clinic.deps import Admin, Clinician, CurrentUser, DbSession, PatientDep
from scarwise.clinic.schemas import (
    AdverseEventCreate,
    AdverseEventPublic,
    FollowUpPublic,
    PatientPublic,
    PractitionerCreate,
    PractitionerPublic,
    SessionCreate,
    SessionPublic,
)

router = APIRouter(tags=["care"])


@router.post("/practitioners", response_model=PractitionerPublic, status_code=201)
def create_practitioner(body: PractitionerCreate, user: Admin, db: DbSession) -> Any:
    p = crud.create_practitioner(db, clinic_id=user.clinic_id, data=body.model_dump())
    db.commit()
    return p


@router.get("/practitioners", response_model=list[PractitionerPublic])
def list_practitioners(user: CurrentUser, db: DbSession) -> Any:
    return crud.list_practitioners(db, clinic_id=user.clinic_id)


@router.post("/patients/{patient_id}/sessions", response_model=SessionPublic, status_code=201)
def create_session(patient: PatientDep, body: SessionCreate, _user: Clinician, db: DbSession) -> Any:
    """Record a session; follow-ups at 1, 3, 6 and 12 months are scheduled; 409 if the licence expired."""
    s = crud.create_session(db, patient=patient, data=body.model_dump())
    db.commit()
    return s


@router.get("/patients/{patient_id}/sessions", response_model=list[SessionPublic])
def list_sessions(patient: PatientDep, db: DbSession) -> Any:
    return crud.list_sessions(db, patient=patient)


@router.post("/patients/{patient_id}/adverse-events", response_model=AdverseEventPublic, status_code=201)
def create_adverse_event(patient: PatientDep, body: AdverseEventCreate, _user: Clinician, db: DbSession) -> Any:
    ae = crud.create_adverse_event(db, patient=patient, data=body.model_dump())
    db.commit()
    return ae


@router.get("/adverse-events", response_model=list[AdverseEventPublic])
def safety_list(user: Clinician, db: DbSession) -> Any:
    return crud.list_adverse_events(db, clinic_id=user.clinic_id)


@router.get("/follow-ups", response_model=list[FollowUpPublic])
def follow_ups(user: CurrentUser, db: DbSession, until: dt.date | None = None) -> Any:
    """Open follow-ups due up to ``until`` (default today: the overdue list)."""
    return crud.follow_ups_due(db, clinic_id=user.clinic_id, until=until or dt.date.today())


@router.get("/lots/{lot}/patients", response_model=list[PatientPublic])
def lot_recall(lot: str, user: Clinician, db: DbSession) -> Any:
    """Which patients of this clinic received lot ``lot``."""
    seen: dict[int, Any] = {}
    for patient, _s in crud.patients_with_lot(db, clinic_id=user.clinic_id, lot=lot):
        seen.setdefault(patient.id, patient)
    return list(seen.values())


@router.get("/audit")
def audit_log(user: Admin, db: DbSession, offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    return [{"id": a.id, "at": a.at.isoformat(), "user_id": a.user_id, "action": a.action, "entity": a.entity,
             "entity_id": a.entity_id, "before": a.before, "after": a.after}
            for a in crud.list_audit(db, clinic_id=user.clinic_id, offset=offset, limit=limit)]
