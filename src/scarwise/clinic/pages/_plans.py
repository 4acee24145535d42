"""Pages of treatment plans (list and form on the patient page, a plan's page) and outcomes by matched scar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from scarwise.clinic import _plans, crud
from scarwise.clinic._outcomes import data_uri, measured_scans, outcomes_or_message, plot_outcomes
from scarwise.clinic.deps import Clinician, CurrentUser, DbSession, PatientDep
from scarwise.clinic.models import PLAN_STATUSES, Patient, User
from scarwise.clinic.pages._render import check_csrf, redirect, render, validate
from scarwise.clinic.routes.plans import PlanCreate, PlanDep, PlanUpdate
from scarwise.core.errors import InvalidParameterError

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]


def mount(app: FastAPI) -> None:
    app.include_router(router)


def protocol_choices() -> list[tuple[str, str]]:
    from scarwise.therapy import load_protocols

    protocols = load_protocols()
    return [(name, protocols[name].label) for name in _plans.protocol_names()]


def plan_context(db: Session, patient: Patient) -> dict[str, Any]:
    """What the patient page shows of plans: each plan with its progress, and the form's choices."""
    plans = _plans.list_plans(db, patient=patient)
    done = _plans.sessions_done(db, [p.id for p in plans])
    return {"plans": [(p, _plans.progress(p, done[p.id])) for p in plans], "plans_by_id": {p.id: p for p in plans},
            "open_plans": [p for p in plans if p.status in _plans.OPEN_STATUSES],
            "protocol_choices": protocol_choices(),
            "measured_scans": list(reversed(measured_scans(crud.list_scans(db, patient=patient))))}


def _scar_ids(text: str) -> list[int] | None:
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return None
    if not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise InvalidParameterError(f"target scars must be scar ids separated by commas, got {text!r}")
    return [int(p) for p in parts]


@router.post("/patients/{patient_id}/plans")
def add_plan(request: Request, patient: PatientDep, user: Clinician, db: DbSession, csrf: Csrf,
             protocol: Annotated[str, Form()], planned_sessions: Annotated[str, Form()] = "",
             interval_days: Annotated[str, Form()] = "", start_on: Annotated[str, Form()] = "",
             scan_id: Annotated[str, Form()] = "", target_scar_ids: Annotated[str, Form(max_length=2000)] = "",
             estimated_cost_sar: Annotated[str, Form()] = "", notes: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    body = validate(PlanCreate, {"protocol": protocol, "planned_sessions": planned_sessions,
                                 "interval_days": interval_days, "start_on": start_on, "scan_id": scan_id,
                                 "target_scar_ids": _scar_ids(target_scar_ids),
                                 "estimated_cost_sar": estimated_cost_sar, "notes": notes})
    state = request.app.state
    plan = _plans.create_plan(db, patient=patient, data=body.model_dump(exclude_unset=True), created_by=user.id,
                              blobs=state.blobs, settings=state.settings)
    db.commit()
    return redirect(f"/plans/{plan.id}")


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan: PlanDep, user: CurrentUser, db: DbSession) -> Response:
    from scarwise.therapy import PLAN_LABEL

    sessions = _plans.plan_sessions(db, plan=plan)
    author = db.get(User, plan.created_by) if plan.created_by else None
    return render(request, "plan.html", {
        "plan": plan, "patient": db.get(Patient, plan.patient_id), "sessions": sessions,
        "progress": _plans.progress(plan, len(sessions)), "dates": _plans.planned_dates(plan),
        "statuses": PLAN_STATUSES, "label": dict(protocol_choices()).get(plan.protocol, plan.protocol),
        "plan_label": PLAN_LABEL, "author": author.email if author else None,
        "practitioner_names": {p.id: p.name for p in crud.list_practitioners(db, clinic_id=user.clinic_id)}},
        user=user)


@router.post("/plans/{plan_id}/edit")
def edit_plan(request: Request, plan: PlanDep, _user: Clinician, db: DbSession, csrf: Csrf,
              status: Annotated[str, Form()] = "", planned_sessions: Annotated[str, Form()] = "",
              estimated_cost_sar: Annotated[str, Form()] = "", notes: Annotated[str | None, Form()] = None
              ) -> Response:
    check_csrf(request, csrf)
    body = validate(PlanUpdate, {"status": status, "planned_sessions": planned_sessions,
                                 "estimated_cost_sar": estimated_cost_sar})
    data = body.model_dump(exclude_unset=True)
    if notes is not None:
        data["notes"] = validate(PlanUpdate, {"notes": notes}).notes if notes else ""
    _plans.update_plan(db, plan=plan, data=data)
    db.commit()
    return redirect(f"/plans/{plan.id}")


@router.post("/plans/{plan_id}/delete")
def remove_plan(request: Request, plan: PlanDep, _user: Clinician, db: DbSession, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    patient_id = plan.patient_id
    _plans.delete_plan(db, plan=plan)
    db.commit()
    return redirect(f"/patients/{patient_id}#plans")


@router.get("/patients/{patient_id}/outcomes", response_class=HTMLResponse)
def outcomes_page(request: Request, patient: PatientDep, user: CurrentUser, db: DbSession) -> Response:
    """Per-scar charts, computed now: every later scan aligned onto the first (seconds per visit)."""
    state = request.app.state
    out, message = outcomes_or_message(crud.list_scans(db, patient=patient), blobs=state.blobs,
                                       settings=state.settings)
    # chart text stays English: matplotlib cannot shape Arabic script; the page around it is translated
    chart = data_uri(plot_outcomes(out)) if out is not None else None
    return render(request, "outcomes.html", {"patient": patient, "out": out, "message": message, "chart": chart},
                  user=user)
