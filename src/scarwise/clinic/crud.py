"""Reads and writes of clinic data. Every function takes ``db`` and filters by ``clinic_id``.

Writes do not commit: the caller commits once, so the audit rows (written on flush by
``_db._write_audit``) land in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scarwise.clinic._errors import ConflictError, NotFoundError
from scarwise.clinic.models import (
    FOLLOW_UP_MONTHS,
    AdverseEvent,
    AuditLog,
    Clinic,
    Consent,
    FollowUp,
    Patient,
    Practitioner,
    Scan,
    TreatmentSession,
    User,
)

MAX_ID = 2**31 - 1


def _get(db: Session, model: type, obj_id: int, clinic_id: int, label: str) -> Any:
    obj = db.get(model, obj_id) if 0 < obj_id <= MAX_ID else None
    if obj is None or obj.clinic_id != clinic_id:  # another clinic's object reads as missing
        raise NotFoundError(f"no {label} {obj_id} in your clinic")
    return obj


# -- clinics and users ------------------------------------------------------------------
def create_clinic(db: Session, *, name: str) -> Clinic:
    clinic = Clinic(name=name)
    db.add(clinic)
    db.flush()
    return clinic


def create_user(db: Session, *, clinic_id: int, email: str, password_hash: str, role: str) -> User:
    if not 0 < clinic_id <= MAX_ID or db.get(Clinic, clinic_id) is None:
        raise NotFoundError(f"no clinic {clinic_id}; create it first with `scarwise admin create-clinic`")
    email = email.strip().lower()
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"a user with email {email} already exists")
    user = User(clinic_id=clinic_id, email=email, password_hash=password_hash, role=role)
    db.add(user)
    db.flush()
    return user


def sign_out_everywhere(db: Session, *, user: User) -> None:
    user.token_version += 1
    db.flush()


# -- patients ---------------------------------------------------------------------------
def get_patient(db: Session, *, clinic_id: int, patient_id: int) -> Patient:
    return _get(db, Patient, patient_id, clinic_id, "patient")


def list_patients(db: Session, *, clinic_id: int, q: str = "", offset: int = 0, limit: int = 25
                  ) -> tuple[list[Patient], int]:
    where = [Patient.clinic_id == clinic_id]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = "%" + escaped + "%"
        where.append(or_(Patient.mrn.ilike(like, escape="\\"), Patient.name_en.ilike(like, escape="\\"),
                         Patient.name_ar.like(like, escape="\\")))
    total = db.scalar(select(func.count()).select_from(Patient).where(*where)) or 0
    rows = db.scalars(select(Patient).where(*where).order_by(Patient.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def create_patient(db: Session, *, clinic_id: int, data: dict[str, Any]) -> Patient:
    patient = Patient(clinic_id=clinic_id, **data)
    _check_mrn(db, clinic_id=clinic_id, mrn=patient.mrn, exclude_id=None)
    db.add(patient)
    _flush_unique(db, f"MRN {patient.mrn!r} is already used in your clinic")
    return patient


def update_patient(db: Session, *, patient: Patient, data: dict[str, Any]) -> Patient:
    if "mrn" in data and data["mrn"] != patient.mrn:
        _check_mrn(db, clinic_id=patient.clinic_id, mrn=data["mrn"], exclude_id=patient.id)
    for key, value in data.items():
        setattr(patient, key, value)
    _flush_unique(db, f"MRN {patient.mrn!r} is already used in your clinic")
    return patient


def delete_patient(db: Session, *, patient: Patient) -> None:
    db.delete(patient)
    db.flush()


def _check_mrn(db: Session, *, clinic_id: int, mrn: str, exclude_id: int | None) -> None:
    q = select(Patient.id).where(Patient.clinic_id == clinic_id, Patient.mrn == mrn)
    if exclude_id is not None:
        q = q.where(Patient.id != exclude_id)
    if db.scalar(q) is not None:
        raise ConflictError(f"MRN {mrn!r} is already used in your clinic")


def _flush_unique(db: Session, message: str) -> None:
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise ConflictError(message) from None


# -- consents ---------------------------------------------------------------------------
def create_consent(db: Session, *, patient: Patient, kind: str, version: str, signed_on: dt.date | None) -> Consent:
    consent = Consent(clinic_id=patient.clinic_id, patient_id=patient.id, kind=kind, version=version,
                      signed_on=signed_on or dt.date.today())
    db.add(consent)
    db.flush()
    return consent


def list_consents(db: Session, *, patient: Patient) -> list[Consent]:
    return list(db.scalars(select(Consent).where(Consent.patient_id == patient.id).order_by(Consent.id)))


def withdraw_consent(db: Session, *, patient: Patient, consent_id: int) -> Consent:
    consent = _get(db, Consent, consent_id, patient.clinic_id, "consent")
    if consent.patient_id != patient.id:
        raise NotFoundError(f"no consent {consent_id} for this patient")
    if consent.withdrawn_on is None:
        consent.withdrawn_on = dt.date.today()
        db.flush()
    return consent


def has_active_consent(db: Session, *, patient: Patient, kind: str) -> bool:
    q = select(Consent.id).where(Consent.patient_id == patient.id, Consent.kind == kind,
                                 Consent.withdrawn_on.is_(None))
    return db.scalar(q.limit(1)) is not None


# -- scans ------------------------------------------------------------------------------
def get_scan(db: Session, *, clinic_id: int, scan_id: int) -> Scan:
    return _get(db, Scan, scan_id, clinic_id, "scan")


def list_scans(db: Session, *, patient: Patient) -> list[Scan]:
    return list(db.scalars(select(Scan).where(Scan.patient_id == patient.id).order_by(Scan.visit_on, Scan.id)))


# -- practitioners, sessions, follow-ups, adverse events -------------------------------
def create_practitioner(db: Session, *, clinic_id: int, data: dict[str, Any]) -> Practitioner:
    p = Practitioner(clinic_id=clinic_id, **data)
    db.add(p)
    db.flush()
    return p


def list_practitioners(db: Session, *, clinic_id: int) -> list[Practitioner]:
    return list(db.scalars(select(Practitioner).where(Practitioner.clinic_id == clinic_id).order_by(Practitioner.name)))


def create_session(db: Session, *, patient: Patient, data: dict[str, Any]) -> TreatmentSession:
    """Record a treatment session and schedule its follow-ups; an expired licence refuses it."""
    practitioner = _get(db, Practitioner, data["practitioner_id"], patient.clinic_id, "practitioner")
    if practitioner.licence_expires < data["performed_on"]:
        raise ConflictError(
            f"licence {practitioner.licence_number} of {practitioner.name} expired on "
            f"{practitioner.licence_expires.isoformat()}; renew it before recording sessions under it"
        )
    from scarwise.clinic import _plans

    plan = _plans.check_session_plan(db, patient=patient, plan_id=data["plan_id"]) if data.get("plan_id") else None
    session = TreatmentSession(clinic_id=patient.clinic_id, patient_id=patient.id, **data)
    db.add(session)
    db.flush()
    for months in FOLLOW_UP_MONTHS:
        db.add(FollowUp(clinic_id=patient.clinic_id, patient_id=patient.id, session_id=session.id,
                        months=months, due_on=add_months(session.performed_on, months)))
    db.flush()
    if plan is not None:
        _plans.after_session(db, plan=plan)
    return session


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    import calendar

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def list_sessions(db: Session, *, patient: Patient) -> list[TreatmentSession]:
    q = select(TreatmentSession).where(TreatmentSession.patient_id == patient.id)
    return list(db.scalars(q.order_by(TreatmentSession.performed_on)))


def follow_ups_due(db: Session, *, clinic_id: int, until: dt.date) -> list[FollowUp]:
    q = select(FollowUp).where(FollowUp.clinic_id == clinic_id, FollowUp.done_on.is_(None), FollowUp.due_on <= until)
    return list(db.scalars(q.order_by(FollowUp.due_on)))


def complete_follow_up(db: Session, *, clinic_id: int, follow_up_id: int) -> FollowUp:
    fu = _get(db, FollowUp, follow_up_id, clinic_id, "follow-up")
    if fu.done_on is None:
        fu.done_on = dt.date.today()
        db.flush()
    return fu


def create_adverse_event(db: Session, *, patient: Patient, data: dict[str, Any]) -> AdverseEvent:
    if data.get("session_id") is not None:
        s = _get(db, TreatmentSession, data["session_id"], patient.clinic_id, "session")
        if s.patient_id != patient.id:
            raise NotFoundError(f"no session {s.id} for this patient")
    ae = AdverseEvent(clinic_id=patient.clinic_id, patient_id=patient.id, **data)
    db.add(ae)
    db.flush()
    return ae


def list_adverse_events(db: Session, *, clinic_id: int, patient_id: int | None = None) -> list[AdverseEvent]:
    q = select(AdverseEvent).where(AdverseEvent.clinic_id == clinic_id)
    if patient_id is not None:
        q = q.where(AdverseEvent.patient_id == patient_id)
    return list(db.scalars(q.order_by(AdverseEvent.onset_on.desc())))


def patients_with_lot(db: Session, *, clinic_id: int, lot: str) -> list[tuple[Patient, TreatmentSession]]:
    """Lot recall: every patient of this clinic treated with ``lot``, with the session."""
    q = (select(Patient, TreatmentSession).join(TreatmentSession, TreatmentSession.patient_id == Patient.id)
         .where(TreatmentSession.clinic_id == clinic_id, TreatmentSession.lot == lot)
         .order_by(TreatmentSession.performed_on))
    return [(p, s) for p, s in db.execute(q)]


def list_audit(db: Session, *, clinic_id: int, offset: int = 0, limit: int = 100) -> list[AuditLog]:
    q = select(AuditLog).where(AuditLog.clinic_id == clinic_id).order_by(AuditLog.id.desc())
    return list(db.scalars(q.offset(offset).limit(limit)))
