"""A user of clinic A gets 404, with the body of a missing object, for every object of clinic B."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def clinic_b_objects(world, client, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr("scarwise.surface.io.read_surface", lambda path, **kw: "s")
    monkeypatch.setattr("scarwise.surface.measure.measure_surface",
                        lambda s, **kw: SimpleNamespace(to_json=lambda: {"scars": [{"id": 1}]}))
    monkeypatch.setattr("scarwise.clinic._scans._scar_map", lambda *a: None)
    hb = world.headers("admin", "b")
    pid = world.patient("B-1", clinic="b")
    consent = client.get(f"/api/patients/{pid}/consents", headers=hb).json()[0]["id"]
    scan = client.post(f"/api/patients/{pid}/scans", files={"file": ("a.x3p", b"x")}, headers=hb).json()["id"]
    prac = client.post("/api/practitioners", json={"name": "Dr B", "licence_number": "L", "licence_expires":
                                                   "2099-01-01"}, headers=hb).json()["id"]
    sess = client.post(f"/api/patients/{pid}/sessions", json={"practitioner_id": prac, "performed_on": "2025-01-01",
                                                              "product": "PRP", "lot": "LOT-B"}, headers=hb)
    assert sess.status_code == 201, sess.text
    return {"patient": pid, "consent": consent, "scan": scan, "practitioner": prac, "session": sess.json()["id"]}


def _missing_twin(path: str) -> str:
    return re.sub(r"\d+", "999999", path)


def test_every_api_object_of_other_clinic_is_404(world, client, clinic_b_objects):
    o = clinic_b_objects
    h = world.headers("admin")  # the most privileged role of clinic A
    requests = [
        ("GET", f"/api/patients/{o['patient']}", None),
        ("PATCH", f"/api/patients/{o['patient']}", {"name_en": "x"}),
        ("DELETE", f"/api/patients/{o['patient']}", None),
        ("GET", f"/api/patients/{o['patient']}/consents", None),
        ("POST", f"/api/patients/{o['patient']}/consents", {"kind": "imaging", "version": "1"}),
        ("POST", f"/api/patients/{o['patient']}/consents/{o['consent']}/withdraw", None),
        ("GET", f"/api/patients/{o['patient']}/scans", None),
        ("GET", f"/api/scans/{o['scan']}", None),
        ("GET", f"/api/scans/{o['scan']}/map.png", None),
        ("PATCH", f"/api/scans/{o['scan']}", {"grade_override": 1}),
        ("GET", f"/api/patients/{o['patient']}/sessions", None),
        ("POST", f"/api/patients/{o['patient']}/adverse-events",
         {"kind": "x", "severity": 1, "onset_on": "2025-01-01"}),
    ]
    for method, path, body in requests:
        r = client.request(method, path, json=body, headers=h)
        twin = client.request(method, _missing_twin(path), json=body, headers=h)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["detail"].replace(str(o["patient"]), "N").replace(str(o["scan"]), "N") == \
            twin.json()["detail"].replace("999999", "N"), (method, path)
    # objects of clinic B referenced from clinic A's own patient
    pa = world.patient("A-1")
    r = client.post(f"/api/patients/{pa}/sessions", json={"practitioner_id": o["practitioner"],
                    "performed_on": "2025-01-01", "product": "PRP", "lot": "L"}, headers=h)
    assert r.status_code == 404 and "practitioner" in r.json()["detail"]
    r = client.post(f"/api/patients/{pa}/adverse-events", json={"session_id": o["session"], "kind": "x",
                    "severity": 1, "onset_on": "2025-01-01"}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/patients/{pa}/consents/{o['consent']}/withdraw", headers=h)
    assert r.status_code == 404


def test_lists_show_only_own_clinic(world, client, clinic_b_objects):
    h = world.headers("admin")
    assert client.get("/api/patients", headers=h).json()["total"] == 0
    assert client.get("/api/practitioners", headers=h).json() == []
    assert client.get("/api/lots/LOT-B/patients", headers=h).json() == []
    assert client.get("/api/follow-ups", params={"until": "2030-01-01"}, headers=h).json() == []
    assert all(a["entity"] != "patient" for a in client.get("/api/audit", headers=h).json())
    hb = world.headers("admin", "b")
    assert [p["mrn"] for p in client.get("/api/lots/LOT-B/patients", headers=hb).json()] == ["B-1"]
