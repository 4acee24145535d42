"""A patient's whole record → a FHIR R4 ``Bundle`` of type ``collection`` (validated with fhir.resources).

fhir.resources ≥ 7 models R5 by default; its ``R4B`` package is used here. R4B (4.3) is
wire-compatible with R4 (4.0.1) for every resource sent (Patient, Practitioner, Organization,
Consent, Condition, BodyStructure, Procedure, Medication, Observation, DiagnosticReport,
DocumentReference, AdverseEvent, CarePlan): the same elements with the same cardinalities.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scarwise.clinic import crud
from scarwise.clinic.models import (
    AdverseEvent,
    Clinic,
    FollowUp,
    Patient,
    Practitioner,
    Scan,
    TreatmentPlan,
    TreatmentSession,
)
from scarwise.interop import _codes as C


def _ref(url: str) -> dict:
    return {"reference": url}


def _ident(clinic_id: int, kind: str, key: object) -> list[dict]:
    return [{"system": C.clinic_system(clinic_id, kind), "value": str(key)}]


def _ext(url: str, kind: str, value: Any) -> dict:
    return {"url": url, f"value{kind}": value}


def _name(text: str, lang: str) -> dict:
    return {"extension": [_ext(C.LANGUAGE_EXT, "Code", lang)], "use": "official", "text": text}


class _Builder:
    def __init__(self, clinic_id: int) -> None:
        self.clinic_id = clinic_id
        self.entries: list[dict] = []

    def add(self, kind: str, key: object, resource: dict) -> str:
        """Append ``resource`` with id ``key``; returns its relative reference ``Type/id``.

        ``kind`` names the record for readers of this code; the FHIR id is the record's id, unique per type.
        """
        rtype = resource.pop("resourceType")
        rid = str(key).replace("_", "-")
        self.entries.append({"fullUrl": f"{C.fhir_base(self.clinic_id)}/{rtype}/{rid}",
                             "resource": {"resourceType": rtype, "id": rid, **resource}})
        return f"{rtype}/{rid}"


def export_patient(db: Session, *, clinic_id: int, patient_id: int) -> dict:
    """Export one patient's record as a FHIR R4 Bundle (``collection``), validated with fhir.resources.

    Parameters
    ----------
    db : Session
        Open database session.
    clinic_id : int
        The caller's clinic; a patient of another clinic reads as missing (``NotFoundError``).
    patient_id : int
        The patient.

    Returns
    -------
    dict
        The Bundle as JSON-ready data (``resourceType`` ``Bundle``, ``type`` ``collection``).
    """
    patient = crud.get_patient(db, clinic_id=clinic_id, patient_id=patient_id)
    b = _Builder(clinic_id)
    clinic = db.get(Clinic, clinic_id)
    org = f"Organization/{clinic_id}"
    pat = b.add("patient", patient.id, _patient(patient, org))  # Patient first, then Consents: read by the app's tests
    for c in crud.list_consents(db, patient=patient):
        provision = {"period": {"start": c.signed_on.isoformat(),
                                **({"end": c.withdrawn_on.isoformat()} if c.withdrawn_on else {})}}
        b.add("consent", c.id, {
            "resourceType": "Consent", "identifier": _ident(clinic_id, "consent", c.id),
            "status": "inactive" if c.withdrawn_on else "active",
            "scope": {"coding": [{"system": C.CONSENT_SCOPE, "code": C.CONSENT_SCOPES[c.kind]}]},
            "category": [{"coding": [{"system": C.CS_CONSENT_KIND, "code": c.kind}]}],
            "patient": _ref(pat), "dateTime": c.signed_on.isoformat(), "organization": [_ref(org)],
            "policyRule": {"text": c.version}, "provision": provision})
    b.add("organization", clinic_id, {"resourceType": "Organization", "active": True, "name": clinic.name,
                                      "identifier": [{"system": C.CLINIC_SYSTEM, "value": str(clinic_id)}]})
    cond = b.add("condition", patient.id, {
        "resourceType": "Condition", "subject": _ref(pat),
        "category": [{"coding": [{"system": C.CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "clinicalStatus": {"coding": [{"system": C.CONDITION_CLINICAL, "code": "active"}]},
        "code": {"coding": C.CONDITION_CODINGS, "text": C.CONDITION_TEXT}, "bodySite": [{"coding": [C.FACE]}]})
    site = b.add("bodystructure", patient.id, {"resourceType": "BodyStructure", "patient": _ref(pat),
                                               "location": {"coding": [C.FACE]}, "description": "Facial skin"})
    sessions = list(db.scalars(select(TreatmentSession).where(TreatmentSession.patient_id == patient.id)
                               .order_by(TreatmentSession.performed_on, TreatmentSession.id)))
    pract_urls: dict[int, str] = {}
    proc_urls: dict[int, str] = {}
    plan_urls = {plan.id: b.add("plan", f"plan-{plan.id}", _treatment_plan(plan, sessions, pat, cond))
                 for plan in db.scalars(select(TreatmentPlan).where(TreatmentPlan.patient_id == patient.id)
                                        .order_by(TreatmentPlan.id))}
    for s in sessions:
        if s.practitioner_id not in pract_urls:
            p = db.get(Practitioner, s.practitioner_id)
            pract_urls[p.id] = b.add("practitioner", p.id, _practitioner(p))
        med = b.add("medication", s.id, {"resourceType": "Medication", "code": {"text": s.product},
                                         "batch": {"lotNumber": s.lot}})
        proc = _procedure(s, pat, pract_urls[s.practitioner_id], med, cond, site)
        if s.plan_id in plan_urls:
            proc["basedOn"] = [_ref(plan_urls[s.plan_id])]
        proc_urls[s.id] = b.add("procedure", s.id, proc)
    for s in sessions:
        fus = db.scalars(select(FollowUp).where(FollowUp.session_id == s.id).order_by(FollowUp.months))
        b.add("careplan", s.id, _careplan(s, list(fus), pat, cond, proc_urls[s.id]))
    for scan in crud.list_scans(db, patient=patient):
        _scan_resources(b, scan, pat)
    events = db.scalars(select(AdverseEvent).where(AdverseEvent.patient_id == patient.id)
                        .order_by(AdverseEvent.onset_on, AdverseEvent.id))
    for ae in events:
        res = {"resourceType": "AdverseEvent", "identifier": _ident(clinic_id, "adverse-event", ae.id)[0],
               "actuality": "actual", "event": {"text": ae.kind}, "subject": _ref(pat),
               "date": ae.onset_on.isoformat(),
               "seriousness": {"coding": [{"system": C.AE_SERIOUSNESS,
                                           "code": "serious" if ae.serious else "non-serious"}]},
               "severity": {"coding": [{"system": C.CS_CTCAE_GRADE, "code": str(ae.severity)}]}}
        if ae.outcome:
            res["outcome"] = {"text": ae.outcome}
        if ae.session_id is not None:
            res["suspectEntity"] = [{"instance": _ref(proc_urls[ae.session_id])}]
        b.add("adverse-event", ae.id, res)
    return validate_bundle(_prune({"resourceType": "Bundle", "type": "collection",
                                   "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                   "entry": b.entries}))


def _prune(node: Any) -> Any:
    """Drop empty strings, objects and lists: FHIR elements must have a value or be absent."""
    if isinstance(node, dict):
        out = {k: _prune(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v not in ("", {}, [], None)}
    if isinstance(node, list):
        return [v for v in (_prune(v) for v in node) if v not in ("", {}, [], None)]
    return node


def validate_bundle(bundle: dict) -> dict:
    """Parse ``bundle`` with fhir.resources (R4B models) and return it as JSON data (raises on invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(bundle).model_dump(mode="json")



def _patient(p: Patient, org: str) -> dict:
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"type": {"coding": [{"system": C.V2_0203, "code": "MR"}]},
                        "system": C.clinic_system(p.clinic_id, "mrn"), "value": p.mrn}],
        "gender": p.sex, "managingOrganization": _ref(org)}
    names = [_name(text, lang) for text, lang in ((p.name_en, "en"), (p.name_ar, "ar")) if text]
    if names:
        res["name"] = names
    if p.birth_date:
        res["birthDate"] = p.birth_date.isoformat()
    if p.contact:
        res["telecom"] = [{"system": "other", "value": p.contact}]
    ext = []
    if p.fitzpatrick is not None:
        ext.append(_ext(C.EXT_FITZPATRICK, "Integer", p.fitzpatrick))
    if p.notes:
        ext.append(_ext(C.EXT_NOTES, "String", p.notes))
    if ext:
        res["extension"] = ext
    return res


