"""``GET /api/patients/{id}/fhir``: the full export, same permissions as the patient page, clinic isolation."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from tests.clinic.test_pages import _sign_in


def test_api_returns_the_full_bundle_for_every_role(world, client, record):
    for role in ("admin", "clinician", "staff"):
        r = client.get(f"/api/patients/{record}/fhir", headers=world.headers(role))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/fhir+json")
        assert "content-disposition" not in r.headers
        bundle = Bundle.model_validate(r.json())
        assert bundle.type == "collection"
        kinds = [type(e.resource).__name__ for e in bundle.entry]
        assert kinds.count("Procedure") == 2 and kinds.count("AdverseEvent") == 2 and "DiagnosticReport" in kinds


def test_other_clinic_and_anonymous_cannot_read(world, client, record):
    as_b = client.get(f"/api/patients/{record}/fhir", headers=world.headers("admin", "b"))
    missing = client.get("/api/patients/999999/fhir", headers=world.headers("admin", "b"))
    assert as_b.status_code == missing.status_code == 404
    assert as_b.json()["detail"].replace(str(record), "N") == missing.json()["detail"].replace("999999", "N")
    assert client.get(f"/api/patients/{record}/fhir").status_code == 401
    other = world.patient("B-1", clinic="b")
    assert client.get(f"/api/patients/{other}/fhir", headers=world.headers()).status_code == 404


def test_download_my_data_from_the_patient_page(world, client, record):
    _sign_in(client, world, role="staff")
    page = client.get(f"/patients/{record}").text
    assert f'href="/api/patients/{record}/fhir?download=1"' in page
    r = client.get(f"/api/patients/{record}/fhir?download=1")  # the session cookie of the page
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="patient-{record}-fhir.json"'
    assert r.json()["entry"][0]["resource"]["identifier"][0]["value"] == "R-1"
