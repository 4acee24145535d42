"""A FHIR R4 ``Bundle`` (scarwise profile) → clinic records, all or nothing, idempotent.

The bundle is read completely and checked (fhir.resources validation, references, codes, clinic
identifiers) before anything is written; the writes happen in one transaction that is rolled
back on any error. Records are matched by their business identifiers (MRN, licence number, file
hash) and natural keys, so importing the same bundle twice creates nothing the second time.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from scarwise.clinic import crud
from scarwise.clinic.models import (
    AdverseEvent,
    Clinic,
    Consent,
    FollowUp,
    Patient,
    Practitioner,
    Scan,
    TreatmentSession,
)
from scarwise.interop import _codes as C
from scarwise.interop._bundle import FhirImportError, _Bundle, _check_clinic_ids, _code, _date, _ext
from scarwise.interop._observations import result_from_observations
from scarwise.interop._plans import import_plan, is_treatment_plan

_DERIVED = ("Organization", "Condition", "BodyStructure", "Medication")  # rebuilt on export, nothing to store
_HANDLED = ("Patient", "Practitioner", "Consent", "Procedure", "CarePlan", "DocumentReference", "DiagnosticReport",
            "Observation", "AdverseEvent", *_DERIVED)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the patient, counts of created and matched records, and what was not understood."""

    patient_id: int
    created: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    not_imported: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "created": dict(self.created), "matched": dict(self.matched),
                "not_imported": list(self.not_imported)}


