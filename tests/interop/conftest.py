"""Clinic fixtures (SQLite always, PostgreSQL when SCARWISE_TEST_POSTGRES_URL is set) and a full patient record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.clinic.conftest import (  # noqa: F401 - fixtures reused from the clinic suite
    _apps,
    app,
    backend,
    client,
    postgres_migrated,
    sqlite_template,
    world,
)

RESULT = {
    "surface": {"nx": 200, "ny": 150, "dx_mm": 0.05, "dy_mm": 0.05},
    "iso25178": {"Sa": 41.5, "Sq": 55.25, "Sp": 120.0, "Sv": 310.5, "Sz": 430.5, "Ssk": -1.25, "Sku": 4.5,
                 "Sdq": 0.31, "Sdr": 4.2},
    "scars": [
        {"id": 1, "type": "icepick", "centroid_mm": [1.5, 2.25], "width_mm": 0.6, "depth_mm": 0.45,
         "area_mm2": 0.28, "volume_mm3": 0.05},
        {"id": 2, "type": "boxcar", "centroid_mm": [4.0, 3.5], "width_mm": 2.1, "depth_mm": 0.3,
         "area_mm2": 3.46, "volume_mm3": 0.8},
        {"id": 3, "type": "rolling", "centroid_mm": [7.0, 5.0], "width_mm": 4.5, "depth_mm": 0.2,
         "area_mm2": 15.9, "volume_mm3": 1.9},
    ],
    "grade": {"goodman_baron_quantitative": 9, "goodman_baron_qualitative": 3, "ecca": 45,
              "inputs_needed": ["colour"]},
}


def seed_record(clinic_app, clinic_id: int, *, mrn: str = "R-1") -> int:
    """A patient with every kind of record the export covers; returns the patient id."""
    from scarwise.clinic import crud
    from scarwise.clinic.models import AdverseEvent, Scan

    with clinic_app.state.sessions() as db:
        p = crud.create_patient(db, clinic_id=clinic_id, data={
            "mrn": mrn, "name_en": "Sara Ali", "name_ar": "سارة علي", "birth_date": dt.date(1990, 4, 1),
            "sex": "female", "fitzpatrick": 4, "contact": "+966 50 000 0000", "notes": "prefers mornings"})
        crud.create_consent(db, patient=p, kind="treatment", version="v2", signed_on=dt.date(2025, 1, 5))
        c = crud.create_consent(db, patient=p, kind="imaging", version="v1", signed_on=dt.date(2025, 1, 5))
        c.withdrawn_on = dt.date(2025, 6, 1)
        crud.create_consent(db, patient=p, kind="imaging", version="v2", signed_on=dt.date(2025, 6, 2))
        dr = crud.create_practitioner(db, clinic_id=clinic_id, data={
            "name": "Dr Huda Saleh", "licence_number": "SCFHS-12345", "licence_expires": dt.date(2027, 1, 1)})
        s1 = crud.create_session(db, patient=p, data={
            "practitioner_id": dr.id, "performed_on": dt.date(2025, 2, 1), "protocol": "PRP + microneedling",
            "product": "PRP kit A", "cell_source": "autologous", "dose": "3 mL", "lot": "LOT-7",
            "injection_plan": "12 sites", "cost_sar": Decimal("1500.00")})
        crud.create_session(db, patient=p, data={
            "practitioner_id": dr.id, "performed_on": dt.date(2025, 3, 1), "protocol": "", "product": "Fibroblasts B",
            "cell_source": "allogeneic", "dose": "", "lot": "LOT-9", "injection_plan": "", "cost_sar": Decimal("0")})
        fu = crud.list_sessions(db, patient=p)[0]
        from sqlalchemy import select

        from scarwise.clinic.models import FollowUp
        first = db.scalars(select(FollowUp).where(FollowUp.session_id == fu.id, FollowUp.months == 1)).one()
        first.done_on = dt.date(2025, 3, 3)
        db.add(Scan(clinic_id=clinic_id, patient_id=p.id, filename="cheek.x3p", sha256="ab" * 32, suffix=".x3p",
                    size_bytes=12345, pixel_mm=0.05, visit_on=dt.date(2025, 1, 20), status="done", progress=1.0,
                    result=RESULT, grade_override=10, type_overrides={"2": "rolling"}))
        db.add(Scan(clinic_id=clinic_id, patient_id=p.id, filename="bad.tif", sha256="cd" * 32, suffix=".tif",
                    size_bytes=99, visit_on=dt.date(2025, 4, 2), status="failed", error="no pixel size"))
        db.add(AdverseEvent(clinic_id=clinic_id, patient_id=p.id, session_id=s1.id, kind="erythema", severity=2,
                            serious=False, onset_on=dt.date(2025, 2, 2), outcome="resolved in 3 days"))
        db.add(AdverseEvent(clinic_id=clinic_id, patient_id=p.id, kind="headache", severity=1, serious=True,
                            onset_on=dt.date(2025, 2, 5)))
        db.commit()
        return p.id


@pytest.fixture
def record(world) -> int:  # noqa: F811 - the imported fixture
    return seed_record(world.app, world.clinic_a)
