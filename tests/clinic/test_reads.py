"""Reads on the event loop (``_reads``): the same answers as the ORM reads of ``crud``, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scarwise.clinic import _reads, crud
from scarwise.clinic._errors import NotFoundError
from scarwise.clinic.models import AuditLog, User


def _seed(world, n: int = 12) -> None:
    h = world.headers()
    for i in range(n):
        name = f"Omar {i}" if i % 3 else f"Sara_{i}"
        r = world.client.post("/api/patients", json={"mrn": f"R{i:02d}", "name_en": name, "name_ar": "عمر",
                                                     "sex": "male"}, headers=h)
        assert r.status_code == 201, r.text
    world.patient("B-1", clinic="b", imaging=False)  # another clinic's patient is never listed


@pytest.mark.parametrize(("q", "offset", "limit"), [("", 0, 5), ("", 10, 5), ("", 40, 5), ("omar", 2, 3),
                                                    ("sara_", 0, 25), ("%", 0, 25), ("عمر", 0, 25), ("B-1", 0, 5)])
def test_list_matches_crud(world, q, offset, limit):
    _seed(world)
    app = world.app
    rows, total = _reads.list_patients(app.state.reader, clinic_id=world.clinic_a, q=q, offset=offset, limit=limit)
    with app.state.sessions() as db:
        expected, expected_total = crud.list_patients(db, clinic_id=world.clinic_a, q=q, offset=offset, limit=limit)
        assert total == expected_total
        assert [(r.id, r.mrn, r.name_en, r.name_ar, r.sex, r.birth_date) for r in rows] == [
            (p.id, p.mrn, p.name_en, p.name_ar, p.sex, p.birth_date) for p in expected]


def test_load_patient_is_clinic_scoped(world):
    _seed(world, 1)
    app = world.app
    with app.state.sessions() as db:
        own = crud.list_patients(db, clinic_id=world.clinic_a)[0][0]
        other = crud.list_patients(db, clinic_id=world.clinic_b)[0][0]
    assert _reads.load_patient(app.state.reader, clinic_id=world.clinic_a, patient_id=own.id).mrn == own.mrn
    for pid in (other.id, 0, -1, 2**31, 10**6):
        with pytest.raises(NotFoundError, match=f"no patient {pid} in your clinic"):
            _reads.load_patient(app.state.reader, clinic_id=world.clinic_a, patient_id=pid)
    assert _reads.load_user(app.state.reader, 10**6) is None and _reads.load_user(app.state.reader, 2**40) is None


def test_attached_objects_change_and_audit_like_loaded_ones(world):
    _seed(world, 1)
    app = world.app
    with app.state.sessions() as db:
        pid = crud.list_patients(db, clinic_id=world.clinic_a)[0][0].id
    patient = _reads.load_patient(app.state.reader, clinic_id=world.clinic_a, patient_id=pid)
    with app.state.sessions() as db:
        _reads.attach(db, patient)
        assert not db.dirty and not db.new
        crud.update_patient(db, patient=patient, data={"name_en": "Renamed"})
        db.commit()
    with app.state.sessions() as db:
        assert crud.get_patient(db, clinic_id=world.clinic_a, patient_id=pid).name_en == "Renamed"
        audit = db.scalars(select(AuditLog).where(AuditLog.entity == "patient", AuditLog.action == "update")).all()
        changes = [(a.entity_id, a.before, a.after) for a in audit]
        assert changes == [(pid, {"name_en": "Sara_0"}, {"name_en": "Renamed"})]


def test_sign_out_everywhere_through_attached_user(world, client):
    h = world.headers()
    assert client.get("/api/patients", headers=h).status_code == 200
    with world.app.state.sessions() as db:
        uid = db.scalar(select(User.id).where(User.email == world.email(world.clinic_a, "clinician")))
    user = _reads.load_user(world.app.state.reader, uid)
    with world.app.state.sessions() as db:
        crud.sign_out_everywhere(db, user=_reads.attach(db, user))
        db.commit()
    r = client.get("/api/patients", headers=h)  # the next request already sees the new token version
    assert r.status_code == 401 and "signed out" in r.json()["detail"]


def test_reader_survives_a_dead_connection(world, client):
    h = world.headers()
    reader = world.app.state.reader
    with reader.connect() as conn:  # the pooled connection dies (e.g. the database server restarted)
        conn.connection.dbapi_connection.close()
    assert client.get("/api/patients", headers=h).status_code == 200


def test_reader_bounds_a_stalled_statement_on_postgresql(world):
    """Reads on the event loop block it while they run: PostgreSQL cancels one after 5 s."""
    from sqlalchemy import text

    reader = world.app.state.reader
    if reader.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting; SQLite reads do not wait on a server")
    with reader.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "5s"
    assert reader.url == world.app.state.engine.url
