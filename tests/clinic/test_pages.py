"""Server-rendered pages: sign-in with CSRF, patients, scans, sessions, Arabic RTL, isolation, audit."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.clinic.conftest import PASSWORD

TEMPLATES = Path(__file__).parents[2] / "src" / "scarwise" / "clinic" / "templates"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _sign_in(client, world, role="clinician", clinic="a"):
    cid = world.clinic_a if clinic == "a" else world.clinic_b
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"email": world.email(cid, role), "password": PASSWORD, "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients"
    return _csrf(client.get("/patients").text)


def test_pages_need_sign_in(client):
    r = client.get("/patients", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_login_needs_csrf_and_right_password(world, client):
    r = client.post("/login", data={"email": world.email(world.clinic_a, "staff"), "password": PASSWORD, "csrf": "x"})
    assert r.status_code == 403 and "reload the page" in r.text
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"email": world.email(world.clinic_a, "staff"), "password": "no", "csrf": token})
    assert r.status_code == 401 and "wrong email or password" in r.text
    cookie = client.cookies  # the session cookie is HttpOnly and SameSite=Lax
    _sign_in(client, world, "staff")
    set_cookie = [h for h in client.post("/login", data={"email": world.email(world.clinic_a, "staff"),
                  "password": PASSWORD, "csrf": token}, follow_redirects=False).headers.get_list("set-cookie")
                  if h.startswith("scarwise_session=")][0]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert cookie is not None


def test_create_search_and_page_patients(world, client, app, monkeypatch):
    monkeypatch.setattr(app.state.settings, "page_size", 2)
    csrf = _sign_in(client, world)
    for i in range(3):
        r = client.post("/patients", data={"csrf": csrf, "mrn": f"P{i}", "name_en": f"Huda {i}", "name_ar": "هدى",
                                           "sex": "female", "birth_date": "1995-05-05", "fitzpatrick": "4"},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/patients/")
    page1 = client.get("/patients").text
    assert "P2" in page1 and "P1" in page1 and "P0" not in page1 and "/ 2" in page1
    assert "P0" in client.get("/patients?page=2").text
    found = client.get("/patients", params={"q": "huda 1"}).text
    assert "P1" in found and "P2" not in found
    r = client.post("/patients", data={"csrf": csrf, "mrn": "P9", "birth_date": "1995-13-01"})
    assert r.status_code == 422 and "birth_date" in r.text


def test_scan_upload_status_and_corrections(world, client, monkeypatch):
    result = {"surface": {"nx": 2, "ny": 2, "dx_mm": 0.1, "dy_mm": 0.1}, "iso25178": {"Sa": 12.5, "Sq": 15.0},
              "scars": [{"id": 1, "type": "icepick", "width_mm": 0.6, "depth_mm": 0.31, "area_mm2": 0.28,
                         "volume_mm3": 0.04}],
              "grade": {"goodman_baron_quantitative": 6, "ecca": 15, "inputs_needed": ["palpation"]}}
    monkeypatch.setattr("scarwise.surface.io.read_surface", lambda path, **kw: "s")
    monkeypatch.setattr("scarwise.surface.measure.measure_surface",
                        lambda s, **kw: SimpleNamespace(to_json=lambda: result))
    monkeypatch.setattr("scarwise.clinic._scans._scar_map", lambda *a: None)
    pid = world.patient("SC1", imaging=False)
    csrf = _sign_in(client, world)
    assert "No imaging consent" in client.get(f"/patients/{pid}").text
    r = client.post(f"/patients/{pid}/consents", data={"csrf": csrf, "kind": "imaging", "version": "v2"})
    assert r.status_code == 200 and "v2" in r.text and "Upload scan" in r.text
    r = client.post(f"/patients/{pid}/scans", data={"csrf": csrf, "pixel_mm": "0.02"},
                    files={"file": ("cheek.x3p", b"data")}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "done" in page and "12.5" in page and "palpation" in page and "icepick" in page
    r = client.post(r.headers["location"] + "/correct", data={"csrf": csrf, "scar_id": "1", "scar_type": "boxcar",
                                                              "grade_override": "5"})
    assert r.status_code == 200 and "boxcar" in r.text and "corrected" in r.text
    assert "Outcomes over time" in client.get(f"/patients/{pid}").text
    r = client.post(f"/patients/{pid}/scans", data={"csrf": csrf}, files={"file": ("x.jpg", b"data")})
    assert r.status_code == 415


def test_session_licence_follow_ups_and_safety(world, client):
    h = world.headers("admin")
    ok = client.post("/api/practitioners", json={"name": "Dr Ok", "licence_number": "L-1",
                                                 "licence_expires": "2099-01-01"}, headers=h).json()["id"]
    old = client.post("/api/practitioners", json={"name": "Dr Old", "licence_number": "L-2",
                                                  "licence_expires": "2020-01-01"}, headers=h).json()["id"]
    pid = world.patient("SE1")
    csrf = _sign_in(client, world)
    form = {"csrf": csrf, "performed_on": "2025-01-15", "product": "PRP", "lot": "LOT-77", "cost_sar": "4500"}
    r = client.post(f"/patients/{pid}/sessions", data={**form, "practitioner_id": str(old)})
    assert r.status_code == 409 and "expired" in r.text
    r = client.post(f"/patients/{pid}/sessions", data={**form, "practitioner_id": str(ok)})
    assert r.status_code == 200 and "LOT-77" in r.text and "SAR4,500.00" in r.text
    sid = client.get(f"/api/patients/{pid}/sessions", headers=world.headers()).json()[0]["id"]
    r = client.post(f"/patients/{pid}/adverse-events", data={"csrf": csrf, "kind": "swelling", "severity": "2",
                                                             "onset_on": "2025-01-16", "session_id": str(sid)})
    assert r.status_code == 200 and "swelling" in r.text
    assert "2025" in client.get("/follow-ups").text  # 1-month follow-up (Feb 2025) is overdue
    safety = client.get("/safety", params={"lot": "LOT-77"}).text
    assert "swelling" in safety and "SE1" in safety
    ar = client.get(f"/patients/{pid}?lang=ar").text
    assert "ر.س" in ar


def test_arabic_pages_are_rtl_and_translated(world, client):
    _sign_in(client, world)
    r = client.get("/patients?lang=ar")
    assert 'dir="rtl"' in r.text and 'lang="ar"' in r.text and "المرضى" in r.text
    assert 'dir="rtl"' in client.get("/patients").text  # remembered by cookie
    assert 'dir="ltr"' in client.get("/patients?lang=en").text


def test_every_template_string_has_an_arabic_translation():
    from scarwise.clinic._i18n import catalogue

    ar = catalogue("ar")
    ids = {m for f in TEMPLATES.glob("*.html") for m in re.findall(r'_\("([^"]+)"\)', f.read_text())}
    assert ids and not sorted(ids - set(ar))


def test_other_clinic_pages_are_404_like_missing(world, client):
    pid_b = world.patient("B-9", clinic="b")
    _sign_in(client, world, "admin")
    r = client.get(f"/patients/{pid_b}")
    missing = client.get("/patients/999999")
    assert r.status_code == 404 and missing.status_code == 404
    assert f"no patient {pid_b} in your clinic" in r.text
    assert r.text.replace(f"patient {pid_b} ", "patient N ") == missing.text.replace("patient 999999 ", "patient N ")


def test_audit_page_admin_only(world, client):
    world.patient("AU9")
    _sign_in(client, world, "staff")
    assert client.get("/audit").status_code == 403
    client.cookies.clear()
    _sign_in(client, world, "admin")
    page = client.get("/audit").text
    assert "AU9" in page and world.email(world.clinic_a, "clinician") in page


def test_session_cookie_cannot_write_through_api(world, client):
    _sign_in(client, world)
    assert client.get("/api/patients").status_code == 200  # reads are fine (scan progress polling)
    r = client.post("/api/patients", json={"mrn": "CSRF"})
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/patients", "/follow-ups", "/practitioners"])
def test_logout_everywhere_ends_page_sessions(world, client, path):
    csrf = _sign_in(client, world, "staff")
    assert client.get(path).status_code == 200
    assert client.post("/logout-everywhere", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_every_page_object_of_other_clinic_is_404(world, client, monkeypatch):
    monkeypatch.setattr("scarwise.surface.io.read_surface", lambda path, **kw: "s")
    monkeypatch.setattr("scarwise.surface.measure.measure_surface",
                        lambda s, **kw: SimpleNamespace(to_json=lambda: {"scars": [{"id": 1}], "grade": {}}))
    monkeypatch.setattr("scarwise.clinic._scans._scar_map", lambda *a: None)
    hb = world.headers("admin", "b")
    pid = world.patient("B-1", clinic="b")
    consent = client.get(f"/api/patients/{pid}/consents", headers=hb).json()[0]["id"]
    scan = client.post(f"/api/patients/{pid}/scans", files={"file": ("a.x3p", b"x")}, headers=hb).json()["id"]
    prac = client.post("/api/practitioners", json={"name": "Dr B", "licence_number": "L",
                                                   "licence_expires": "2099-01-01"}, headers=hb).json()["id"]
    client.post(f"/api/patients/{pid}/sessions", json={"practitioner_id": prac, "performed_on": "2025-01-01",
                                                       "product": "PRP", "lot": "LOT-B"}, headers=hb)
    follow_up = client.get("/api/follow-ups", params={"until": "2030-01-01"}, headers=hb).json()[0]["id"]
    csrf = _sign_in(client, world, "admin")
    session_form = {"practitioner_id": str(prac), "performed_on": "2025-01-01", "product": "x", "lot": "y"}
    for method, path, form in [
        ("GET", f"/patients/{pid}", None),
        ("GET", f"/scans/{scan}", None),
        ("POST", f"/scans/{scan}/correct", {"grade_override": "1"}),
        ("POST", f"/patients/{pid}/consents", {"kind": "imaging", "version": "1"}),
        ("POST", f"/patients/{pid}/consents/{consent}/withdraw", {}),
        ("POST", f"/patients/{pid}/sessions", session_form),
        ("POST", f"/patients/{pid}/adverse-events", {"kind": "x", "severity": "1", "onset_on": "2025-01-01"}),
        ("POST", f"/follow-ups/{follow_up}/done", {}),
    ]:
        data = None if form is None else {**form, "csrf": csrf}
        r = client.request(method, path, data=data)
        assert r.status_code == 404, (method, path, r.status_code)
    pa = world.patient("A-1")
    r = client.post(f"/patients/{pa}/sessions", data={**session_form, "csrf": csrf})
    assert r.status_code == 404 and "no practitioner" in r.text
    assert "B-1" not in client.get("/safety", params={"lot": "LOT-B"}).text  # lot recall stays in the clinic
    assert "B-1" not in client.get("/patients").text and "Dr B" not in client.get("/practitioners").text


def test_edit_patient_page_and_audit(world, client):
    pid = world.patient("ED1", imaging=False)
    csrf = _sign_in(client, world)
    r = client.post(f"/patients/{pid}/edit", data={"csrf": csrf, "mrn": "ED1", "name_en": "Sara A. Ali",
                                                   "name_ar": "سارة علي", "sex": "female", "fitzpatrick": "3"})
    assert r.status_code == 200 and "Sara A. Ali" in r.text
    body = client.get(f"/api/patients/{pid}", headers=world.headers()).json()
    assert body["fitzpatrick"] == 3 and body["birth_date"] is None  # the emptied field is cleared
    world.patient("ED2", imaging=False)
    r = client.post(f"/patients/{pid}/edit", data={"csrf": csrf, "mrn": "ED2"})
    assert r.status_code == 409 and "already used" in r.text


def test_login_page_rate_limit(world, client):
    token = _csrf(client.get("/login").text)
    email = world.email(world.clinic_a, "staff")
    for _ in range(10):
        assert client.post("/login", data={"email": email, "password": "x", "csrf": token}).status_code == 401
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "too many" in r.text


def test_names_are_escaped_and_security_headers_set(world, client):
    h = world.headers()
    r = client.post("/api/patients", json={"mrn": "X1", "name_en": "<script>alert(1)</script>"}, headers=h)
    _sign_in(client, world)
    page = client.get(f"/patients/{r.json()['id']}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]
