"""SQLAlchemy 2 tables of the clinic. Schema changes only through Alembic (``migrations/``).

Every clinic-owned row carries ``clinic_id`` so that one filter isolates clinics.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("admin", "clinician", "staff")
SEXES = ("female", "male", "other", "unknown")
CONSENT_KINDS = ("treatment", "imaging", "research")
SCAN_STATUSES = ("queued", "running", "done", "failed")
CELL_SOURCES = ("autologous", "allogeneic", "none")
FOLLOW_UP_MONTHS = (1, 3, 6, 12)
PLAN_STATUSES = ("planned", "active", "completed", "cancelled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Audited:
    """Mixin: creates, updates and deletes of these rows are written to ``audit_log``."""

    __audit_exclude__: tuple[str, ...] = ()


class Clinic(Audited, Base):
    __tablename__ = "clinic"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Audited, Base):
    __tablename__ = "app_user"
    __audit_exclude__ = ("password_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)  # +1 = sign out everywhere
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailure(Base):
    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Patient(Audited, Base):
    __tablename__ = "patient"
    __table_args__ = (UniqueConstraint("clinic_id", "mrn", name="uq_patient_clinic_mrn"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    mrn: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    fitzpatrick: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Consent(Audited, Base):
    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(50))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Scan(Audited, Base):
    __tablename__ = "scan"
    __audit_exclude__ = ("heartbeat_at", "progress", "result")
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    suffix: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pixel_mm: Mapped[float | None] = mapped_column(nullable=True)
    visit_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    map_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    grade_override: Mapped[int | None] = mapped_column(Integer, nullable=True)  # clinician's G&B, kept beside auto
    type_overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # {"scar id": "boxcar"}
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Practitioner(Audited, Base):
    __tablename__ = "practitioner"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    licence_number: Mapped[str] = mapped_column(String(64))  # Saudi Commission for Health Specialties
    licence_expires: Mapped[dt.date] = mapped_column(Date)


class TreatmentSession(Audited, Base):
    __tablename__ = "treatment_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    performed_on: Mapped[dt.date] = mapped_column(Date)
    protocol: Mapped[str] = mapped_column(String(120), default="")
    product: Mapped[str] = mapped_column(String(200))
    cell_source: Mapped[str] = mapped_column(String(16), default="none")
    dose: Mapped[str] = mapped_column(String(120), default="")
    lot: Mapped[str] = mapped_column(String(64), index=True)
    injection_plan: Mapped[str] = mapped_column(Text, default="")
    cost_sar: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_plan.id", ondelete="SET NULL", name="fk_treatment_session_plan_id"), nullable=True,
        index=True)


class TreatmentPlan(Audited, Base):
    """A course of treatment planned for a patient; sessions link to it (``TreatmentSession.plan_id``)."""

    __tablename__ = "treatment_plan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(120))  # a protocol name of scarwise.therapy
    planned_sessions: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    start_on: Mapped[dt.date] = mapped_column(Date)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan.id", ondelete="SET NULL"), nullable=True)
    target_scar_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)  # None: every scar of the scan
    injection_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # therapy.plan_injections
    estimated_cost_sar: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FollowUp(Audited, Base):
    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id", ondelete="CASCADE"), index=True)
    months: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class AdverseEvent(Audited, Base):
    __tablename__ = "adverse_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(200))
    severity: Mapped[int] = mapped_column(Integer)  # CTCAE-style grade 1-5
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    onset_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(200), default="")


class AuditLog(Base):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_clinic_at", "clinic_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the system (scan worker, CLI)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(8))  # create | update | delete
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
