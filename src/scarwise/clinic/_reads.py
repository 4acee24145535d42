"""Hot reads made directly on the event loop: the signed-in user, one patient, the patient list.

Every request reads its user, and the busiest pages read a patient or the patient list. These reads
are short, so they run on the event loop in SQLAlchemy Core on the reader engine
(``_db.make_reader``) instead of in a worker thread with ORM loading: a thread hop costs more
than the read itself, and under load the hops queue for the GIL. Each read checks a connection out
and back in without an ``await`` in between. Objects that a route may change are built from the
row and joined to the request's session as if loaded there (:func:`attach`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, Row, Select, bindparam, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached

from scarwise.clinic._errors import NotFoundError
from scarwise.clinic.crud import MAX_ID
from scarwise.clinic.models import Patient, User

_T = TypeVar("_T", User, Patient)
_R = TypeVar("_R")
_users, _patients = User.__table__, Patient.__table__
_USER_BY_ID = select(_users).where(_users.c.id == bindparam("id"))
_PATIENT_BY_ID = select(_patients).where(_patients.c.id == bindparam("id"))


def load_user(reader: Engine, user_id: int) -> User | None:
    """The account with this id (detached, not yet in any session), or None."""
    if not 0 < user_id <= MAX_ID:
        return None
    row = _run(reader, lambda conn: conn.execute(_USER_BY_ID, {"id": user_id}).one_or_none())
    return None if row is None else _build(User, row)


def load_patient(reader: Engine, *, clinic_id: int, patient_id: int) -> Patient:
    """The clinic's patient (detached); NotFoundError for a missing one or another clinic's, as ``crud``."""
    row = None
    if 0 < patient_id <= MAX_ID:
        row = _run(reader, lambda conn: conn.execute(_PATIENT_BY_ID, {"id": patient_id}).one_or_none())
    if row is None or row.clinic_id != clinic_id:  # another clinic's patient reads as missing
        raise NotFoundError(f"no patient {patient_id} in your clinic")
    return _build(Patient, row)


def list_patients(reader: Engine, *, clinic_id: int, q: str = "", offset: int = 0, limit: int = 25
                  ) -> tuple[list[Row], int]:
    """One page of the clinic's patients, newest first, and the number found; as ``crud.list_patients``.

    Rows (attribute access by column name, so they read like patients in templates and schemas)
    instead of ORM objects: loading 25 ORM objects costs several times the query itself.
    """
    count, page = _SEARCH if q else _LIST
    params = {"clinic_id": clinic_id, "offset": offset, "limit": limit}
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["like"] = "%" + escaped + "%"

    def read(conn: Connection) -> tuple[list[Row], int]:
        rows = conn.execute(page, params).all()
        if rows:
            return rows, rows[0].found_total
        return [], conn.scalar(count, params) or 0

    return _run(reader, read)


def _list_statements(search: bool) -> tuple[Select, Select]:
    """(count, page) statements of the patient list, with or without the search filter."""
    where = [_patients.c.clinic_id == bindparam("clinic_id")]
    if search:
        like = bindparam("like")
        where.append(or_(_patients.c.mrn.ilike(like, escape="\\"), _patients.c.name_en.ilike(like, escape="\\"),
                         _patients.c.name_ar.like(like, escape="\\")))
    count = select(func.count()).select_from(_patients).where(*where)
    # the total rides along on every row (an uncorrelated subquery, counted once from the index):
    # one statement for a page that has rows (a window count would read every row of the clinic)
    page = (select(_patients, count.scalar_subquery().label("found_total")).where(*where)
            .order_by(_patients.c.id.desc()).offset(bindparam("offset")).limit(bindparam("limit")))
    return count, page


# built once: building and keying a statement costs more than running it
_LIST, _SEARCH = _list_statements(False), _list_statements(True)


def attach(db: Session, obj: _T) -> _T:
    """Join a detached object from this module to the request's session (no SQL), so routes may change it."""
    db.add(obj)
    return obj


def _run(reader: Engine, read: Callable[[Connection], _R]) -> _R:
    """``read`` on a pooled connection, once more on a fresh one if the pooled one had died.

    The reader does not ping a connection before each use (a round trip on every request): a
    database restart is noticed by the first statement instead, which invalidates the pool.
    """
    try:
        with reader.connect() as conn:
            return read(conn)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    with reader.connect() as conn:
        return read(conn)


def _build(model: type[_T], row: Row) -> _T:
    obj = model(**row._mapping)
    make_transient_to_detached(obj)  # as if loaded: no pending changes, history starts here
    return obj
