"""``/api/auth``: tokens, wrong credentials, rate limit, signing out everywhere, roles."""

from __future__ import annotations

from tests.clinic.conftest import PASSWORD


def _login(client, email, password):
    return client.post("/api/auth/token", data={"username": email, "password": password})


def test_token_and_wrong_password(world, client):
    email = world.email(world.clinic_a, "staff")
    r = _login(client, email.upper(), PASSWORD)  # email is case-insensitive
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/patients", headers=bearer).status_code == 200
    r = _login(client, email, "wrong")
    assert r.status_code == 401 and r.json() == {"detail": "wrong email or password"}
    r = _login(client, "nobody@x.example", PASSWORD)
    assert r.status_code == 401 and r.json() == {"detail": "wrong email or password"}
    assert _login(client, "", "").status_code == 422  # the OAuth2 form needs both fields


def test_forged_token_is_401(world, client):
    r = client.get("/api/patients", headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_rate_limit_per_account(world, client):
    email = world.email(world.clinic_a, "admin")
    for _ in range(10):
        assert _login(client, email, "nope").status_code == 401
    r = _login(client, email, PASSWORD)  # even the right password waits now
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60
    assert "too many" in r.json()["detail"]
    # another account from another address is not affected
    r = client.post("/api/auth/token", data={"username": world.email(world.clinic_a, "staff"), "password": PASSWORD})
    assert r.status_code == 429  # same test client address: the per-address limit applies too


def test_rate_limit_per_address_spans_accounts(world, client):
    for i in range(10):
        assert _login(client, f"guess{i}@x.example", "nope").status_code == 401
    assert _login(client, world.email(world.clinic_b, "admin"), PASSWORD).status_code == 429


def test_logout_everywhere_revokes_tokens(world, client):
    h = world.headers("staff")
    token = _login(client, world.email(world.clinic_a, "staff"), PASSWORD).json()["access_token"]
    other = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/auth/logout-everywhere", headers=h).status_code == 204
    for headers in (h, other):
        r = client.get("/api/patients", headers=headers)
        assert r.status_code == 401 and "signed out" in r.json()["detail"]


def test_roles_least_privilege(world, client):
    pid = world.patient("R1")
    body = {"name": "Dr Huda", "licence_number": "SCFHS-1", "licence_expires": "2099-01-01"}
    assert client.post("/api/practitioners", json=body, headers=world.headers("clinician")).status_code == 403
    assert client.post("/api/practitioners", json=body, headers=world.headers("admin")).status_code == 201
    assert client.get("/api/audit", headers=world.headers("staff")).status_code == 403
    ae = {"kind": "erythema", "severity": 1, "onset_on": "2025-01-02"}
    r = client.post(f"/api/patients/{pid}/adverse-events", json=ae, headers=world.headers("staff"))
    assert r.status_code == 403 and "may not" in r.json()["detail"]
