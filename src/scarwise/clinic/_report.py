"""A patient's decision-aid report from the clinic database (page, API and ``scarwise report --patient``).

The report is built by :func:`scarwise.report.make_report` from the patient's latest measured scan
(status ``done``), with the patient's earlier measured scans as visits, the clinic's name and the
stored scar-map PNG. A clinician's corrections (scar types, Goodman & Baron grade) are applied to
the stored measurement, and the grade's footnote says so.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scarwise.clinic import crud
from scarwise.clinic._errors import ConflictError
from scarwise.clinic._scans import BlobStore
from scarwise.clinic.models import Clinic, Patient, Scan
from scarwise.core._checks import check_choice

MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
CLINICIAN_CORRECTION = "grade corrected by the clinician (clinic record)"


@dataclass(frozen=True, slots=True)
class ReportFile:
    """Report bytes with their media type and a file name."""

    data: bytes
    media_type: str
    filename: str


def corrected_result(scan: Scan) -> dict[str, Any]:
    """The scan's stored ``measure`` JSON with the clinician's type and grade corrections applied."""
    result = copy.deepcopy(scan.result or {})
    types = scan.type_overrides or {}
    for scar in result.get("scars", []):
        if str(scar.get("id")) in types:
            scar["type"] = types[str(scar["id"])]
    if scan.grade_override is not None and isinstance(result.get("grade"), dict):
        grade = result["grade"]
        grade["goodman_baron_quantitative"] = scan.grade_override
        grade["sources"] = [*grade.get("sources", []), CLINICIAN_CORRECTION]
    return result


def measured_scans(db: Session, *, patient: Patient) -> list[Scan]:
    """The patient's measured scans (status ``done`` with a result), oldest visit first."""
    return [s for s in crud.list_scans(db, patient=patient) if s.status == "done" and s.result]


def patient_report(db: Session, blobs: BlobStore, *, patient: Patient, lang: str, fmt: str,
                   evidence: Any = None, prices: Any = None) -> ReportFile:
    """The decision-aid report of one patient (already checked to belong to the caller's clinic).

    Parameters
    ----------
    db : Session
        Clinic database session.
    blobs : BlobStore
        Where the scar-map PNGs are stored.
    patient : Patient
        The patient row.
    lang, fmt : str
        ``"en"`` or ``"ar"``; ``"html"`` or ``"pdf"``.
    evidence, prices : optional
        :class:`~scarwise.evidence.EvidenceTable` and :class:`~scarwise.report.PriceList`; the
        configured defaults (``SCARWISE_EVIDENCE_FILE``, ``SCARWISE_PRICES_FILE``) when omitted.

    Raises
    ------
    ConflictError
        The patient has no measured scan yet (HTTP 409).
    """
    from scarwise.report import LANGS, PatientInfo, Visit, make_report

    check_choice("lang", lang, LANGS)
    check_choice("format", fmt, tuple(MEDIA_TYPES))
    scans = measured_scans(db, patient=patient)
    if not scans:
        raise ConflictError(f"patient {patient.id} has no measured scan yet: upload a scan and wait until its "
                            "status is done, then ask for the report again")
    latest, earlier = scans[-1], scans[:-1]
    clinic = db.get(Clinic, patient.clinic_id)
    name = (patient.name_ar or patient.name_en) if lang == "ar" else (patient.name_en or patient.name_ar)
    info = PatientInfo(name=name or None, clinic_name=clinic.name if clinic else None, scan_date=latest.visit_on,
                       visits=tuple(Visit(date=s.visit_on, measure=corrected_result(s)) for s in earlier))
    map_png = None
    if latest.map_sha256:
        path = blobs.path(latest.map_sha256, ".png")
        if path.is_file():
            map_png = path.read_bytes()
    data = make_report(None, corrected_result(latest), lang=lang, fmt=fmt, patient=info, evidence=evidence,
                       prices=prices, map_png=map_png)
    return ReportFile(data, MEDIA_TYPES[fmt], f"patient-{patient.id}-report-{lang}.{fmt}")
