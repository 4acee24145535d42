"""Migration 0002 (treatment plans) from empty and from a 0001 database holding records, both ways.

SQLite always; PostgreSQL in a database of its own when SCARWISE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, func, inspect, make_url, select, text

from scarwise.clinic._db import MIGRATIONS_DIR, make_engine
from scarwise.clinic._settings import Settings
from scarwise.clinic.models import Base

PG_URL = os.environ.get("SCARWISE_TEST_POSTGRES_URL")
TABLES_0001 = ("clinic", "app_user", "patient", "practitioner", "consent", "scan", "treatment_session",
               "follow_up", "adverse_event")


def _alembic(engine, verb: str, target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, target)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    PG_URL is None, reason="SCARWISE_TEST_POSTGRES_URL not set"))])
def engine(request, tmp_path):
    if request.param == "sqlite":  # the app's engine: foreign keys on, as in production
        eng = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))
        yield eng
        eng.dispose()
        return
    url = make_url(PG_URL).set(database=f"{make_url(PG_URL).database}_mig{os.environ.get('PYTEST_XDIST_WORKER', '')}")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    eng = create_engine(url)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
    admin.dispose()


def _seed_0001(engine) -> dict[str, int]:
    """One record of every 0001 table, with follow-ups and an adverse event hanging off the session."""
    md = MetaData()
    md.reflect(engine, only=TABLES_0001)
    t = md.tables
    now = dt.datetime(2025, 1, 1, 9, 0)
    with engine.begin() as conn:
        conn.execute(t["clinic"].insert(), [{"id": 1, "name": "Old clinic", "created_at": now}])
        conn.execute(t["app_user"].insert(), [{"id": 1, "clinic_id": 1, "email": "a@x", "password_hash": "h",
                                               "role": "admin", "is_active": True, "token_version": 0,
                                               "created_at": now}])
        conn.execute(t["patient"].insert(), [{"id": 1, "clinic_id": 1, "mrn": "M1", "name_en": "Sara",
                                              "name_ar": "سارة", "sex": "female", "contact": "", "notes": "",
                                              "created_at": now}])
        conn.execute(t["practitioner"].insert(), [{"id": 1, "clinic_id": 1, "name": "Dr L", "licence_number": "L1",
                                                   "licence_expires": dt.date(2099, 1, 1)}])
        conn.execute(t["consent"].insert(), [{"id": 1, "clinic_id": 1, "patient_id": 1, "kind": "imaging",
                                              "version": "v1", "signed_on": dt.date(2025, 1, 1)}])
        conn.execute(t["scan"].insert(), [{"id": 1, "clinic_id": 1, "patient_id": 1, "filename": "a.x3p",
                                           "sha256": "0" * 64, "suffix": ".x3p", "size_bytes": 3,
                                           "visit_on": dt.date(2025, 1, 1), "status": "done", "progress": 1.0,
                                           "created_at": now}])
        conn.execute(t["treatment_session"].insert(), [
            {"id": k, "clinic_id": 1, "patient_id": 1, "practitioner_id": 1, "performed_on": dt.date(2025, k, 1),
             "protocol": "prp", "product": "PRP", "cell_source": "none", "dose": "", "lot": f"LOT-{k}",
             "injection_plan": "", "cost_sar": 100} for k in (1, 2)])
        conn.execute(t["follow_up"].insert(), [
            {"id": 100 * s + m, "clinic_id": 1, "patient_id": 1, "session_id": s, "months": m,
             "due_on": dt.date(2026, m, 1)} for s in (1, 2) for m in (1, 3, 6, 12)])
        conn.execute(t["adverse_event"].insert(), [{"id": 1, "clinic_id": 1, "patient_id": 1, "session_id": 2,
                                                    "kind": "bruise", "severity": 1, "serious": False,
                                                    "onset_on": dt.date(2025, 2, 2), "outcome": ""}])
    return _counts(engine)


def _counts(engine) -> dict[str, int]:
    md = MetaData()
    md.reflect(engine, only=TABLES_0001)
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(md.tables[name])) for name in TABLES_0001}


def test_0002_from_empty_matches_models_and_downgrades(engine):
    _alembic(engine, "upgrade", "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert "treatment_plan" in inspect(engine).get_table_names()
    _alembic(engine, "downgrade", "0001")
    assert "treatment_plan" not in inspect(engine).get_table_names()
    assert "plan_id" not in {c["name"] for c in inspect(engine).get_columns("treatment_session")}


def test_0002_keeps_every_record_of_a_0001_database(engine):
    _alembic(engine, "upgrade", "0001")
    before = _seed_0001(engine)
    assert before["follow_up"] == 8 and before["adverse_event"] == 1
    _alembic(engine, "upgrade", "head")
    assert _counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT plan_id FROM treatment_session ORDER BY id")).scalars().all() == [None, None]
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        # the new foreign key works: a plan row can be linked, and a missing plan is refused
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO treatment_plan (id, clinic_id, patient_id, protocol, planned_sessions, "
                          "interval_days, start_on, estimated_cost_sar, status, notes, created_at) VALUES "
                          "(1, 1, 1, 'prp', 3, 30, '2025-01-01', 900, 'active', '', '2025-01-01 09:00:00')"))
        conn.execute(text("UPDATE treatment_session SET plan_id = 1 WHERE id = 1"))
    with pytest.raises(Exception, match="(?i)foreign key"), engine.begin() as conn:
        conn.execute(text("UPDATE treatment_session SET plan_id = 999 WHERE id = 2"))
    # downgrade keeps the 0001 records too (the linked plan goes with its table)
    _alembic(engine, "downgrade", "0001")
    assert _counts(engine) == before
    with engine.connect() as conn:
        fus = conn.execute(text("SELECT session_id, months, due_on FROM follow_up ORDER BY id")).all()
    assert [(s, m) for s, m, _d in fus] == [(s, m) for s in (1, 2) for m in (1, 3, 6, 12)]
    _alembic(engine, "upgrade", "head")  # and up again
    assert _counts(engine) == before
