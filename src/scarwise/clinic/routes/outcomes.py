"""Outcomes by matched scar: ``/api/patients/{id}/outcomes/scars`` (JSON) and ``.png`` / ``.svg`` charts.

Computed on every request from the stored scans (aligning takes about a second per visit and
megapixel); nothing is cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from scarwise.clinic import crud
from scarwise.clinic._outcomes import matched_outcomes, plot_outcomes
from scarwise.clinic.deps import DbSession, PatientDep

router = APIRouter(tags=["outcomes"])


def _compute(request: Request, patient: Any, db: Any) -> Any:
    state = request.app.state
    return matched_outcomes(crud.list_scans(db, patient=patient), blobs=state.blobs, settings=state.settings)


@router.get("/patients/{patient_id}/outcomes/scars")
def scar_outcomes(request: Request, patient: PatientDep, db: DbSession) -> dict[str, Any]:
    """Per-scar depth (mm) and volume (mm³) over the patient's measured scans, matched to the first scan.

    422 with the reason when fewer than two scans are measured.
    """
    return _compute(request, patient, db).to_json()


@router.get("/patients/{patient_id}/outcomes/scars.png", response_class=Response)
def scar_outcomes_png(request: Request, patient: PatientDep, db: DbSession) -> Response:
    return Response(plot_outcomes(_compute(request, patient, db), fmt="png"), media_type="image/png")


@router.get("/patients/{patient_id}/outcomes/scars.svg", response_class=Response)
def scar_outcomes_svg(request: Request, patient: PatientDep, db: DbSession) -> Response:
    return Response(plot_outcomes(_compute(request, patient, db), fmt="svg"), media_type="image/svg+xml")