def _practitioner(p: Practitioner) -> dict:
    return {"resourceType": "Practitioner", "identifier": [{"system": C.LICENCE_SYSTEM, "value": p.licence_number}],
            "name": [{"text": p.name}],
            "qualification": [{"code": {"text": "Saudi Commission for Health Specialties licence"},
                               "identifier": [{"system": C.LICENCE_SYSTEM, "value": p.licence_number}],
                               "period": {"end": p.licence_expires.isoformat()}}]}


def _procedure(s: TreatmentSession, pat: str, pract: str, med: str, cond: str, site: str) -> dict:
    ext = [_ext(C.EXT_CELL_SOURCE, "Code", s.cell_source), _ext(C.EXT_COST, "Decimal", float(s.cost_sar))]
    for url, value in ((C.EXT_DOSE, s.dose), (C.EXT_PROTOCOL, s.protocol), (C.EXT_PLAN, s.injection_plan)):
        if value:
            ext.append(_ext(url, "String", value))
    ext.append({"url": C.TARGET_BODY_STRUCTURE, "valueReference": _ref(site)})
    return {"resourceType": "Procedure", "extension": ext, "identifier": _ident(s.clinic_id, "session", s.id),
            "status": "completed", "code": {"coding": [{"system": C.CS_PROCEDURE, "code": C.SESSION}],
                                            "text": s.protocol or s.product},
            "subject": _ref(pat), "performedDateTime": s.performed_on.isoformat(),
            "performer": [{"actor": _ref(pract)}], "reasonReference": [_ref(cond)],
            "bodySite": [{"coding": [C.FACE]}],
            "usedReference": [_ref(med)], "usedCode": [{"text": s.product}]}


