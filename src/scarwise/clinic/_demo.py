"""Demo data for ``scarwise serve --demo``: a clinic, three accounts, patients with scans across visits."""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import func, select

from scarwise.clinic import _plans, crud
from scarwise.clinic._scans import measure_scan, worker_id
from scarwise.clinic.models import Clinic, Scan, utcnow
from scarwise.core.errors import ScarwiseError

DEMO_PASSWORD = "scarwise-demo"  # demo only; printed at start
DEMO_ACCOUNTS = (("admin", "admin@demo.scarwise"), ("clinician", "clinician@demo.scarwise"),
                 ("staff", "staff@demo.scarwise"))
_PATIENTS = (("DEMO-001", "Noura Al-Qahtani", "نورة القحطاني", "1992-03-14", "female", 4),
             ("DEMO-002", "Faisal Al-Harbi", "فيصل الحربي", "1988-11-02", "male", 3),
             ("DEMO-003", "Reem Al-Otaibi", "ريم العتيبي", "1999-07-21", "female", 5))


def seed_demo(app: FastAPI, *, scans: bool = True) -> list[tuple[str, str, str]] | None:
    """Create the demo clinic when the database has no clinic yet; return (role, email, password) rows.

    Scans are synthetic cheeks (two visits per patient, the later one with shallower scars) measured
    in a background thread, so the server answers at once.
    """
    sessions, security = app.state.sessions, app.state.security
    with sessions() as db:
        if db.scalar(select(func.count()).select_from(Clinic)):
            return None
        clinic = crud.create_clinic(db, name="Scarwise demo clinic — Riyadh")
        for role, email in DEMO_ACCOUNTS:
            crud.create_user(db, clinic_id=clinic.id, email=email, password_hash=security.hash_password(DEMO_PASSWORD),
                             role=role)
        today = dt.date.today()
        prac = crud.create_practitioner(db, clinic_id=clinic.id, data={
            "name": "Dr Layla Al-Saud", "licence_number": "SCFHS-10-R-12345",
            "licence_expires": today + dt.timedelta(days=400)})
        crud.create_practitioner(db, clinic_id=clinic.id, data={
            "name": "Dr Khalid Al-Dosari", "licence_number": "SCFHS-08-R-54321",
            "licence_expires": today - dt.timedelta(days=30)})
        scan_jobs: list[tuple[int, int, float, dt.date]] = []
        for i, (mrn, en, ar, born, sex, fitz) in enumerate(_PATIENTS):
            p = crud.create_patient(db, clinic_id=clinic.id, data={
                "mrn": mrn, "name_en": en, "name_ar": ar, "birth_date": dt.date.fromisoformat(born), "sex": sex,
                "fitzpatrick": fitz})
            for kind in ("treatment", "imaging"):
                crud.create_consent(db, patient=p, kind=kind, version="2025-01",
                                    signed_on=today - dt.timedelta(days=200))
            plan = _plans.create_plan(db, patient=p, created_by=None, blobs=app.state.blobs,
                                      settings=app.state.settings, data={
                "protocol": "adsc", "planned_sessions": 3, "interval_days": 28,
                "start_on": today - dt.timedelta(days=120 + 10 * i), "estimated_cost_sar": Decimal("13500.00")})
            session = crud.create_session(db, patient=p, data={
                "practitioner_id": prac.id, "performed_on": today - dt.timedelta(days=120 + 10 * i),
                "protocol": "3 sessions, 4 weeks apart", "product": "Autologous fibroblast suspension",
                "cell_source": "autologous", "dose": "1.5 mL", "lot": f"FB-2025-{17 + (i % 2)}",
                "injection_plan": "intradermal, 0.05 mL per site", "cost_sar": Decimal("4500.00"),
                "plan_id": plan.id})
            if i == 0:
                crud.create_adverse_event(db, patient=p, data={
                    "session_id": session.id, "kind": "transient erythema", "severity": 1, "serious": False,
                    "onset_on": session.performed_on + dt.timedelta(days=1), "outcome": "resolved"})
            for days_ago, depth_scale in ((150, 1.0), (20, 0.7)):
                scan_jobs.append((p.id, i + 1, depth_scale, today - dt.timedelta(days=days_ago)))
        db.commit()
        clinic_id = clinic.id
    if scans:
        try:
            _queue_demo_scans(app, clinic_id, scan_jobs)
        except (ScarwiseError, NotImplementedError) as exc:  # demo scans are a bonus; the app still serves
            warnings.warn(f"demo scans not created: {exc}", stacklevel=2)
    return [(role, email, DEMO_PASSWORD) for role, email in DEMO_ACCOUNTS]


def _queue_demo_scans(app: FastAPI, clinic_id: int, jobs: list[tuple[int, int, float, dt.date]]) -> None:
    import tempfile
    from pathlib import Path

    from scarwise.surface.io import write_surface
    from scarwise.surface.synthetic import make_skin_patch

    state = app.state
    ids = []
    with tempfile.TemporaryDirectory() as tmp, state.sessions() as db:
        for n, (patient_id, seed, depth_scale, visit) in enumerate(jobs):
            patch = make_skin_patch(nx=300, ny=300, pixel_mm=0.03, n_scars=3, seed=seed)
            surface = patch.surface.with_z(patch.surface.z * depth_scale)  # later visit: shallower
            path = write_surface(surface, Path(tmp) / f"demo-{n}.x3p")
            sha = state.blobs.put_file(Path(path), suffix=".x3p")
            scan = Scan(clinic_id=clinic_id, patient_id=patient_id, filename=f"cheek-visit{n % 2 + 1}.x3p",
                        sha256=sha, suffix=".x3p", size_bytes=Path(path).stat().st_size, visit_on=visit,
                        worker=worker_id(), heartbeat_at=utcnow())
            db.add(scan)
            db.flush()
            ids.append(scan.id)
        db.commit()

    def work() -> None:
        for scan_id in ids:
            measure_scan(state.sessions, state.blobs, state.settings, scan_id)

    threading.Thread(target=work, name="scarwise-demo-scans", daemon=True).start()
