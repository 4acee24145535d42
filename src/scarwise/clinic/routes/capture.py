"""Photometric sets (images + lights → a measured scan) and colour maps of a scan, API and pages.

``mount(app)`` adds the API routes under ``/api`` and the two page form targets.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy import insert

from scarwise.clinic import crud
from scarwise.clinic._capture import (
    CAPTURE_SUFFIX,
    analyse_colour,
    capture_and_measure,
    check_pixel_mm,
    colour_summary,
    read_colour,
    stage_capture,
)
from scarwise.clinic._errors import ConflictError, NotFoundError
from scarwise.clinic._scans import worker_id
from scarwise.clinic.deps import DbSession, PatientDep, ScanDep
from scarwise.clinic.models import AuditLog, Patient, Scan, utcnow
from scarwise.clinic.pages._render import TEMPLATES, check_csrf, redirect, scan_form_fields
from scarwise.clinic.routes.scans import fresh_status

router = APIRouter(tags=["capture"])
pages = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    """Add the capture and colour routes (API under ``/api``, page form targets at the root)."""
    app.include_router(router, prefix="/api")
    app.include_router(pages)


def _need_imaging(db: DbSession, patient: Patient) -> None:
    if not crud.has_active_consent(db, patient=patient, kind="imaging"):
        raise ConflictError("this patient has no active imaging consent; record one before storing scans")


def _max_bytes(request: Request) -> int:
    return int(request.app.state.settings.max_upload_mb * 2**20)


def capture_to_scan(request: Request, db: DbSession, tasks: BackgroundTasks, patient: Patient,
                    images: list[UploadFile], lights: UploadFile, *, pixel_mm: float | None,
                    visit_on: dt.date | None) -> tuple[Scan, dict[str, Any]]:
    """Consent (409), cheap checks (4xx), store the set, queue reconstruction + measurement.

    The request never reconstructs: the scan row is committed ``queued`` naming the stored set
    (``<sha256>.capture.zip``), and the background job turns it into the ``.x3p`` it measures.
    """
    _need_imaging(db, patient)
    pixel_mm = check_pixel_mm(pixel_mm)
    state = request.app.state
    sha, size, summary = stage_capture([(f.filename, f.file) for f in images], (lights.filename, lights.file),
                                       pixel_mm=pixel_mm, max_bytes=_max_bytes(request),
                                       max_points=state.settings.max_points, store=state.blobs)
    scan = Scan(clinic_id=patient.clinic_id, patient_id=patient.id, filename=f"photometric-{len(images)}-images.x3p",
                sha256=sha, suffix=CAPTURE_SUFFIX, size_bytes=size, pixel_mm=pixel_mm,
                visit_on=visit_on or dt.date.today(), status="queued", worker=worker_id(), heartbeat_at=utcnow())
    db.add(scan)
    db.commit()
    tasks.add_task(capture_and_measure, state.sessions, state.blobs, state.settings, scan.id)
    return scan, summary


@router.post("/patients/{patient_id}/captures", status_code=202)
def upload_capture(request: Request, tasks: BackgroundTasks, patient: PatientDep, db: DbSession,
                   images: Annotated[list[UploadFile], File()], lights: Annotated[UploadFile, File()],
                   pixel_mm: Annotated[float, Form()],
                   visit_on: Annotated[dt.date | None, Form()] = None) -> dict[str, Any]:
    """Store photographs under known lights; a height map is reconstructed and measured in the background.

    ``images``: 3-32 registered PNG/TIFF/JPEG photographs, one per light; ``lights``: LIGHTS.json
    ``{"directions": [[x, y, z], ...]}`` or CSV; ``pixel_mm``: pixel size on the skin. Counts, types,
    sizes, the lights and the image grids are checked before answering (4xx); then 202 with the new
    scan's id (``queued``) and ``capture`` (images, nx, ny, pixel_mm). Follow it at
    ``GET /api/scans/{id}``: it is ``running`` while reconstructed and measured, then ``done``, or
    ``failed`` with the reason (e.g. images that cannot be decoded).
    """
    scan, summary = capture_to_scan(request, db, tasks, patient, images, lights, pixel_mm=pixel_mm,
                                    visit_on=visit_on)
    return {"id": scan.id, "status": scan.status, "capture": summary}


def _colour(request: Request, db: DbSession, scan: Scan, photo: UploadFile, chart: str | None,
            linear: bool) -> dict[str, Any]:
    scan = fresh_status(request, db, scan)
    patient = crud.get_patient(db, clinic_id=scan.clinic_id, patient_id=scan.patient_id)
    _need_imaging(db, patient)
    if scan.status != "done":
        raise ConflictError(f"scan {scan.id} is {scan.status}; colour maps need its measured scars, "
                            "try again when it is done")
    chart = chart.strip() if chart else None
    before = colour_summary(read_colour(request.app.state.blobs, scan))
    doc = analyse_colour(request.app.state.blobs, scan, (photo.filename, photo.file), chart=chart or None,
                         linear=linear, max_bytes=_max_bytes(request))
    # the result lives in files, not rows, so the ORM audit hook cannot see it: one explicit entry
    # (who, when, which scan, the numbers before and after; never the photograph or the maps)
    db.execute(insert(AuditLog).values(clinic_id=scan.clinic_id, user_id=db.info.get("actor_id"), at=utcnow(),
                                       action="colour", entity="scan", entity_id=scan.id, before=before,
                                       after=colour_summary(doc)))
    db.commit()
    return doc


@router.post("/scans/{scan_id}/colour")
def upload_colour(request: Request, scan: ScanDep, db: DbSession, photo: Annotated[UploadFile, File()],
                  chart: Annotated[str | None, Form(max_length=100)] = None,
                  linear: Annotated[bool, Form()] = False) -> dict[str, Any]:
    """Erythema and melanin maps of a colour photograph registered on the scan's grid.

    ``chart``: optional neutral chart patch ``x0,y0,x1,y1`` in pixels; ``linear``: pixel values
    are linear (default sRGB). Answers the ``scarwise colour --json`` object per scar of the scan.
    """
    return _colour(request, db, scan, photo, chart, linear)["stats"]


@router.get("/scans/{scan_id}/colour")
def read_scan_colour(request: Request, scan: ScanDep) -> dict[str, Any]:
    doc = read_colour(request.app.state.blobs, scan)
    if doc is None:
        raise NotFoundError(f"scan {scan.id} has no colour maps; upload a photograph first")
    return doc["stats"]


@router.get("/scans/{scan_id}/colour.png", response_class=FileResponse)
def colour_png(request: Request, scan: ScanDep) -> FileResponse:
    doc = read_colour(request.app.state.blobs, scan)
    if doc is None:
        raise NotFoundError(f"scan {scan.id} has no colour maps; upload a photograph first")
    return FileResponse(request.app.state.blobs.path(doc["maps_sha256"], ".png"), media_type="image/png")


# -- page form targets --------------------------------------------------------------------------
@pages.post("/patients/{patient_id}/captures")
def capture_page(request: Request, tasks: BackgroundTasks, patient: PatientDep, db: DbSession,
                 csrf: Annotated[str, Form()], images: Annotated[list[UploadFile], File()],
                 lights: Annotated[UploadFile, File()], pixel_mm: Annotated[str, Form()] = "",
                 visit_on: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    size, visit = scan_form_fields(pixel_mm, visit_on)
    scan, _ = capture_to_scan(request, db, tasks, patient, images, lights, pixel_mm=size, visit_on=visit)
    return redirect(f"/scans/{scan.id}")


@pages.post("/scans/{scan_id}/colour")
def colour_page(request: Request, scan: ScanDep, db: DbSession, csrf: Annotated[str, Form()],
                photo: Annotated[UploadFile, File()], chart: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    _colour(request, db, scan, photo, chart, False)
    return redirect(f"/scans/{scan.id}#colour")


def _scan_colour(request: Request, scan: Scan) -> dict[str, Any] | None:
    """Template helper: the colour result of ``scan`` (None when there is none)."""
    return read_colour(request.app.state.blobs, scan)


TEMPLATES.env.globals["scan_colour"] = _scan_colour