def _careplan(s: TreatmentSession, fus: list[FollowUp], pat: str, cond: str, proc: str) -> dict:
    acts = []
    for f in fus:
        detail = {"kind": "Appointment", "code": {"coding": [{"system": C.CS_FOLLOW_UP, "code": f"{f.months}mo"}],
                                                   "text": f"Follow-up {f.months} months after the session"},
                  "status": "completed" if f.done_on else "scheduled", "scheduledString": f.due_on.isoformat()}
        act: dict[str, Any] = {"detail": detail}
        if f.done_on:
            act["progress"] = [{"time": f.done_on.isoformat(), "text": "done"}]
        acts.append(act)
    return {"resourceType": "CarePlan", "identifier": _ident(s.clinic_id, "careplan", s.id), "status": "active",
            "intent": "plan", "title": "Follow-up schedule", "subject": _ref(pat), "addresses": [_ref(cond)],
            "supportingInfo": [_ref(proc)], "activity": acts}


_PLAN_STATUS = {"planned": "active", "active": "active", "completed": "completed", "cancelled": "revoked"}


def _treatment_plan(plan: TreatmentPlan, sessions: list[TreatmentSession], pat: str, cond: str) -> dict:
    """A treatment plan as a CarePlan: one activity per planned session (completed as sessions are recorded)."""
    from scarwise.clinic._plans import planned_dates

    done = sum(1 for s in sessions if s.plan_id == plan.id)
    dates = planned_dates(plan)
    ext = [_ext(C.EXT_PROTOCOL, "String", plan.protocol), _ext(C.EXT_COST, "Decimal", float(plan.estimated_cost_sar))]
    if plan.injection_plan:
        ext.append(_ext(C.EXT_PLAN, "String", json.dumps(plan.injection_plan, separators=(",", ":"))))
    acts = [{"detail": {"code": {"coding": [{"system": C.CS_PROCEDURE, "code": C.SESSION}], "text": plan.protocol},
                        "status": "completed" if k < done else ("cancelled" if plan.status == "cancelled"
                                                                else "scheduled"),
                        "scheduledPeriod": {"start": day.isoformat()}}} for k, day in enumerate(dates)]
    res = {"resourceType": "CarePlan", "extension": ext, "identifier": _ident(plan.clinic_id, "plan", plan.id),
           "status": _PLAN_STATUS[plan.status], "intent": "plan", "title": f"Treatment plan: {plan.protocol}",
           "description": f"{plan.planned_sessions} session(s) every {plan.interval_days} days",
           "subject": _ref(pat), "period": {"start": dates[0].isoformat(), "end": dates[-1].isoformat()},
           "created": plan.created_at.replace(microsecond=0).isoformat() + "+00:00", "addresses": [_ref(cond)],
           "activity": acts}
    if plan.notes:
        res["note"] = [{"text": plan.notes}]
    return res


