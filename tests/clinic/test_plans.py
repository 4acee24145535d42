"""Treatment plans: injection plan from a real (synthetic) scan, progress, status, permissions, audit, isolation."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from scarwise.surface.synthetic import make_skin_patch

PIXEL_MM = 0.05
SCARS = [("boxcar", (4.0, 4.0), 2.5, 0.3), ("rolling", (10.5, 5.0), 5.0, 0.25), ("icepick", (5.0, 10.5), 1.0, 0.6)]


@pytest.fixture(scope="module")
def patch():
    return make_skin_patch(nx=300, ny=300, pixel_mm=PIXEL_MM, seed=11, scars=SCARS)


def _npy(z: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, z)
    return buf.getvalue()


def _scan(client, world, pid, z, visit_on="2025-01-01"):
    r = client.post(f"/api/patients/{pid}/scans", files={"file": ("cheek.npy", _npy(z))},
                    data={"pixel_mm": str(PIXEL_MM), "visit_on": visit_on}, headers=world.headers())
    assert r.status_code == 202, r.text
    scan = client.get(f"/api/scans/{r.json()['id']}", headers=world.headers()).json()
    assert scan["status"] == "done", scan["error"]
    return scan


def _practitioner(client, world):
    r = client.post("/api/practitioners", json={"name": "Dr Noura", "licence_number": "SCFHS-9",
                                                "licence_expires": "2099-01-01"}, headers=world.headers("admin"))
    return r.json()["id"]


def _truth_by_scan_id(patch, scan):
    """Scan scar id -> true scar (nearest centre)."""
    out = {}
    for s in scan["result"]["scars"]:
        true = min(patch.scars, key=lambda t: np.hypot(*(np.subtract(t.center_mm, s["centroid_mm"]))))
        out[s["id"]] = true
    return out


def test_plan_from_latest_scan_has_injection_plan_of_true_void(world, client, patch):
    pid = world.patient("PL1")
    scan = _scan(client, world, pid, patch.surface.z)
    truth = _truth_by_scan_id(patch, scan)
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "estimated_cost_sar": "4500.00",
                                                        "start_on": "2025-01-10"}, headers=world.headers())
    assert r.status_code == 201, r.text
    plan = r.json()
    # the protocol's schedule (protocols.json: prp, 3 sessions every 30 days) and the latest measured scan
    assert (plan["planned_sessions"], plan["interval_days"], plan["status"]) == (3, 30, "planned")
    assert plan["planned_dates"] == ["2025-01-10", "2025-02-09", "2025-03-11"]
    assert plan["scan_id"] == scan["id"] and plan["next_session_on"] == "2025-01-10"
    inj = plan["injection_plan"]
    assert inj["protocol"] == "prp" and inj["scan_id"] == scan["id"] and inj["protocol_verified"] is False
    assert {s["id"] for s in inj["scars"]} == set(truth)
    for s in inj["scars"]:  # void volume is the true scar volume; 2 uL per mm^3 of void (protocols.json)
        assert s["void_volume_mm3"] == pytest.approx(truth[s["id"]].volume_mm3, rel=0.15)
        assert s["volume_ul"] == pytest.approx(2.0 * s["void_volume_mm3"], rel=1e-9)
    assert inj["total_volume_ul"] == pytest.approx(sum(s["volume_ul"] for s in inj["scars"]))
    # one target scar: only it is planned
    boxcar = next(i for i, t in truth.items() if t.type == "boxcar")
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": "adsc", "target_scar_ids": [boxcar],
                                                        "planned_sessions": 2, "interval_days": 45},
                    headers=world.headers())
    assert r.status_code == 201, r.text
    assert [s["id"] for s in r.json()["injection_plan"]["scars"]] == [boxcar]
    assert r.json()["target_scar_ids"] == [boxcar] and r.json()["interval_days"] == 45
    bad = client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "target_scar_ids": [99]},
                      headers=world.headers())
    assert bad.status_code == 422 and "no scar with id 99" in bad.json()["detail"]
    # devices only: no injection plan
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": "microneedling"}, headers=world.headers())
    assert r.status_code == 201 and r.json()["injection_plan"] is None and r.json()["planned_sessions"] == 5
    listed = client.get(f"/api/patients/{pid}/plans", headers=world.headers("staff")).json()
    assert [p["protocol"] for p in listed] == ["prp", "adsc", "microneedling"]  # by start date


def test_plan_without_scan_and_validation(world, client):
    pid = world.patient("PL2", imaging=False)
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp"}, headers=world.headers())
    assert r.status_code == 201 and r.json()["scan_id"] is None and r.json()["injection_plan"] is None
    r = client.post(f"/api/patients/{pid}/plans", json={"protocol": "magic"}, headers=world.headers())
    assert r.status_code == 422 and "unknown" in r.json()["detail"]
    assert client.post(f"/api/patients/{pid}/plans", json={"protocol": "none"},
                       headers=world.headers()).status_code == 422
    assert client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "planned_sessions": 0},
                       headers=world.headers()).status_code == 422
    assert client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "target_scar_ids": [1]},
                       headers=world.headers()).status_code == 409  # targets need a measured scan
    assert client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp"},
                       headers=world.headers("staff")).status_code == 403


def test_sessions_progress_status_and_delete(world, client, app):
    pid, other, prac = world.patient("PL3"), world.patient("PL4"), _practitioner(client, world)
    h = world.headers()
    plan = client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "planned_sessions": 2,
                                                           "start_on": "2025-03-01"}, headers=h).json()

    def session(patient, day, plan_id=plan["id"]):
        return client.post(f"/api/patients/{patient}/sessions", headers=h, json={
            "practitioner_id": prac, "performed_on": day, "product": "PRP", "lot": "L-1", "plan_id": plan_id})

    assert session(other, "2025-03-01").status_code == 404  # another patient's plan
    r = session(pid, "2025-03-01")
    assert r.status_code == 201 and r.json()["plan_id"] == plan["id"]
    p = client.get(f"/api/plans/{plan['id']}", headers=world.headers("staff")).json()
    assert (p["status"], p["sessions_done"], p["next_session_on"]) == ("active", 1, "2025-03-31")
    assert [s["performed_on"] for s in p["sessions"]] == ["2025-03-01"]
    assert client.patch(f"/api/plans/{plan['id']}", json={"planned_sessions": 1, "status": "planned"},
                        headers=world.headers("staff")).status_code == 403
    assert session(pid, "2025-03-31").status_code == 201
    p = client.get(f"/api/plans/{plan['id']}", headers=h).json()
    assert (p["status"], p["sessions_done"], p["next_session_on"]) == ("completed", 2, None)
    r = session(pid, "2025-04-30")
    assert r.status_code == 409 and "completed" in r.json()["detail"]
    r = client.patch(f"/api/plans/{plan['id']}", json={"planned_sessions": 1}, headers=h)
    assert r.status_code == 409  # 2 already recorded
    r = client.patch(f"/api/plans/{plan['id']}", json={"planned_sessions": 4, "status": "active", "notes": "more"},
                     headers=h)
    assert r.status_code == 200 and r.json()["next_session_on"] == "2025-04-30"
    assert client.delete(f"/api/plans/{plan['id']}", headers=h).status_code == 409  # has sessions
    assert client.patch(f"/api/plans/{plan['id']}", json={"status": "done"}, headers=h).status_code == 422
    empty = client.post(f"/api/patients/{pid}/plans", json={"protocol": "subcision"}, headers=h).json()
    assert client.delete(f"/api/plans/{empty['id']}", headers=world.headers("staff")).status_code == 403
    assert client.delete(f"/api/plans/{empty['id']}", headers=h).status_code == 204
    assert client.get(f"/api/plans/{empty['id']}", headers=h).status_code == 404
    # the audit log holds the create, the status changes and the delete, with before and after
    audit = [a for a in client.get("/api/audit", params={"limit": 500}, headers=world.headers("admin")).json()
             if a["entity"] == "treatment_plan"]
    actions = [(a["action"], a["entity_id"]) for a in reversed(audit)]
    assert ("create", plan["id"]) in actions and ("delete", empty["id"]) in actions
    changes = [a for a in audit if a["action"] == "update" and a["entity_id"] == plan["id"]]
    assert {"before": {"status": "active"}, "after": {"status": "completed"}} in [
        {"before": a["before"], "after": a["after"]} for a in changes]
    # sessions recorded without a plan stay valid
    assert session(pid, "2025-05-01", plan_id=None).status_code == 201


def test_other_clinic_plans_are_404_like_missing(world, client):
    pid_b = world.patient("PB1", clinic="b")
    plan_b = client.post(f"/api/patients/{pid_b}/plans", json={"protocol": "prp"},
                         headers=world.headers("admin", "b")).json()["id"]
    pid_a, prac = world.patient("PA1"), _practitioner(client, world)
    h = world.headers("admin")
    for method, path, body in [("GET", f"/api/plans/{plan_b}", None), ("PATCH", f"/api/plans/{plan_b}", {"notes": "x"}),
                               ("DELETE", f"/api/plans/{plan_b}", None),
                               ("GET", f"/api/patients/{pid_b}/plans", None),
                               ("POST", f"/api/patients/{pid_b}/plans", {"protocol": "prp"}),
                               ("GET", f"/api/patients/{pid_b}/outcomes/scars", None)]:
        r = client.request(method, path, json=body, headers=h)
        missing = client.request(method, path.replace(str(plan_b), "999999").replace(str(pid_b), "999999"),
                                 json=body, headers=h)
        assert r.status_code == 404 == missing.status_code, (method, path, r.text)
        assert r.json()["detail"].replace(str(plan_b), "N").replace(str(pid_b), "N") == \
            missing.json()["detail"].replace("999999", "N")
    r = client.post(f"/api/patients/{pid_a}/sessions", headers=h, json={
        "practitioner_id": prac, "performed_on": "2025-01-01", "product": "PRP", "lot": "L", "plan_id": plan_b})
    assert r.status_code == 404 and "treatment plan" in r.json()["detail"]
    assert client.get(f"/api/patients/{pid_b}/plans", headers=world.headers("admin", "b")).json()[0]["id"] == plan_b


def test_plans_in_fhir_export_and_erasure(world, client):
    pid, prac = world.patient("PL5"), _practitioner(client, world)
    h = world.headers()
    plan = client.post(f"/api/patients/{pid}/plans", json={"protocol": "prp", "estimated_cost_sar": "1200.50",
                                                           "start_on": "2025-06-01"}, headers=h).json()
    client.post(f"/api/patients/{pid}/sessions", headers=h, json={
        "practitioner_id": prac, "performed_on": "2025-06-01", "product": "PRP", "lot": "L-9", "plan_id": plan["id"]})
    bundle = client.get(f"/api/patients/{pid}/fhir", headers=h).json()
    res = [e["resource"] for e in bundle["entry"]]
    care = [r for r in res if r["resourceType"] == "CarePlan" and r["title"] == "Treatment plan: prp"]
    assert len(care) == 1
    cp = care[0]
    assert cp["status"] == "active" and cp["intent"] == "plan" and cp["period"]["start"] == "2025-06-01"
    proc = next(r for r in res if r["resourceType"] == "Procedure")
    assert proc["basedOn"] == [{"reference": f"CarePlan/plan-{plan['id']}"}]
    from fhir.resources.R4B.careplan import CarePlan

    CarePlan.model_validate(cp)  # a valid R4(B) CarePlan on its own too
    assert json.dumps(cp).count("scheduledPeriod") == 3  # one activity per planned session
    # the bundle imports into another clinic with the plan, its status and the session linked to it; twice is once
    from scarwise.interop import import_bundle

    with world.app.state.sessions() as db:
        first = import_bundle(db, bundle, clinic_id=world.clinic_b)
        again = import_bundle(db, bundle, clinic_id=world.clinic_b)
    assert first.created["treatment_plan"] == 1 and first.not_imported == []
    assert again.matched["treatment_plan"] == 1 and "treatment_plan" not in again.created
    hb = world.headers("admin", "b")
    [copy] = client.get(f"/api/patients/{first.patient_id}/plans", headers=hb).json()
    keep = ("protocol", "planned_sessions", "interval_days", "start_on", "estimated_cost_sar", "status",
            "sessions_done", "planned_dates")
    assert {k: copy[k] for k in keep} == {k: client.get(f"/api/plans/{plan['id']}", headers=h).json()[k] for k in keep}
    assert [s["plan_id"] for s in client.get(f"/api/patients/{first.patient_id}/sessions", headers=hb).json()] == \
        [copy["id"]]
    r = client.post(f"/api/patients/{pid}/erase", headers=world.headers("admin"))
    assert r.status_code == 200 and r.json()["records"]["treatment_plan"] == 1
    assert client.get(f"/api/plans/{plan['id']}", headers=h).status_code == 404


def test_demo_patients_have_an_active_plan(fresh_settings):
    from fastapi.testclient import TestClient

    from scarwise.clinic import create_app
    from scarwise.clinic._demo import seed_demo

    app = create_app(fresh_settings)
    accounts = seed_demo(app, scans=False)
    with TestClient(app) as client:
        token = client.post("/api/auth/token", data={"username": accounts[2][1], "password": accounts[2][2]})
        h = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for p in client.get("/api/patients", headers=h).json()["items"]:
            [plan] = client.get(f"/api/patients/{p['id']}/plans", headers=h).json()
            assert (plan["protocol"], plan["status"], plan["sessions_done"], plan["planned_sessions"]) == \
                ("adsc", "active", 1, 3)
    app.state.engine.dispose()
