"""The audit log: every create/update/delete with who, when, before and after; append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from scarwise.clinic.models import AuditLog, User


def test_create_update_delete_are_logged(world, client, app):
    pid = world.patient("AU-1", imaging=False)
    h = world.headers("admin")
    client.patch(f"/api/patients/{pid}", json={"name_en": "Renamed"}, headers=h)
    client.delete(f"/api/patients/{pid}", headers=h)
    rows = [r for r in client.get("/api/audit", headers=h).json() if r["entity"] == "patient"]
    assert [r["action"] for r in rows] == ["delete", "update", "create"]  # newest first
    delete_row, update_row, create_row = rows
    assert create_row["before"] is None and create_row["after"]["mrn"] == "AU-1"
    assert update_row["before"] == {"name_en": "Sara Ali"} and update_row["after"] == {"name_en": "Renamed"}
    assert delete_row["before"]["name_en"] == "Renamed" and delete_row["after"] is None
    with app.state.sessions() as db:
        clinician = db.scalar(select(User).where(User.email == world.email(world.clinic_a, "clinician")))
        admin = db.scalar(select(User).where(User.email == world.email(world.clinic_a, "admin")))
    assert create_row["user_id"] == clinician.id and delete_row["user_id"] == admin.id


def test_password_hash_never_in_audit(world, client, app):
    with app.state.sessions() as db:
        rows = db.scalars(select(AuditLog).where(AuditLog.entity == "app_user")).all()
    assert rows and all("password_hash" not in (r.after or {}) for r in rows)


def test_audit_is_append_only_in_the_database(world, app):
    with app.state.sessions() as db:
        for stmt in (update(AuditLog).values(action="x"), delete(AuditLog)):
            with pytest.raises(DBAPIError, match="append-only"):
                db.execute(stmt)
            db.rollback()
        assert db.scalar(select(text("count(*)")).select_from(AuditLog)) > 0


def test_failed_change_leaves_no_audit_row(world, client, app):
    world.patient("DUP", imaging=False)
    with app.state.sessions() as db:
        before = db.scalar(select(text("count(*)")).select_from(AuditLog))
    assert client.post("/api/patients", json={"mrn": "DUP"}, headers=world.headers()).status_code == 409
    with app.state.sessions() as db:
        assert db.scalar(select(text("count(*)")).select_from(AuditLog)) == before