def _finite(value: Any) -> bool:
    """A number FHIR can carry (NaN and infinities cannot be written as JSON decimals)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _obs(code: str, display: str, pat: str, doc: str, when: str, **value: Any) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": C.OBS_CATEGORY, "code": "imaging"}]}],
            "code": {"coding": [{"system": C.CS_MEASURE, "code": code, "display": display}]},
            "subject": _ref(pat), "effectiveDateTime": when, "derivedFrom": [_ref(doc)], **value}


def _scan_resources(b: _Builder, scan: Scan, pat: str) -> None:
    att: dict[str, Any] = {"contentType": C.CONTENT_TYPES.get(scan.suffix, "application/octet-stream"),
                           "size": scan.size_bytes, "title": scan.filename}
    ni = "ni:///sha-256;" + base64.urlsafe_b64encode(bytes.fromhex(scan.sha256)).decode().rstrip("=")
    doc_res: dict[str, Any] = {
        "resourceType": "DocumentReference", "masterIdentifier": {"system": C.RFC3986, "value": ni},
        "identifier": _ident(scan.clinic_id, "scan", scan.id), "status": "current",
        "type": {"text": "3D skin surface scan"}, "subject": _ref(pat), "content": [{"attachment": att}],
        "context": {"period": {"start": scan.visit_on.isoformat()}}}
    if scan.pixel_mm is not None:
        doc_res["extension"] = [_ext(C.EXT_PIXEL_MM, "Decimal", scan.pixel_mm)]
    if scan.status == "failed" and scan.error:
        doc_res["description"] = f"measurement failed: {scan.error}"
    doc = b.add("scan", scan.id, doc_res)
    if scan.status != "done" or not scan.result:
        return
    when, res = scan.visit_on.isoformat(), scan.result
    results = []

    def add(code: str, display: str, key: str | None = None, **value: Any) -> None:
        obs = _obs(code, display, pat, doc, when, **value)
        results.append(_ref(b.add("observation", f"{scan.id}-{key or code}", obs)))

    for code, (unit, display) in C.ISO_PARAMS.items():
        value = (res.get("iso25178") or {}).get(code)
        if _finite(value):
            add(code, display, valueQuantity=C.ucum(float(value), unit))
    overrides = scan.type_overrides or {}
    scars = res.get("scars") or []
    counts = Counter(overrides.get(str(s.get("id")), s.get("type")) for s in scars)
    for t in C.SCAR_TYPES:
        add(f"{C.SCAR_COUNT}-{t}", f"Number of {t} scars", valueInteger=counts.get(t, 0))
    grade = res.get("grade") or {}
    for code, display in C.GRADES.items():
        if grade.get(code) is not None:
            add(code, display, valueInteger=int(grade[code]))
    if scan.grade_override is not None:
        add(C.GRADE_CLINICIAN, "Goodman & Baron quantitative score, clinician's correction",
            valueInteger=scan.grade_override, method={"text": "clinician correction"})
    for s in scars:
        comps = [{"code": {"coding": [{"system": C.CS_MEASURE, "code": "scar-type"}]},
                  "valueCodeableConcept": {"coding": [{"system": C.CS_SCAR_TYPE, "code": s.get("type")}]}}]
        fixed = overrides.get(str(s.get("id")))
        if fixed:
            comps.append({"code": {"coding": [{"system": C.CS_MEASURE, "code": "scar-type-clinician"}]},
                          "valueCodeableConcept": {"coding": [{"system": C.CS_SCAR_TYPE, "code": fixed}]}})
        centroid = s.get("centroid_mm") or [None, None]
        for code, (unit, key) in C.SCAR_COMPONENTS.items():
            value = s.get(key) if key else centroid[0 if code.endswith("x") else 1]
            if _finite(value):
                comps.append({"code": {"coding": [{"system": C.CS_MEASURE, "code": code}]},
                              "valueQuantity": C.ucum(float(value), unit)})
        ident = [{"system": C.clinic_system(scan.clinic_id, "scar"), "value": f"{scan.id}/{s.get('id')}"}]
        add(C.SCAR, "One scar", key=f"scar-{s.get('id')}", component=comps, identifier=ident)
    payload = base64.b64encode(json.dumps(res, sort_keys=True).encode()).decode()
    b.add("report", scan.id, {
        "resourceType": "DiagnosticReport", "identifier": _ident(scan.clinic_id, "report", scan.id), "status": "final",
        "category": [{"coding": [{"system": C.OBS_CATEGORY, "code": "imaging"}]}],
        "code": {"coding": [{"system": C.CS_MEASURE, "code": C.REPORT, "display": "3D acne scar measurement"}]},
        "subject": _ref(pat), "effectiveDateTime": when, "result": results,
        "presentedForm": [{"contentType": "application/json", "title": "scarwise measure result",
                           "data": payload}]})
