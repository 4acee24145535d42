"""Practitioners, sessions (licence check, follow-ups), adverse events, lot recall."""

from __future__ import annotations

import datetime as dt

from scarwise.clinic.crud import add_months


def _practitioner(client, world, expires="2099-12-31"):
    r = client.post("/api/practitioners", json={"name": "Dr Layla", "licence_number": "SCFHS-123",
                                                "licence_expires": expires}, headers=world.headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_add_months_clips_to_month_end():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)
    assert add_months(dt.date(2025, 3, 10), 12) == dt.date(2026, 3, 10)


def test_session_schedules_follow_ups(world, client):
    pid, prac = world.patient("T1"), _practitioner(client, world)
    body = {"practitioner_id": prac, "performed_on": "2025-01-31", "product": "Autologous fibroblasts",
            "cell_source": "autologous", "dose": "2 mL", "lot": "LOT-42", "cost_sar": "3500.50"}
    r = client.post(f"/api/patients/{pid}/sessions", json=body, headers=world.headers())
    assert r.status_code == 201 and r.json()["cost_sar"] in ("3500.50", 3500.5)
    due = client.get("/api/follow-ups", params={"until": "2030-01-01"}, headers=world.headers("staff")).json()
    assert [(f["months"], f["due_on"]) for f in due] == [(1, "2025-02-28"), (3, "2025-04-30"), (6, "2025-07-31"),
                                                         (12, "2026-01-31")]
    overdue_today = client.get("/api/follow-ups", headers=world.headers()).json()
    assert all(dt.date.fromisoformat(f["due_on"]) <= dt.date.today() for f in overdue_today)


def test_expired_licence_blocks_sessions(world, client):
    pid, prac = world.patient("T2"), _practitioner(client, world, expires="2024-06-30")
    body = {"practitioner_id": prac, "performed_on": "2025-01-01", "product": "PRP", "lot": "L1"}
    r = client.post(f"/api/patients/{pid}/sessions", json=body, headers=world.headers())
    assert r.status_code == 409 and "expired on 2024-06-30" in r.json()["detail"]
    assert client.post(f"/api/patients/{pid}/sessions", json={**body, "performed_on": "2024-06-30"},
                       headers=world.headers()).status_code == 201  # valid on the day it was performed


def test_adverse_events_and_lot_recall(world, client):
    p1, p2, prac = world.patient("T3"), world.patient("T4"), _practitioner(client, world)
    h = world.headers()
    s1 = client.post(f"/api/patients/{p1}/sessions", json={"practitioner_id": prac, "performed_on": "2025-02-01",
                                                           "product": "Exosomes", "lot": "X-9"}, headers=h).json()
    client.post(f"/api/patients/{p2}/sessions", json={"practitioner_id": prac, "performed_on": "2025-02-02",
                                                      "product": "Exosomes", "lot": "Y-1"}, headers=h)
    r = client.post(f"/api/patients/{p1}/adverse-events", json={"session_id": s1["id"], "kind": "nodule",
                    "severity": 2, "serious": False, "onset_on": "2025-02-10"}, headers=h)
    assert r.status_code == 201
    assert client.post(f"/api/patients/{p2}/adverse-events", json={"session_id": s1["id"], "kind": "x",
                       "severity": 1, "onset_on": "2025-02-10"}, headers=h).status_code == 404  # not p2's session
    assert client.post(f"/api/patients/{p1}/adverse-events", json={"kind": "x", "severity": 6,
                       "onset_on": "2025-02-10"}, headers=h).status_code == 422
    assert [a["kind"] for a in client.get("/api/adverse-events", headers=h).json()] == ["nodule"]
    assert [p["mrn"] for p in client.get("/api/lots/X-9/patients", headers=h).json()] == ["T3"]


def test_scan_corrections_kept_beside_result(world, client, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr("scarwise.surface.io.read_surface", lambda path, **kw: "s")
    monkeypatch.setattr("scarwise.surface.measure.measure_surface", lambda s, **kw: SimpleNamespace(
        to_json=lambda: {"scars": [{"id": 1, "type": "icepick"}], "grade": {"goodman_baron_quantitative": 4}}))
    monkeypatch.setattr("scarwise.clinic._scans._scar_map", lambda *a: None)
    pid = world.patient("T5")
    r = client.post(f"/api/patients/{pid}/scans", files={"file": ("a.x3p", b"x")}, headers=world.headers())
    sid = r.json()["id"]
    r = client.patch(f"/api/scans/{sid}", json={"grade_override": 2, "type_overrides": {"1": "boxcar"}},
                     headers=world.headers())
    assert r.status_code == 200
    body = r.json()
    assert body["grade_override"] == 2 and body["type_overrides"] == {"1": "boxcar"}
    assert body["result"]["scars"][0]["type"] == "icepick"  # the automatic result is kept
    assert client.patch(f"/api/scans/{sid}", json={"type_overrides": {"7": "boxcar"}},
                        headers=world.headers()).status_code == 422
    r = client.patch(f"/api/scans/{sid}", json={"grade_override": 1}, headers=world.headers("staff"))
    assert r.status_code == 403


def test_deleting_a_patient_removes_their_records(world, client):
    pid, prac = world.patient("T6"), _practitioner(client, world)
    h = world.headers()
    s = client.post(f"/api/patients/{pid}/sessions", json={"practitioner_id": prac, "performed_on": "2025-03-01",
                                                           "product": "PRP", "lot": "Z-1"}, headers=h).json()
    client.post(f"/api/patients/{pid}/adverse-events", json={"session_id": s["id"], "kind": "bruise", "severity": 1,
                                                             "onset_on": "2025-03-02"}, headers=h)
    assert client.delete(f"/api/patients/{pid}", headers=world.headers("admin")).status_code == 204
    assert client.get("/api/adverse-events", headers=h).json() == []
    assert client.get("/api/lots/Z-1/patients", headers=h).json() == []
    assert client.get("/api/follow-ups", params={"until": "2030-01-01"}, headers=h).json() == []