def _bounded(value: Any, where: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= crud.MAX_ID:
        raise FhirImportError(f"{where}: {value!r} is not a whole number from 0 to {crud.MAX_ID}")
    return value


def import_bundle(db: Session, data: Any, *, clinic_id: int) -> ImportReport:
    """Import one patient's FHIR R4 Bundle into ``clinic_id`` in a single transaction (committed on success).

    Parameters
    ----------
    db : Session
        Open database session without pending changes; it is committed or rolled back here.
    data : dict
        The Bundle as parsed JSON.
    clinic_id : int
        Target clinic.

    Returns
    -------
    ImportReport
        Created and matched counts per kind, and everything that was not imported (with why).

    Raises
    ------
    FhirImportError
        Invalid FHIR, wrong references, unknown required codes, identifiers of a foreign clinic;
        nothing is written.
    """
    if not 0 < clinic_id <= crud.MAX_ID or db.get(Clinic, clinic_id) is None:
        raise FhirImportError(f"no clinic {clinic_id}; create it first with `scarwise admin create-clinic`")
    bundle = _Bundle(data)
    _check_clinic_ids(bundle)
    try:
        report = _Writer(db, bundle, clinic_id).run()
        db.commit()
    except DBAPIError as exc:  # a value the database cannot hold (an out-of-range number, ...)
        db.rollback()
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        raise FhirImportError(f"the database refused a value of the bundle ({reason}); nothing was imported") from None
    except BaseException:
        db.rollback()
        raise
    return report


class _Writer:
    def __init__(self, db: Session, bundle: _Bundle, clinic_id: int) -> None:
        self.db, self.b, self.clinic_id = db, bundle, clinic_id
        self.created: dict[str, int] = {}
        self.matched: dict[str, int] = {}
        self.skipped: list[str] = []
        self.sessions: dict[int, TreatmentSession] = {}  # id(Procedure resource) → session
        self.practitioners: dict[int, Practitioner] = {}

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.matched
        target[kind] = target.get(kind, 0) + 1

    def run(self) -> ImportReport:
        patients = self.b.of("Patient")
        if len(patients) != 1:
            raise FhirImportError(f"the bundle must hold exactly one Patient (it holds {len(patients)})")
        for _url, res in self.b.entries:
            if res["resourceType"] not in _HANDLED:
                self.skipped.append(f"{res['resourceType']}/{res.get('id', '?')}: resource type not imported")
        self.patient = self._patient(patients[0][1])
        for _url, res in self.b.of("Consent"):
            self._consent(res)
        self.plans: dict[int, Any] = {}  # id(CarePlan resource of a treatment plan) → TreatmentPlan
        for _url, res in self.b.of("CarePlan"):
            if is_treatment_plan(res):
                self._subject(res)
                plan, created = import_plan(self.db, res, patient=self.patient, skipped=self.skipped)
                if plan is not None:
                    self.count("treatment_plan", created)
                    self.plans[id(res)] = plan
        for _url, res in self.b.of("Procedure"):
            self._procedure(res)
        for _url, res in self.b.of("CarePlan"):
            if not is_treatment_plan(res):
                self._careplan(res)
        self._scans()
        for _url, res in self.b.of("AdverseEvent"):
            self._adverse_event(res)
        self.db.flush()
        return ImportReport(patient_id=self.patient.id, created=self.created, matched=self.matched,
                            not_imported=self.skipped)

    def _subject(self, res: dict, key: str = "subject") -> None:
        where = f"{res['resourceType']}/{res.get('id', '?')}.{key}"
        self.b.resolve(res.get(key), ("Patient",), where)

    def _patient(self, res: dict) -> Patient:
        mrn = next((i.get("value") for i in res.get("identifier") or []
                    if _code(i.get("type"), C.V2_0203) == "MR" or (C.parse_clinic_system(i.get("system")) or
                                                                   (0, ""))[1] == "mrn"), None)
        if not mrn or len(mrn) > 64:
            raise FhirImportError("the Patient has no medical record number (identifier of type MR, 1-64 characters)")
        gender = res.get("gender") or "unknown"
        if gender not in C.GENDERS:
            raise FhirImportError(f"Patient.gender {gender!r} is not one of {', '.join(C.GENDERS)}")
        names = {"en": "", "ar": ""}
        for n in res.get("name") or []:
            text = n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()
            lang = _ext(n, C.LANGUAGE_EXT) or ("ar" if any("\u0600" <= ch <= "\u06ff" for ch in text) else "en")
            if lang in names and not names[lang]:
                names[lang] = text[:200]
        fitz = _ext(res, C.EXT_FITZPATRICK)
        data = {"mrn": mrn, "name_en": names["en"], "name_ar": names["ar"], "sex": gender,
                "birth_date": _date(res["birthDate"], "Patient.birthDate") if res.get("birthDate") else None,
                "fitzpatrick": fitz if fitz in range(1, 7) else None,
                "contact": next((t.get("value", "") for t in res.get("telecom") or []), "")[:200],
                "notes": _ext(res, C.EXT_NOTES) or ""}
        existing = self.db.scalar(select(Patient).where(Patient.clinic_id == self.clinic_id, Patient.mrn == mrn))
        self.count("patient", existing is None)
        if existing is None:
            return crud.create_patient(self.db, clinic_id=self.clinic_id, data=data)
        same_name = (existing.name_en, existing.name_ar) == (data["name_en"], data["name_ar"])
        if existing.birth_date != data["birth_date"] or not same_name:
            raise FhirImportError(f"MRN {mrn!r} already belongs to another person in this clinic (name or birth date "
                                  "differ); import into another clinic or correct the MRN first")
        return existing  # the same person: their stored details are kept

    def _consent(self, res: dict) -> None:
        self._subject(res, "patient")
        kind = next((_code(c, C.CS_CONSENT_KIND) for c in res.get("category") or [] if _code(c, C.CS_CONSENT_KIND)),
                    None)
        if kind is None:
            scope = _code(res.get("scope"), C.CONSENT_SCOPE)
            kind = {v: k for k, v in C.CONSENT_SCOPES.items()}.get(scope or "")
        if kind not in C.CONSENT_SCOPES:
            raise FhirImportError(f"Consent/{res.get('id', '?')}: unknown consent kind; expected a category code of "
                                  f"{C.CS_CONSENT_KIND} ({', '.join(C.CONSENT_SCOPES)})")
        version = ((res.get("policyRule") or {}).get("text") or "")[:50]
        period = (res.get("provision") or {}).get("period") or {}
        signed = _date(period.get("start") or res.get("dateTime"), f"Consent/{res.get('id')}.dateTime")
        withdrawn = _date(period["end"], "Consent.provision.period.end") if period.get("end") else None
        if res.get("status") == "inactive" and withdrawn is None:
            withdrawn = signed
        row = self.db.scalar(select(Consent).where(Consent.patient_id == self.patient.id, Consent.kind == kind,
                                                   Consent.version == version, Consent.signed_on == signed))
        self.count("consent", row is None)
        if row is None:
            row = crud.create_consent(self.db, patient=self.patient, kind=kind, version=version, signed_on=signed)
        if withdrawn is not None and row.withdrawn_on is None:
            row.withdrawn_on = withdrawn

    def _practitioner(self, res: dict) -> Practitioner:
        if id(res) in self.practitioners:
            return self.practitioners[id(res)]
        licence = next((i.get("value") for i in res.get("identifier") or [] if i.get("system") == C.LICENCE_SYSTEM),
                       None)
        where = f"Practitioner/{res.get('id', '?')}"
        if not licence:
            raise FhirImportError(f"{where} has no licence identifier (system {C.LICENCE_SYSTEM})")
        row = self.db.scalar(select(Practitioner).where(Practitioner.clinic_id == self.clinic_id,
                                                        Practitioner.licence_number == licence))
        self.count("practitioner", row is None)
        if row is None:
            end = next((q.get("period", {}).get("end") for q in res.get("qualification") or []
                        if q.get("period", {}).get("end")), None)
            if end is None:
                raise FhirImportError(f"{where}: the licence has no expiry (qualification.period.end)")
            name = next((n.get("text") for n in res.get("name") or [] if n.get("text")), licence)
            row = crud.create_practitioner(self.db, clinic_id=self.clinic_id, data={
                "name": name[:200], "licence_number": licence[:64], "licence_expires": _date(end, where)})
        self.practitioners[id(res)] = row
        return row

    def _procedure(self, res: dict) -> None:
        where = f"Procedure/{res.get('id', '?')}"
        self._subject(res)
        performers = res.get("performer") or []
        if not performers:
            raise FhirImportError(f"{where} has no performer (the practitioner whose licence covers the session)")
        pract = self._practitioner(self.b.resolve(performers[0].get("actor"), ("Practitioner",), where + ".performer"))
        product, lot = None, None
        for ref in res.get("usedReference") or []:
            med = self.b.resolve(ref, ("Medication",), where + ".usedReference")
            product = (med.get("code") or {}).get("text") or product
            lot = (med.get("batch") or {}).get("lotNumber") or lot
        product = product or next((c.get("text") for c in res.get("usedCode") or [] if c.get("text")), None)
        if not product or not lot:
            raise FhirImportError(f"{where}: product and lot are needed (usedReference → Medication with "
                                  "code.text and batch.lotNumber)")
        cell = _ext(res, C.EXT_CELL_SOURCE) or "none"
        if cell not in C.CELL_SOURCES:
            raise FhirImportError(f"{where}: cell source {cell!r} is not one of {', '.join(C.CELL_SOURCES)}")
        try:
            cost = Decimal(str(_ext(res, C.EXT_COST) or 0)).quantize(Decimal("0.01"))
            if not 0 <= cost < 10**10:
                raise InvalidOperation
        except InvalidOperation:
            raise FhirImportError(f"{where}: the cost must be a number from 0 to 10^10 SAR") from None
        performed = _date(res.get("performedDateTime") or (res.get("performedPeriod") or {}).get("start"),
                          where + ".performedDateTime")
        row = self.db.scalar(select(TreatmentSession).where(
            TreatmentSession.patient_id == self.patient.id, TreatmentSession.performed_on == performed,
            TreatmentSession.lot == lot, TreatmentSession.product == product))
        self.count("session", row is None)
        if row is None:
            row = crud.create_session(self.db, patient=self.patient, data={
                "practitioner_id": pract.id, "performed_on": performed, "protocol": _ext(res, C.EXT_PROTOCOL) or "",
                "product": product[:200], "cell_source": cell, "dose": (_ext(res, C.EXT_DOSE) or "")[:120],
                "lot": lot[:64], "injection_plan": _ext(res, C.EXT_PLAN) or "", "cost_sar": cost})
        self.sessions[id(res)] = row
        for ref in res.get("basedOn") or []:  # the treatment plan it belongs to
            plan = self.plans.get(id(self.b.resolve(ref, ("CarePlan",), where + ".basedOn")))
            if plan is not None and row.plan_id is None:
                row.plan_id = plan.id

    def _session_of(self, ref: dict | None, where: str) -> TreatmentSession:
        return self.sessions[id(self.b.resolve(ref, ("Procedure",), where))]

    def _careplan(self, res: dict) -> None:
        where = f"CarePlan/{res.get('id', '?')}"
        self._subject(res)
        infos = res.get("supportingInfo") or []
        if not infos:
            self.skipped.append(f"{where}: no supportingInfo → Procedure, so no session to attach it to")
            return
        session = self._session_of(infos[0], where + ".supportingInfo")
        for act in res.get("activity") or []:
            code = _code((act.get("detail") or {}).get("code"), C.CS_FOLLOW_UP) or ""
            fu = None
            if code.endswith("mo") and code[:-2].isdigit():
                fu = self.db.scalar(select(FollowUp).where(FollowUp.session_id == session.id,
                                                           FollowUp.months == int(code[:-2])))
            if fu is None:
                self.skipped.append(f"{where}: follow-up {code or '(no code)'} is not in the clinic's schedule")
                continue
            done = next((p.get("time") for p in act.get("progress") or [] if p.get("time")), None)
            if done and fu.done_on is None:
                fu.done_on = _date(done, where + ".activity.progress.time")
                self.count("follow_up_done", True)

    def _scans(self) -> None:
        reports: dict[int, tuple[dict, list[dict]]] = {}  # id(DocumentReference) → (report, observations)
        used: set[int] = set()
        for _url, rep in self.b.of("DiagnosticReport"):
            where = f"DiagnosticReport/{rep.get('id', '?')}"
            obs = [self.b.resolve(r, ("Observation",), where + ".result") for r in rep.get("result") or []]
            docs = {id(self.b.resolve(d, ("DocumentReference",), where))
                    for o in obs for d in o.get("derivedFrom") or []}
            if len(docs) != 1:
                raise FhirImportError(f"{where}: its Observations must all derive from one scan (DocumentReference)")
            reports[docs.pop()] = (rep, obs)
            used.update(id(o) for o in obs)
        for _url, o in self.b.of("Observation"):
            if id(o) not in used:
                self.skipped.append(f"Observation/{o.get('id', '?')}: not in a DiagnosticReport of a scan")
        for _url, doc in self.b.of("DocumentReference"):
            self._scan(doc, *reports.get(id(doc), (None, [])))

    def _scan(self, doc: dict, rep: dict | None, obs: list[dict]) -> None:
        where = f"DocumentReference/{doc.get('id', '?')}"
        self._subject(doc)
        ni = (doc.get("masterIdentifier") or {}).get("value") or ""
        try:
            digest = base64.urlsafe_b64decode(ni.removeprefix("ni:///sha-256;") + "==").hex()
        except (binascii.Error, ValueError):
            digest = ""
        if not ni.startswith("ni:///sha-256;") or len(digest) != 64:
            raise FhirImportError(f"{where}: masterIdentifier must be the file's SHA-256 as an RFC 6920 "
                                  "ni:///sha-256;… URI")
        att = ((doc.get("content") or [{}])[0]).get("attachment") or {}
        filename = (att.get("title") or f"scan-{digest[:8]}")[:255]
        suffix = PurePath(filename).suffix.lower() or next(
            (s for s, t in C.CONTENT_TYPES.items() if t == att.get("contentType")), "")
        visit = _date(((doc.get("context") or {}).get("period") or {}).get("start") or doc.get("date"),
                      where + ".context.period.start")
        row = self.db.scalar(select(Scan).where(Scan.patient_id == self.patient.id, Scan.sha256 == digest,
                                                Scan.visit_on == visit))
        self.count("scan", row is None)
        if row is not None:
            return
        result, grade_override, type_overrides, skipped = (None, None, None, [])
        if rep is not None:
            result, grade_override, type_overrides, skipped = result_from_observations(rep, obs)
            self.skipped.extend(skipped)
        error = None if result else (doc.get("description") or "").removeprefix("measurement failed: ") or (
            "imported from FHIR without a measurement; upload the file again to measure it")
        pixel = _ext(doc, C.EXT_PIXEL_MM)
        self.db.add(Scan(clinic_id=self.clinic_id, patient_id=self.patient.id, filename=filename, sha256=digest,
                         suffix=suffix[:16], size_bytes=_bounded(att.get("size") or 0, where + ".size"),
                         pixel_mm=float(pixel) if pixel is not None else None, visit_on=visit,
                         status="done" if result else "failed", progress=1.0 if result else 0.0, error=error,
                         result=result, grade_override=grade_override, type_overrides=type_overrides or None,
                         finished_at=None))
        self.db.flush()

    def _adverse_event(self, res: dict) -> None:
        where = f"AdverseEvent/{res.get('id', '?')}"
        self._subject(res)
        kind = ((res.get("event") or {}).get("text") or "")[:200]
        grade = _code(res.get("severity"), C.CS_CTCAE_GRADE)
        if not kind or grade not in ("1", "2", "3", "4", "5"):
            raise FhirImportError(f"{where}: event.text and a severity grade 1-5 ({C.CS_CTCAE_GRADE}) are needed")
        serious = _code(res.get("seriousness"), C.AE_SERIOUSNESS)
        if serious not in ("serious", "non-serious"):
            raise FhirImportError(f"{where}: seriousness must be serious or non-serious ({C.AE_SERIOUSNESS})")
        onset = _date(res.get("date") or res.get("detected"), where + ".date")
        suspects = res.get("suspectEntity") or []
        session = self._session_of(suspects[0].get("instance"), where + ".suspectEntity") if suspects else None
        row = self.db.scalar(select(AdverseEvent).where(
            AdverseEvent.patient_id == self.patient.id, AdverseEvent.kind == kind, AdverseEvent.onset_on == onset))
        self.count("adverse_event", row is None)
        if row is None:
            crud.create_adverse_event(self.db, patient=self.patient, data={
                "session_id": session.id if session else None, "kind": kind, "severity": int(grade),
                "serious": serious == "serious", "onset_on": onset,
                "outcome": ((res.get("outcome") or {}).get("text") or "")[:200]})


def load_json(text: str | bytes) -> Any:
    """Parse a bundle file's text; not JSON → FhirImportError."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirImportError(f"the bundle is not JSON: {exc}") from None
