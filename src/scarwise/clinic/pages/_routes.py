"""Page routes: sign-in, patients, scans, sessions, adverse events, follow-ups, safety, audit."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from scarwise.clinic import _reads, crud
from scarwise.clinic._errors import AuthenticationError, RateLimitedError
from scarwise.clinic._plans import sessions_due
from scarwise.clinic._scans import supported_suffixes
from scarwise.clinic.deps import SESSION_COOKIE, Admin, Clinician, CurrentUser, DbSession, PatientDep, ScanDep
from scarwise.clinic.models import Patient, TreatmentSession, User
from scarwise.clinic.pages._plans import plan_context
from scarwise.clinic.pages._plans import router as plans_router
from scarwise.clinic.pages._render import check_csrf, redirect, render, scan_form_fields, validate
from scarwise.clinic.pages._report import router as report_router
from scarwise.clinic.routes.scans import fresh_status, queue_measurement, store_scan
from scarwise.clinic.schemas import (
    AdverseEventCreate,
    ConsentCreate,
    PatientCreate,
    PractitionerCreate,
    ScanCorrection,
    SessionCreate,
)
from scarwise.core.errors import InvalidParameterError

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(report_router)
    app.include_router(plans_router)  # treatment plans, outcomes by matched scar


@router.get("/")
def home() -> Response:
    return redirect("/patients")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "login.html", {"message": None})


@router.post("/login")
def login(request: Request, db: DbSession, csrf: Csrf, email: Annotated[str, Form(max_length=320)],
          password: Annotated[str, Form(max_length=1000)]) -> Response:
    check_csrf(request, csrf)
    security = request.app.state.security
    address = request.client.host if request.client else "unknown"
    try:
        user = security.authenticate(db, email=email, password=password, address=address)
    except RateLimitedError as exc:
        return render(request, "login.html", {"message": str(exc)}, status=429,
                      headers={"Retry-After": str(exc.retry_after_s)})
    except AuthenticationError as exc:
        return render(request, "login.html", {"message": str(exc)}, status=401)
    response = redirect("/patients")
    response.set_cookie(SESSION_COOKIE, security.make_token(user), max_age=request.app.state.settings.token_ttl_s,
                        httponly=True, samesite="lax", secure=request.app.state.settings.cookie_secure)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/logout-everywhere")
def logout_everywhere(request: Request, csrf: Csrf, user: CurrentUser, db: DbSession) -> Response:
    check_csrf(request, csrf)
    crud.sign_out_everywhere(db, user=user)
    db.commit()
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- patients ---------------------------------------------------------------------------
@router.get("/patients", response_class=HTMLResponse)
async def patients_page(request: Request, user: CurrentUser, q: Annotated[str, Query(max_length=200)] = "",
                        page: Annotated[int, Query(ge=1, le=10**6)] = 1) -> Response:
    size = request.app.state.settings.page_size
    # a short read on the event loop, no thread hop (_reads explains)
    items, total = _reads.list_patients(request.app.state.reader, clinic_id=user.clinic_id,
                                        q=q.replace("\x00", ""), offset=(page - 1) * size, limit=size)
    return render(request, "patients.html", {"patients": items, "total": total, "q": q, "page": page,
                                             "pages": max(1, math.ceil(total / size))}, user=user)


@router.post("/patients")
def create_patient(request: Request, user: CurrentUser, db: DbSession, csrf: Csrf,
                   mrn: Annotated[str, Form()], name_en: Annotated[str, Form()] = "",
                   name_ar: Annotated[str, Form()] = "", birth_date: Annotated[str, Form()] = "",
                   sex: Annotated[str, Form()] = "unknown", fitzpatrick: Annotated[str, Form()] = "",
                   contact: Annotated[str, Form()] = "", notes: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    body = validate(PatientCreate, {"mrn": mrn, "name_en": name_en, "name_ar": name_ar, "birth_date": birth_date,
                                    "sex": sex, "fitzpatrick": fitzpatrick, "contact": contact, "notes": notes})
    patient = crud.create_patient(db, clinic_id=user.clinic_id, data=body.model_dump())
    db.commit()
    return redirect(f"/patients/{patient.id}")


def _outcomes(scans: list) -> list[dict[str, Any]]:
    """Small line charts of total scar volume, deepest scar and grade across visits (done scans)."""
    done = [s for s in scans if s.status == "done" and s.result]
    if len(done) < 1:
        return []
    series = {
        "Total scar volume (mm³)": [sum(max(0.0, x.get("volume_mm3", 0.0)) for x in s.result.get("scars", []))
                                    for s in done],
        "Deepest scar (mm)": [max([x.get("depth_mm", 0.0) for x in s.result.get("scars", [])] or [0.0]) for s in done],
        "Grade (Goodman & Baron)": [s.grade_override if s.grade_override is not None else
                                    (s.result.get("grade") or {}).get("goodman_baron_quantitative", 0) for s in done],
    }
    charts = []
    for label, values in series.items():
        top = max(values) or 1.0
        xs = [20 + (220 * i / max(1, len(values) - 1)) for i in range(len(values))]
        ys = [110 - 100 * v / top for v in values]
        charts.append({"label": label, "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)),
                       "dots": [(f"{x:.1f}", f"{y:.1f}", f"{d.visit_on}: {v:.4g}")
                                for x, y, v, d in zip(xs, ys, values, done, strict=True)]})
    return charts


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(request: Request, patient: PatientDep, user: CurrentUser, db: DbSession) -> Response:
    scans = crud.list_scans(db, patient=patient)
    sessions = crud.list_sessions(db, patient=patient)
    practitioners = crud.list_practitioners(db, clinic_id=user.clinic_id)
    today = dt.date.today()
    return render(request, "patient.html", {
        "patient": patient, "consents": crud.list_consents(db, patient=patient), "scans": scans,
        "has_imaging": crud.has_active_consent(db, patient=patient, kind="imaging"),
        "accept": ",".join(supported_suffixes()), "sessions": sessions,
        "practitioners": [p for p in practitioners if p.licence_expires >= today],
        "practitioner_names": {p.id: p.name for p in practitioners},
        "session_lots": {s.id: s.lot for s in sessions}, "today": today.isoformat(),
        "adverse_events": crud.list_adverse_events(db, clinic_id=user.clinic_id, patient_id=patient.id),
        "outcomes": _outcomes(scans), **plan_context(db, patient)}, user=user)


@router.post("/patients/{patient_id}/edit")
def edit_patient(request: Request, patient: PatientDep, db: DbSession, csrf: Csrf, mrn: Annotated[str, Form()],
                 name_en: Annotated[str, Form()] = "", name_ar: Annotated[str, Form()] = "",
                 birth_date: Annotated[str, Form()] = "", sex: Annotated[str, Form()] = "unknown",
                 fitzpatrick: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "",
                 notes: Annotated[str, Form()] = "") -> Response:
    """Replace the patient's details with the form's (an empty field clears it)."""
    check_csrf(request, csrf)
    body = validate(PatientCreate, {"mrn": mrn, "name_en": name_en, "name_ar": name_ar, "birth_date": birth_date,
                                    "sex": sex, "fitzpatrick": fitzpatrick, "contact": contact, "notes": notes})
    crud.update_patient(db, patient=patient, data=body.model_dump())
    db.commit()
    return redirect(f"/patients/{patient.id}")


@router.post("/patients/{patient_id}/consents")
def add_consent(request: Request, patient: PatientDep, db: DbSession, csrf: Csrf, kind: Annotated[str, Form()],
                version: Annotated[str, Form()], signed_on: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    body = validate(ConsentCreate, {"kind": kind, "version": version, "signed_on": signed_on})
    crud.create_consent(db, patient=patient, kind=body.kind, version=body.version, signed_on=body.signed_on)
    db.commit()
    return redirect(f"/patients/{patient.id}#consents")


@router.post("/patients/{patient_id}/consents/{consent_id}/withdraw")
def withdraw_consent(request: Request, patient: PatientDep, consent_id: int, db: DbSession, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    crud.withdraw_consent(db, patient=patient, consent_id=consent_id)
    db.commit()
    return redirect(f"/patients/{patient.id}#consents")


@router.post("/patients/{patient_id}/scans")
def upload_scan(request: Request, tasks: BackgroundTasks, patient: PatientDep, db: DbSession, csrf: Csrf,
                file: Annotated[UploadFile, File()], pixel_mm: Annotated[str, Form()] = "",
                visit_on: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    size, visit = scan_form_fields(pixel_mm, visit_on)
    scan = store_scan(request, db, patient, file, pixel_mm=size, visit_on=visit)
    queue_measurement(request, tasks, scan)
    return redirect(f"/scans/{scan.id}")


@router.get("/scans/{scan_id}", response_class=HTMLResponse)
def scan_page(request: Request, scan: ScanDep, user: CurrentUser, db: DbSession) -> Response:
    return render(request, "scan.html", {"scan": fresh_status(request, db, scan)}, user=user)


@router.post("/scans/{scan_id}/correct")
def correct_scan(request: Request, scan: ScanDep, _user: Clinician, db: DbSession, csrf: Csrf,
                 scar_id: Annotated[str, Form()] = "", scar_type: Annotated[str, Form()] = "",
                 grade_override: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    data: dict[str, Any] = {"grade_override": grade_override}
    if scar_id:
        data["type_overrides"] = {**(scan.type_overrides or {}), scar_id: scar_type}
    body = validate(ScanCorrection, data).model_dump(exclude_unset=True)
    known = {str(s["id"]) for s in (scan.result or {}).get("scars", [])}
    if set(body.get("type_overrides") or {}) - known:
        raise InvalidParameterError(f"scan {scan.id} has no scar with id {scar_id}")
    for key, value in body.items():
        setattr(scan, key, value)
    db.commit()
    return redirect(f"/scans/{scan.id}")


# -- sessions, adverse events, follow-ups, safety -----------------------------------------
@router.post("/patients/{patient_id}/sessions")
def add_session(request: Request, patient: PatientDep, _user: Clinician, db: DbSession, csrf: Csrf,
                practitioner_id: Annotated[str, Form()], performed_on: Annotated[str, Form()],
                product: Annotated[str, Form()], lot: Annotated[str, Form()], protocol: Annotated[str, Form()] = "",
                cell_source: Annotated[str, Form()] = "none", dose: Annotated[str, Form()] = "",
                injection_plan: Annotated[str, Form()] = "", cost_sar: Annotated[str, Form()] = "0",
                plan_id: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    body = validate(SessionCreate, {"practitioner_id": practitioner_id, "performed_on": performed_on,
                                    "product": product, "lot": lot, "protocol": protocol, "cell_source": cell_source,
                                    "dose": dose, "injection_plan": injection_plan, "cost_sar": cost_sar,
                                    "plan_id": plan_id})
    crud.create_session(db, patient=patient, data=body.model_dump())
    db.commit()
    return redirect(f"/patients/{patient.id}#sessions")


@router.post("/patients/{patient_id}/adverse-events")
def add_adverse_event(request: Request, patient: PatientDep, _user: Clinician, db: DbSession, csrf: Csrf,
                      kind: Annotated[str, Form()], severity: Annotated[str, Form()],
                      onset_on: Annotated[str, Form()], serious: Annotated[str, Form()] = "",
                      outcome: Annotated[str, Form()] = "", session_id: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    body = validate(AdverseEventCreate, {"kind": kind, "severity": severity, "onset_on": onset_on,
                                         "serious": serious == "true", "outcome": outcome, "session_id": session_id})
    crud.create_adverse_event(db, patient=patient, data=body.model_dump())
    db.commit()
    return redirect(f"/patients/{patient.id}#adverse-events")


@router.get("/follow-ups", response_class=HTMLResponse)
def follow_ups_page(request: Request, user: CurrentUser, db: DbSession, until: dt.date | None = None) -> Response:
    until = until or dt.date.today()
    # follow-up visits (stored) and the next planned session of each open plan (computed), by due date
    rows = [(f.due_on, "follow-up", f, db.get(Patient, f.patient_id))
            for f in crud.follow_ups_due(db, clinic_id=user.clinic_id, until=until)]
    rows += [(d.due_on, "plan", d, db.get(Patient, d.plan.patient_id))
             for d in sessions_due(db, clinic_id=user.clinic_id, until=until)]
    rows.sort(key=lambda r: (r[0], r[1]))
    return render(request, "lists.html", {"kind": "follow-ups", "title": "Follow-ups due", "rows": rows,
                                          "until": until.isoformat(), "today_date": dt.date.today()}, user=user)


@router.post("/follow-ups/{follow_up_id}/done")
def follow_up_done(request: Request, follow_up_id: int, user: CurrentUser, db: DbSession, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    crud.complete_follow_up(db, clinic_id=user.clinic_id, follow_up_id=follow_up_id)
    db.commit()
    return redirect("/follow-ups")


@router.get("/safety", response_class=HTMLResponse)
def safety_page(request: Request, user: Clinician, db: DbSession, lot: Annotated[str, Query(max_length=64)] = ""
                ) -> Response:
    rows = []
    for a in crud.list_adverse_events(db, clinic_id=user.clinic_id):
        session = db.get(TreatmentSession, a.session_id) if a.session_id else None
        rows.append((a, db.get(Patient, a.patient_id), session.lot if session else None))
    recall = crud.patients_with_lot(db, clinic_id=user.clinic_id, lot=lot) if lot else []
    return render(request, "lists.html", {"kind": "safety", "title": "Safety", "rows": rows, "lot": lot,
                                          "recall": recall}, user=user)


@router.get("/practitioners", response_class=HTMLResponse)
def practitioners_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    return render(request, "lists.html", {"kind": "practitioners", "title": "Practitioners",
                                          "rows": crud.list_practitioners(db, clinic_id=user.clinic_id),
                                          "today_date": dt.date.today()}, user=user)


@router.post("/practitioners")
def add_practitioner(request: Request, user: Admin, db: DbSession, csrf: Csrf, name: Annotated[str, Form()],
                     licence_number: Annotated[str, Form()], licence_expires: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf)
    body = validate(PractitionerCreate, {"name": name, "licence_number": licence_number,
                                         "licence_expires": licence_expires})
    crud.create_practitioner(db, clinic_id=user.clinic_id, data=body.model_dump())
    db.commit()
    return redirect("/practitioners")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Admin, db: DbSession, page: Annotated[int, Query(ge=1, le=10**6)] = 1
               ) -> Response:
    rows = crud.list_audit(db, clinic_id=user.clinic_id, offset=(page - 1) * 100, limit=101)
    emails = dict(db.execute(select(User.id, User.email).where(User.clinic_id == user.clinic_id)).all())
    return render(request, "lists.html", {"kind": "audit", "title": "Audit log", "rows": rows[:100],
                                          "more": len(rows) > 100, "page": page, "emails": emails}, user=user)
