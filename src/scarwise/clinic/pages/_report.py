"""Page route ``/patients/{id}/report``: the decision-aid report in the browser (PDF or HTML)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from scarwise.clinic._report import patient_report
from scarwise.clinic.deps import DbSession, PatientDep
from scarwise.clinic.pages._render import formatter
from scarwise.clinic.routes.report import report_response

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/report")
def report_page(request: Request, patient: PatientDep, db: DbSession,
                format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",  # noqa: A002 - the URL's name
                download: bool = False) -> Response:
    """The report in the page's language (``?lang=en|ar``, else the cookie or the browser's)."""
    report = patient_report(db, request.app.state.blobs, patient=patient, lang=formatter(request).lang, fmt=format)
    return report_response(report, download=download)
