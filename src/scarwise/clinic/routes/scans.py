"""Scans: upload (202, measured in the background), status and result, scar map, corrections."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from scarwise.clinic import crud
from scarwise.clinic._errors import ConflictError, NotFoundError
from scarwise.clinic._scans import check_suffix, fail_dead_scans, measure_scan, worker_id
from scarwise.clinic.deps import Clinician, DbSession, PatientDep, ScanDep
from scarwise.clinic.models import Patient, Scan, utcnow
from scarwise.clinic.schemas import ScanAccepted, ScanCorrection, ScanPublic
from scarwise.core.errors import InvalidParameterError

router = APIRouter(tags=["scans"])


def store_scan(request: Request, db: DbSession, patient: Patient, upload: UploadFile, *,
               pixel_mm: float | None, visit_on: dt.date | None) -> Scan:
    """Check type (415) and imaging consent (409) before storing; then store and queue the scan."""
    suffix = check_suffix(upload.filename or "")
    if not crud.has_active_consent(db, patient=patient, kind="imaging"):
        raise ConflictError("this patient has no active imaging consent; record one before storing scans")
    if pixel_mm is not None and not (0 < pixel_mm < 100):
        raise InvalidParameterError(f"pixel_mm must be a positive size in mm below 100, got {pixel_mm}")
    settings = request.app.state.settings
    sha, size = request.app.state.blobs.put_stream(upload.file, suffix=suffix,
                                                   max_bytes=int(settings.max_upload_mb * 2**20))
    name = (upload.filename or "scan").replace("\x00", "")[-255:]
    scan = Scan(clinic_id=patient.clinic_id, patient_id=patient.id, filename=name, sha256=sha, suffix=suffix,
                size_bytes=size, pixel_mm=pixel_mm, visit_on=visit_on or dt.date.today(), status="queued",
                worker=worker_id(), heartbeat_at=utcnow())
    db.add(scan)
    db.commit()
    return scan


def queue_measurement(request: Request, tasks: BackgroundTasks, scan: Scan) -> None:
    state = request.app.state
    tasks.add_task(measure_scan, state.sessions, state.blobs, state.settings, scan.id)


@router.post("/patients/{patient_id}/scans", response_model=ScanAccepted, status_code=202)
def upload_scan(request: Request, tasks: BackgroundTasks, patient: PatientDep, db: DbSession,
                file: Annotated[UploadFile, File()], pixel_mm: Annotated[float | None, Form()] = None,
                visit_on: Annotated[dt.date | None, Form()] = None) -> ScanAccepted:
    """Store a scan (any format of the measure module) and measure it in the background."""
    scan = store_scan(request, db, patient, file, pixel_mm=pixel_mm, visit_on=visit_on)
    queue_measurement(request, tasks, scan)
    return ScanAccepted(id=scan.id, status=scan.status)


@router.get("/patients/{patient_id}/scans", response_model=list[ScanPublic])
def list_scans(patient: PatientDep, db: DbSession) -> list[Scan]:
    return crud.list_scans(db, patient=patient)


def fresh_status(request: Request, db: DbSession, scan: Scan) -> Scan:
    """The scan, with a queued or running scan whose worker died turned into ``failed`` first."""
    if scan.status in ("queued", "running") and fail_dead_scans(
            db, stale_s=request.app.state.settings.scan_stale_s, scan_ids=[scan.id]):
        db.refresh(scan)
    return scan


@router.get("/scans/{scan_id}", response_model=ScanPublic)
def read_scan(request: Request, scan: ScanDep, db: DbSession) -> Scan:
    """Status ``queued|running|done|failed``; ``result`` is the measure contract when done."""
    return fresh_status(request, db, scan)


@router.get("/scans/{scan_id}/map.png", response_class=FileResponse)
def scar_map(request: Request, scan: ScanDep) -> FileResponse:
    if scan.map_sha256 is None:
        raise NotFoundError(f"scan {scan.id} has no scar map (status: {scan.status})")
    return FileResponse(request.app.state.blobs.path(scan.map_sha256, ".png"), media_type="image/png")


@router.patch("/scans/{scan_id}", response_model=ScanPublic)
def correct_scan(scan: ScanDep, body: ScanCorrection, _user: Clinician, db: DbSession) -> Scan:
    """A clinician's grade or scar-type correction, kept beside the automatic result."""
    data = body.model_dump(exclude_unset=True)
    if "type_overrides" in data and data["type_overrides"]:
        known = {str(s["id"]) for s in (scan.result or {}).get("scars", [])}
        unknown = sorted(set(data["type_overrides"]) - known)
        if unknown:
            raise InvalidParameterError(f"scan {scan.id} has no scar with id {', '.join(unknown)}")
    for key, value in data.items():
        setattr(scan, key, value)
    db.commit()
    return scan


