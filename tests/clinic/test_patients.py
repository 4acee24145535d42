"""``/api/patients`` and consents."""

from __future__ import annotations

import pytest


def test_requires_sign_in(client):
    r = client.get("/api/patients")
    assert r.status_code == 401 and "sign in" in r.json()["detail"]


def test_create_read_list_search(world, client):
    h = world.headers()
    pid = world.patient("MRN-7", imaging=False)
    r = client.get(f"/api/patients/{pid}", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["mrn"] == "MRN-7" and body["name_ar"] == "سارة علي" and body["birth_date"] == "1990-04-01"
    for i in range(5):
        client.post("/api/patients", json={"mrn": f"X{i}", "name_en": f"Omar {i}", "name_ar": "عمر"}, headers=h)
    r = client.get("/api/patients", params={"q": "omar", "limit": 2, "offset": 1}, headers=h)
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert client.get("/api/patients", params={"q": "سارة"}, headers=h).json()["total"] == 1
    assert client.get("/api/patients", params={"q": "mrn-7"}, headers=h).json()["total"] == 1
    assert client.get("/api/patients", params={"q": "%"}, headers=h).json()["total"] == 0  # LIKE wildcards escaped


def test_names_stored_exactly(world, client):
    h = world.headers()
    name = "  ʿAbd al-Raḥmān \u200f\U0001f600  " + "x" * 170
    r = client.post("/api/patients", json={"mrn": "E1", "name_en": name, "name_ar": "عبد الرحمن"}, headers=h)
    assert r.status_code == 201
    assert client.get(f"/api/patients/{r.json()['id']}", headers=h).json()["name_en"] == name


@pytest.mark.parametrize("body", [
    {"mrn": "A", "name_en": "a\x00b"},
    {"mrn": "A", "name_en": "x" * 201},
    {"mrn": "A", "birth_date": "1990-02-30"},
    {"mrn": "A", "sex": "robot"},
    {"mrn": ""},
    {"name_en": "no mrn"},
    {"mrn": "A", "unknown": 1},
    [1, 2],
])
def test_malformed_bodies_are_422(world, client, body):
    r = client.post("/api/patients", json=body, headers=world.headers())
    assert r.status_code == 422, r.text


def test_unparsable_body_is_422(world, client):
    h = {**world.headers(), "Content-Type": "application/json"}
    for raw in (b"{not json", b'{"mrn": "\xff\xfe"}', b"", b'{"mrn": "A", "name_en": "\\ud800"}'):
        r = client.post("/api/patients", content=raw, headers=h)
        assert r.status_code == 422, (raw, r.status_code, r.text)


def test_mrn_unique_within_clinic_only(world, client):
    world.patient("SAME")
    r = client.post("/api/patients", json={"mrn": "SAME"}, headers=world.headers())
    assert r.status_code == 409 and "already used" in r.json()["detail"]
    world.patient("SAME", clinic="b")  # another clinic may use it


def test_huge_and_missing_ids_are_404(world, client):
    h = world.headers()
    for pid in (0, 999, 2**40, 2**70):
        r = client.get(f"/api/patients/{pid}", headers=h)
        assert r.status_code in (404, 422), r.text
    assert client.get("/api/patients/999", headers=h).json() == {"detail": "no patient 999 in your clinic"}


def test_update_and_admin_only_delete(world, client):
    pid = world.patient("U1")
    r = client.patch(f"/api/patients/{pid}", json={"name_en": "New", "mrn": None}, headers=world.headers())
    assert r.status_code == 200 and r.json()["name_en"] == "New" and r.json()["mrn"] == "U1"
    r = client.delete(f"/api/patients/{pid}", headers=world.headers("staff"))
    assert r.status_code == 403
    assert client.delete(f"/api/patients/{pid}", headers=world.headers("admin")).status_code == 204
    assert client.get(f"/api/patients/{pid}", headers=world.headers()).status_code == 404


def test_consents_and_withdrawal(world, client):
    h = world.headers("staff")
    pid = world.patient("C1", imaging=False)
    r = client.post(f"/api/patients/{pid}/consents", json={"kind": "research", "version": "2024-1"}, headers=h)
    assert r.status_code == 201 and r.json()["withdrawn_on"] is None
    cid = r.json()["id"]
    assert client.post(f"/api/patients/{pid}/consents", json={"kind": "photos", "version": "1"},
                       headers=h).status_code == 422
    r = client.post(f"/api/patients/{pid}/consents/{cid}/withdraw", headers=h)
    assert r.status_code == 200 and r.json()["withdrawn_on"] is not None
    assert [c["kind"] for c in client.get(f"/api/patients/{pid}/consents", headers=h).json()] == ["research"]


GARBAGE = [None, 0, "x", [], {"a": {"b": [1, 2]}}, {"mrn": 1e308}, {"mrn": ["a"]}, {"kind": None, "version": 5},
           {"practitioner_id": 2**80, "performed_on": "0000-00-00"}, {"severity": "high", "onset_on": 5},
           {"grade_override": -1}, {"type_overrides": {"x": "y"}}, {"licence_expires": "tomorrow"}]


def test_garbage_bodies_never_5xx(world, client):
    pid = world.patient("G1")
    h = world.headers("admin")
    endpoints = [("POST", "/api/patients"), ("PATCH", f"/api/patients/{pid}"),
                 ("POST", f"/api/patients/{pid}/consents"), ("POST", f"/api/patients/{pid}/sessions"),
                 ("POST", f"/api/patients/{pid}/adverse-events"), ("POST", "/api/practitioners"),
                 ("PATCH", "/api/scans/1")]
    for method, path in endpoints:
        for body in GARBAGE:
            r = client.request(method, path, json=body, headers=h)
            assert r.status_code in (404, 409, 422), (method, path, body, r.status_code, r.text)
        r = client.request(method, path, content=b"\xff\x00garbage", headers={**h, "Content-Type": "application/json"})
        assert r.status_code in (404, 422), (method, path, r.status_code)
    r = client.post(f"/api/patients/{pid}/scans", content=b"--x\r\nnot multipart", headers={
        **h, "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 422, r.text


def test_fhir_bundle_minimal(world, client):
    pid = world.patient("F1")
    r = client.get(f"/api/patients/{pid}/fhir", headers=world.headers())
    assert r.status_code == 200
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    patient = bundle["entry"][0]["resource"]
    assert patient["resourceType"] == "Patient" and patient["gender"] == "female"
    assert patient["birthDate"] == "1990-04-01" and patient["identifier"][0]["value"] == "F1"
    assert [n["text"] for n in patient["name"]] == ["Sara Ali", "سارة علي"]
    consent = bundle["entry"][1]["resource"]
    assert consent["resourceType"] == "Consent" and consent["status"] == "active"
    assert consent["patient"]["reference"] == f"Patient/{pid}"
    other = world.patient("F2", clinic="b")
    assert client.get(f"/api/patients/{other}/fhir", headers=world.headers()).status_code == 404
