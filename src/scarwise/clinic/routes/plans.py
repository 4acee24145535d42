"""Treatment plans: ``/api/patients/{id}/plans`` and ``/api/plans/{id}`` (clinicians write, everyone reads)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from scarwise.clinic import _plans
from scarwise.clinic.deps import Clinician, CurrentUser, DbSession, PatientDep
from scarwise.clinic.models import TreatmentPlan
from scarwise.clinic.schemas import SessionPublic, Strict, Text

router = APIRouter(tags=["plans"])

Status = Literal["planned", "active", "completed", "cancelled"]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
ScarIds = Annotated[list[Annotated[int, Field(ge=1, le=10**6)]], Field(min_length=1, max_length=1000)]


class PlanCreate(Strict):
    protocol: Text(120, 1)
    planned_sessions: int | None = Field(default=None, ge=1, le=100)  # default: the protocol's
    interval_days: int | None = Field(default=None, ge=1, le=3650)  # default: the protocol's
    start_on: dt.date | None = None  # default: today
    scan_id: int | None = Field(default=None, ge=1, le=2**31 - 1)  # default: the latest measured scan
    target_scar_ids: ScarIds | None = None  # default: every scar of that scan
    estimated_cost_sar: Money = Decimal("0")
    notes: Text(5000) = ""


class PlanUpdate(Strict):
    status: Status | None = None
    planned_sessions: int | None = Field(default=None, ge=1, le=100)
    interval_days: int | None = Field(default=None, ge=1, le=3650)
    start_on: dt.date | None = None
    estimated_cost_sar: Money | None = None
    notes: Text(5000) | None = None


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    protocol: str
    planned_sessions: int
    interval_days: int
    start_on: dt.date
    scan_id: int | None
    target_scar_ids: list[int] | None
    injection_plan: dict[str, Any] | None
    estimated_cost_sar: Decimal
    status: Status
    notes: str
    created_by: int | None
    created_at: dt.datetime
    sessions_done: int = 0
    planned_dates: list[dt.date] = []
    next_session_on: dt.date | None = None


class PlanDetail(PlanPublic):
    sessions: list[SessionPublic] = []


def public(plan: TreatmentPlan, done: int) -> PlanPublic:
    prog = _plans.progress(plan, done)
    return PlanPublic.model_validate(plan).model_copy(update={
        "sessions_done": done, "planned_dates": _plans.planned_dates(plan), "next_session_on": prog["next_session_on"]})


def get_plan(plan_id: int, db: DbSession, user: CurrentUser) -> TreatmentPlan:
    return _plans.get_plan(db, clinic_id=user.clinic_id, plan_id=plan_id)


PlanDep = Annotated[TreatmentPlan, Depends(get_plan)]


@router.post("/patients/{patient_id}/plans", response_model=PlanPublic, status_code=201)
def create_plan(request: Request, patient: PatientDep, body: PlanCreate, user: Clinician, db: DbSession) -> Any:
    """Plan a course of a therapy protocol; an injected protocol gets its injection plan from the scan."""
    state = request.app.state
    plan = _plans.create_plan(db, patient=patient, data=body.model_dump(exclude_unset=True), created_by=user.id,
                              blobs=state.blobs, settings=state.settings)
    db.commit()
    return public(plan, 0)


@router.get("/patients/{patient_id}/plans", response_model=list[PlanPublic])
def list_plans(patient: PatientDep, db: DbSession) -> Any:
    plans = _plans.list_plans(db, patient=patient)
    done = _plans.sessions_done(db, [p.id for p in plans])
    return [public(p, done[p.id]) for p in plans]


class DueSessionPublic(BaseModel):
    """The next planned session of an open plan (computed from its schedule; not a stored record)."""

    plan_id: int
    patient_id: int
    protocol: str
    session_number: int
    sessions_planned: int
    due_on: dt.date


@router.get("/follow-ups/planned-sessions", response_model=list[DueSessionPublic])
def planned_sessions_due(user: CurrentUser, db: DbSession, until: dt.date | None = None) -> Any:
    """Open plans' next planned sessions due up to ``until`` (default today: the overdue ones)."""
    return [DueSessionPublic(plan_id=d.plan.id, patient_id=d.plan.patient_id, protocol=d.plan.protocol,
                             session_number=d.number, sessions_planned=d.plan.planned_sessions, due_on=d.due_on)
            for d in _plans.sessions_due(db, clinic_id=user.clinic_id, until=until or dt.date.today())]


@router.get("/plans/{plan_id}", response_model=PlanDetail)
def read_plan(plan: PlanDep, db: DbSession) -> Any:
    sessions = _plans.plan_sessions(db, plan=plan)
    return PlanDetail(**public(plan, len(sessions)).model_dump(),
                      sessions=[SessionPublic.model_validate(s) for s in sessions])


@router.patch("/plans/{plan_id}", response_model=PlanPublic)
def update_plan(plan: PlanDep, body: PlanUpdate, _user: Clinician, db: DbSession) -> Any:
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    _plans.update_plan(db, plan=plan, data=data)
    db.commit()
    return public(plan, _plans.sessions_done(db, [plan.id])[plan.id])


@router.delete("/plans/{plan_id}", status_code=204)
def delete_plan(plan: PlanDep, _user: Clinician, db: DbSession) -> None:
    """Delete a plan without sessions (409 otherwise: cancel it instead)."""
    _plans.delete_plan(db, plan=plan)
    db.commit()
