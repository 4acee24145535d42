"""Web hardening: HSTS only over HTTPS, session expiry, upload size limit, security headers."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from scarwise.clinic import create_app


def test_hsts_only_over_https(app):
    with TestClient(app, base_url="https://testserver") as https, TestClient(app) as http:
        r = https.get("/learn")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "strict-transport-security" not in http.get("/learn").headers
        assert http.get("/learn").headers["x-frame-options"] == "DENY"


def test_session_expires(fresh_settings):
    expiring = create_app(fresh_settings.model_copy(update={"token_ttl_s": 1}))
    from tests.clinic.conftest import World

    with TestClient(expiring) as c:
        w = World(expiring, c)
        h = w.headers("admin")
        assert c.get("/api/patients", headers=h).status_code == 200
        time.sleep(2.1)
        r = c.get("/api/patients", headers=h)
        assert r.status_code == 401 and "expired" in r.text
    expiring.state.engine.dispose()


def test_upload_limit_by_content_length(fresh_settings):
    small = create_app(fresh_settings.model_copy(update={"max_upload_mb": 0.01}))
    from tests.clinic.conftest import World

    with TestClient(small) as c:
        w = World(small, c)
        pid = w.patient("UP-1")
        r = c.post(f"/api/patients/{pid}/scans", files={"file": ("big.x3p", b"PK" + b"0" * (3 * 2**20))},
                   headers=w.headers())
        assert r.status_code == 413
    small.state.engine.dispose()
