"""Export → import into an empty clinic → export: the same bundle up to ids and timestamps."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.bundle import Bundle

from scarwise.clinic import crud
from scarwise.interop import FhirImportError, export_patient, import_bundle
from tests.interop.conftest import RESULT


def _export(app, clinic_id: int, patient_id: int) -> dict:
    with app.state.sessions() as db:
        return export_patient(db, clinic_id=clinic_id, patient_id=patient_id)


def _import(app, bundle: dict, clinic_id: int):
    with app.state.sessions() as db:
        return import_bundle(db, copy.deepcopy(bundle), clinic_id=clinic_id)


def normalise(bundle: dict) -> dict:
    """Replace resource ids, references and clinic-scoped identifier values by positions; drop the timestamp."""
    data = copy.deepcopy({k: v for k, v in bundle.items() if k != "timestamp"})
    pos = {}
    for i, e in enumerate(data["entry"]):
        res = e["resource"]
        pos[e["fullUrl"]] = pos[f"{res['resourceType']}/{res['id']}"] = f"#{i}"
        e["fullUrl"], res["id"] = f"#{i}", f"r{i}"

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                node["reference"] = pos[node["reference"]]
            if str(node.get("system", "")).startswith("urn:scarwise:clinic"):
                kind = node["system"].rsplit(":", 1)[-1]
                node["system"] = f"urn:scarwise:clinic:N:{kind}"
                if kind != "mrn":
                    node["value"] = "ID"
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    for e in data["entry"]:
        if e["resource"]["resourceType"] == "Organization":
            e["resource"]["identifier"][0]["value"], e["resource"]["name"] = "ID", "CLINIC"
    return data


def _count_rows(app) -> dict:
    from sqlalchemy import func, select

    from scarwise.clinic.models import Base

    with app.state.sessions() as db:
        return {t.name: db.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
                if t.name not in ("audit_log", "login_failure")}


def test_every_resource_validates_and_all_kinds_present(world, record):
    bundle = _export(world.app, world.clinic_a, record)
    parsed = Bundle.model_validate(bundle)  # every entry is parsed into its resource model
    kinds = {type(e.resource).__name__ for e in parsed.entry}
    assert kinds == {"Organization", "Patient", "Condition", "BodyStructure", "Consent", "Practitioner", "Medication",
                     "Procedure", "CarePlan", "DocumentReference", "Observation", "DiagnosticReport", "AdverseEvent"}
    res = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in res if r["resourceType"] == "Patient")
    assert [(n["text"], n["extension"][0]["valueCode"]) for n in patient["name"]] == [("Sara Ali", "en"),
                                                                                      ("سارة علي", "ar")]
    sa = next(r for r in res if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "Sa")
    assert sa["valueQuantity"] == {"value": 41.5, "unit": "um", "system": "http://unitsofmeasure.org", "code": "um"}
    counts = {r["code"]["coding"][0]["code"]: r["valueInteger"] for r in res
              if r["resourceType"] == "Observation" and "valueInteger" in r}
    # scar 2 (boxcar) was corrected to rolling by the clinician: counts follow the correction
    assert counts["scar-count-icepick"] == 1 and counts["scar-count-boxcar"] == 0 and counts["scar-count-rolling"] == 2
    assert counts["goodman_baron_quantitative"] == 9 and counts["goodman_baron_quantitative_clinician"] == 10
    doc = next(r for r in res if r["resourceType"] == "DocumentReference" and r["content"][0]["attachment"]
               ["title"] == "cheek.x3p")
    assert doc["content"][0]["attachment"]["size"] == 12345
    import base64
    digest = base64.urlsafe_b64decode(doc["masterIdentifier"]["value"].split(";")[1] + "==").hex()
    assert digest == "ab" * 32
    report = next(r for r in res if r["resourceType"] == "DiagnosticReport")
    assert len(report["result"]) == 9 + 4 + 3 + 1 + 3  # ISO, counts, grades, clinician grade, scars
    proc = next(r for r in res if r["resourceType"] == "Procedure")
    med = next(r for r in res if f"{r['resourceType']}/{r['id']}" == proc["usedReference"][0]["reference"])
    assert med["batch"]["lotNumber"] == "LOT-7" and med["code"]["text"] == "PRP kit A"
    careplan = next(r for r in res if r["resourceType"] == "CarePlan")
    assert [a["detail"]["status"] for a in careplan["activity"]] == ["completed", "scheduled", "scheduled", "scheduled"]


def test_round_trip_into_empty_clinic_and_idempotent(world, record):
    first = _export(world.app, world.clinic_a, record)
    report = _import(world.app, first, world.clinic_b)
    assert report.created == {"patient": 1, "consent": 3, "practitioner": 1, "session": 2, "follow_up_done": 1,
                              "scan": 2, "adverse_event": 2}
    assert report.not_imported == []
    second = _export(world.app, world.clinic_b, report.patient_id)
    assert normalise(second) == normalise(first)
    with world.app.state.sessions() as db:
        scans = crud.list_scans(db, patient=crud.get_patient(db, clinic_id=world.clinic_b,
                                                            patient_id=report.patient_id))
        assert scans[0].result == RESULT and scans[0].type_overrides == {"2": "rolling"}
        assert scans[1].status == "failed" and scans[1].error == "no pixel size"
    rows = _count_rows(world.app)
    again = _import(world.app, first, world.clinic_b)
    assert again.created == {} and again.patient_id == report.patient_id
    assert again.matched["session"] == 2
    assert _count_rows(world.app) == rows
    assert normalise(_export(world.app, world.clinic_b, report.patient_id)) == normalise(first)


def test_observations_alone_rebuild_the_measurement(world, record):
    """A bundle from another system in the same profile, without the JSON attachment."""
    bundle = _export(world.app, world.clinic_a, record)
    for e in bundle["entry"]:
        e["resource"].pop("presentedForm", None)
    report = _import(world.app, bundle, world.clinic_b)
    with world.app.state.sessions() as db:
        scan = crud.list_scans(db, patient=crud.get_patient(db, clinic_id=world.clinic_b,
                                                           patient_id=report.patient_id))[0]
    assert scan.result["iso25178"] == RESULT["iso25178"]
    assert scan.result["scars"] == RESULT["scars"]
    assert {k: scan.result["grade"][k] for k in ("goodman_baron_quantitative", "goodman_baron_qualitative", "ecca")} \
        == {"goodman_baron_quantitative": 9, "goodman_baron_qualitative": 3, "ecca": 45}
    assert scan.grade_override == 10 and scan.type_overrides == {"2": "rolling"}


def _entry(bundle: dict, kind: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


@pytest.mark.parametrize("breakage, message", [
    (lambda b: _entry(b, "Procedure")["performer"][0]["actor"].update(reference="urn:uuid:nowhere"),
     "points to nothing"),
    (lambda b: _entry(b, "AdverseEvent")["subject"].update(reference=f"Organization/{_entry(b, 'Organization')['id']}"),
     "expected Patient"),
    (lambda b: _entry(b, "Consent")["identifier"][0].update(system="urn:scarwise:clinic:999:consent"), "clinic 999"),
    (lambda b: _entry(b, "Consent")["category"][0]["coding"][0].update(code="marketing"), "unknown consent kind"),
    (lambda b: _entry(b, "Patient").update(gender="robot"), "gender"),
    (lambda b: _entry(b, "AdverseEvent")["severity"]["coding"][0].update(code="9"), "severity grade"),
    (lambda b: _entry(b, "Patient").update(favourite_colour="blue"), "not valid FHIR"),
    (lambda b: b["entry"].append(copy.deepcopy(b["entry"][1])), "appears twice"),
    (lambda b: _entry(b, "Observation")["derivedFrom"][0].update(reference="DocumentReference/404"),
     "points to nothing"),
])
def test_bad_bundles_import_nothing(world, record, breakage, message):
    bundle = _export(world.app, world.clinic_a, record)
    # the adverse events come last: a late error must roll back everything written before it
    breakage(bundle)
    before = _count_rows(world.app)
    with pytest.raises(FhirImportError, match=message):
        _import(world.app, bundle, world.clinic_b)
    assert _count_rows(world.app) == before


def test_expired_licence_rolls_back(world, record):
    bundle = _export(world.app, world.clinic_a, record)
    _entry(bundle, "Practitioner")["qualification"][0]["period"]["end"] = "2024-12-31"
    before = _count_rows(world.app)
    from scarwise.core.errors import ScarwiseError
    with pytest.raises(ScarwiseError, match="expired"):
        _import(world.app, bundle, world.clinic_b)
    assert _count_rows(world.app) == before


def test_unknown_things_are_reported_not_dropped(world, record):
    bundle = _export(world.app, world.clinic_a, record)
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    obs["code"]["coding"][0]["code"] = "Str"  # texture aspect ratio: not in this profile
    bundle["entry"].append({"fullUrl": "urn:uuid:0b0e7d5c-0000-4000-8000-000000000001",
                            "resource": {"resourceType": "Immunization", "status": "completed",
                                         "vaccineCode": {"text": "flu"}, "occurrenceDateTime": "2025-01-01",
                                         "patient": {"reference": bundle["entry"][0]["fullUrl"]}}})
    report = _import(world.app, bundle, world.clinic_b)
    assert any("unknown code" in s and "Str" in s for s in report.not_imported)
    assert any(s.startswith("Immunization/") for s in report.not_imported)
    assert report.created["scan"] == 2


def test_mrn_of_another_person_is_refused(world, record):
    bundle = _export(world.app, world.clinic_a, record)
    with world.app.state.sessions() as db:
        crud.create_patient(db, clinic_id=world.clinic_b, data={"mrn": "R-1", "name_en": "Someone Else"})
        db.commit()
    before = _count_rows(world.app)
    with pytest.raises(FhirImportError, match="another person"):
        _import(world.app, bundle, world.clinic_b)
    assert _count_rows(world.app) == before


def test_non_finite_numbers_are_left_out(world, record, backend):
    from scarwise.clinic.models import Scan

    if backend == "postgres":
        pytest.skip("PostgreSQL's json type cannot store NaN, so such a result only exists on SQLite")

    with world.app.state.sessions() as db:
        scan = db.query(Scan).filter(Scan.patient_id == record, Scan.status == "done").one()
        scan.result = {**RESULT, "iso25178": {**RESULT["iso25178"], "Ssk": float("nan")}}
        db.commit()
    bundle = _export(world.app, world.clinic_a, record)
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "Observation"]
    assert "Sku" in codes and "Ssk" not in codes


def test_docs_list_every_code():
    from pathlib import Path

    from scarwise.interop import _codes as C

    text = (Path(__file__).parents[2] / "docs" / "fhir.md").read_text(encoding="utf-8")
    for code in sorted(C.MEASURE_CODES | set(C.SCAR_COMPONENTS) | set(C.SCAR_TYPES)):
        assert f"`{code}`" in text, code
    for system in (C.CS_MEASURE, C.CS_SCAR_TYPE, C.CS_CONSENT_KIND, C.CS_CTCAE_GRADE, C.CS_FOLLOW_UP, C.LICENCE_SYSTEM):
        assert system in text, system


def test_bundle_with_uuid_full_urls_from_another_system(world, record):
    """Same profile, but urn:uuid fullUrls and absolute references, as many FHIR servers write them."""
    import uuid

    bundle = _export(world.app, world.clinic_a, record)
    new = {}
    for e in bundle["entry"]:
        res = e["resource"]
        new[f"{res['resourceType']}/{res['id']}"] = e["fullUrl"] = f"urn:uuid:{uuid.uuid4()}"
        del res["id"]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                node["reference"] = new[node["reference"]]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(bundle)
    report = _import(world.app, bundle, world.clinic_b)
    assert report.created["session"] == 2 and report.created["scan"] == 2 and report.created["adverse_event"] == 2
    assert report.not_imported == []
    again = _export(world.app, world.clinic_b, report.patient_id)
    assert normalise(again) == normalise(_export(world.app, world.clinic_a, record))


def test_out_of_range_numbers_are_clear_errors(world, record):
    bundle = _export(world.app, world.clinic_a, record)
    grade = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
                 and e["resource"]["code"]["coding"][0]["code"] == "goodman_baron_quantitative_clinician")
    grade["valueInteger"] = 2**40  # FHIR integers are 32-bit: the parser refuses it
    before = _count_rows(world.app)
    with pytest.raises(FhirImportError, match="not valid FHIR R4.*valueInteger"):
        _import(world.app, bundle, world.clinic_b)
    bundle = _export(world.app, world.clinic_a, record)
    _entry(bundle, "DocumentReference")["content"][0]["attachment"]["size"] = 2**31  # unsignedInt but > our column
    with pytest.raises(FhirImportError, match="size"):
        _import(world.app, bundle, world.clinic_b)
    with world.app.state.sessions() as db, pytest.raises(FhirImportError, match="no clinic"):
        import_bundle(db, bundle, clinic_id=2**40)
    assert _count_rows(world.app) == before


def test_empty_texts_are_left_out_not_sent_empty(world, record):
    import datetime as dt

    from scarwise.clinic.models import Consent, Practitioner

    with world.app.state.sessions() as db:
        db.add(Consent(clinic_id=world.clinic_a, patient_id=record, kind="research", version="",
                       signed_on=dt.date(2025, 7, 1)))
        db.query(Practitioner).update({"name": ""})
        db.commit()
    bundle = _export(world.app, world.clinic_a, record)  # validates: FHIR forbids empty strings
    consent = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"][-1]
    assert "policyRule" not in consent and "name" not in _entry(bundle, "Practitioner")
    report = _import(world.app, bundle, world.clinic_b)
    assert report.created["consent"] == 4
