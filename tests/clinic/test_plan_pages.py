"""Pages of treatment plans and of outcomes by matched scar: forms with CSRF, roles, Arabic, other clinics."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from scarwise.surface.synthetic import make_skin_patch
from tests.clinic.test_pages import _sign_in


@pytest.fixture(scope="module")
def scan_bytes():
    patch = make_skin_patch(nx=240, ny=240, pixel_mm=0.05, seed=4,
                            scars=[("boxcar", (4.0, 4.0), 2.5, 0.3), ("rolling", (8.0, 8.0), 4.0, 0.25)])
    buf = io.BytesIO()
    np.save(buf, patch.surface.z)
    return buf.getvalue()


def _upload(client, world, pid, data, day):
    r = client.post(f"/api/patients/{pid}/scans", files={"file": ("cheek.npy", data)},
                    data={"pixel_mm": "0.05", "visit_on": day}, headers=world.headers())
    assert r.status_code == 202, r.text


def test_plan_form_page_and_sessions(world, client, scan_bytes):
    pid = world.patient("PP1")
    _upload(client, world, pid, scan_bytes, "2025-01-01")
    prac = client.post("/api/practitioners", json={"name": "Dr Reem", "licence_number": "L-5",
                                                   "licence_expires": "2099-01-01"}, headers=world.headers("admin"))
    csrf = _sign_in(client, world)
    page = client.get(f"/patients/{pid}").text
    assert 'id="plans"' in page and 'value="prp"' in page and "Create plan" in page
    form = {"protocol": "prp", "start_on": "2025-01-05", "estimated_cost_sar": "3000", "notes": "cheeks"}
    assert client.post(f"/patients/{pid}/plans", data={**form, "csrf": "forged"}).status_code == 403
    r = client.post(f"/patients/{pid}/plans", data={**form, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/plans/")
    plan_url = r.headers["location"]
    page = client.get(plan_url).text
    assert 'id="injection-plan"' in page and "not a prescription" in page and "SAR3,000.00" in page
    assert re.search(r"<strong>0 / 3</strong>", page) and "cheeks" in page
    r = client.post(f"/patients/{pid}/plans", data={"protocol": "prp", "target_scar_ids": "1; drop", "csrf": csrf})
    assert r.status_code == 422 and "scar ids" in r.text
    # a session recorded under the plan moves it on
    plan_id = plan_url.rsplit("/", 1)[1]
    assert f'<option value="{plan_id}">prp' in client.get(f"/patients/{pid}").text
    r = client.post(f"/patients/{pid}/sessions", data={"csrf": csrf, "practitioner_id": str(prac.json()["id"]),
                                                       "performed_on": "2025-01-05", "product": "PRP", "lot": "LOT-P",
                                                       "plan_id": plan_id})
    assert r.status_code == 200
    page = client.get(plan_url).text
    assert "<strong>1 / 3</strong>" in page and 'id="plan-status">active<' in page and "LOT-P" in page
    r = client.post(f"{plan_url}/edit", data={"csrf": csrf, "status": "cancelled", "notes": "moved abroad"})
    assert r.status_code == 200 and 'id="plan-status">cancelled<' in r.text and "moved abroad" in r.text
    assert client.post(f"{plan_url}/delete", data={"csrf": csrf}).status_code == 409  # it has a session
    ar = client.get(plan_url + "?lang=ar").text
    assert 'dir="rtl"' in ar and "خطة العلاج" in ar and "ملغاة" in ar
    # staff read the plan but get no forms and cannot write
    client.cookies.clear()
    staff_csrf = _sign_in(client, world, "staff")
    page = client.get(plan_url).text
    assert "Change plan" not in page and "<strong>1 / 3</strong>" in page
    assert client.post(f"/patients/{pid}/plans", data={"protocol": "prp", "csrf": staff_csrf}).status_code == 403
    assert client.post(f"{plan_url}/edit", data={"csrf": staff_csrf, "status": "active"}).status_code == 403


def test_outcomes_page_computes_on_demand(world, client, scan_bytes):
    pid = world.patient("PP2")
    _upload(client, world, pid, scan_bytes, "2025-01-01")
    _sign_in(client, world, "staff")
    r = client.get(f"/patients/{pid}/outcomes")
    assert r.status_code == 200 and "at least 2 measured scans" in r.text
    _upload(client, world, pid, scan_bytes, "2025-04-01")  # the same skin again: every scar matched, no change
    assert 'id="matched-outcomes"' in client.get(f"/patients/{pid}").text
    page = client.get(f"/patients/{pid}/outcomes").text
    assert 'src="data:image/png;base64,' in page and "Nothing is stored" in page
    rows = re.findall(r"<tr><td>#(\d+)</td>", page)
    api = client.get(f"/api/patients/{pid}/outcomes/scars").json()
    assert sorted(int(i) for i in rows) == sorted(s["baseline_id"] for s in api["scars"]) and len(rows) == 2
    for s in api["scars"]:  # identical scans: the same volume and depth at both visits
        assert s["volume_mm3"][1] == pytest.approx(s["volume_mm3"][0], rel=0.02)
        assert s["depth_mm"][1] == pytest.approx(s["depth_mm"][0], abs=0.005)
    assert "النتائج حسب الندبة المطابَقة" in client.get(f"/patients/{pid}/outcomes?lang=ar").text


def test_other_clinic_plan_pages_are_404(world, client):
    pid_b = world.patient("PB2", clinic="b")
    plan_b = client.post(f"/api/patients/{pid_b}/plans", json={"protocol": "prp"},
                         headers=world.headers("admin", "b")).json()["id"]
    csrf = _sign_in(client, world, "admin")
    for method, path, form in [("GET", f"/plans/{plan_b}", None), ("POST", f"/plans/{plan_b}/edit", {"notes": "x"}),
                               ("POST", f"/plans/{plan_b}/delete", {}), ("GET", f"/patients/{pid_b}/outcomes", None),
                               ("POST", f"/patients/{pid_b}/plans", {"protocol": "prp"})]:
        r = client.request(method, path, data=None if form is None else {**form, "csrf": csrf})
        assert r.status_code == 404, (method, path, r.status_code)
    missing = client.get("/plans/999999").text
    assert client.get(f"/plans/{plan_b}").text.replace(f"plan {plan_b} ", "plan N ") == \
        missing.replace("plan 999999 ", "plan N ")
