"""``GET /api/patients/{id}/report``: the patient's decision-aid report as PDF or HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from scarwise.clinic._report import ReportFile, patient_report
from scarwise.clinic.deps import DbSession, PatientDep

router = APIRouter(tags=["report"])


def report_response(report: ReportFile, *, download: bool = False) -> Response:
    """The report bytes, shown in the browser (``inline``) or saved (``attachment``)."""
    disposition = "attachment" if download else "inline"
    return Response(report.data, media_type=report.media_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{report.filename}"',
                             "Cache-Control": "no-store"})


@router.get("/patients/{patient_id}/report", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "text/html": {}}},
                       409: {"description": "the patient has no measured scan yet"}})
def patient_report_api(request: Request, patient: PatientDep, db: DbSession,
                       lang: Annotated[str, Query(pattern="^(en|ar)$")] = "en",
                       format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",  # noqa: A002 - the URL's name
                       download: bool = False) -> Response:
    """Decision-aid report from the latest measured scan (earlier measured scans as visits)."""
    report = patient_report(db, request.app.state.blobs, patient=patient, lang=lang, fmt=format)
    return report_response(report, download=download)
