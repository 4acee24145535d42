"""Engine, sessions, migrations and the audit-log hook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from scarwise.clinic._settings import Settings
from scarwise.clinic.models import Audited, AuditLog, utcnow

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(settings: Settings) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # as many pooled connections as request threads (AnyIO's default 40), so none starves under load
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
                               max_overflow=30)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_reader(engine: Engine) -> Engine:
    """An engine for short reads made directly on the event loop (``_reads``: user, patient, list).

    A request thread hop costs more than these reads (and under load, threads queue for the GIL), so
    the hot paths read on the loop instead. Such a read must be synchronous from start to end (no
    ``await`` while its connection is checked out): then the loop holds one connection at a time.
    The pool is separate from the request threads' pool, so the loop never waits behind a
    connection that only a teardown on the loop would give back, and it never blocks (unbounded
    overflow, though one connection is all it uses). Statements run in autocommit: no BEGIN and
    ROLLBACK round trips, and each sees the latest committed data. Disposing ``engine`` disposes
    this pool too (tests and restores swap the database file underneath).
    """
    if engine.dialect.name == "sqlite":
        reader = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=2,
                               max_overflow=-1, isolation_level="AUTOCOMMIT")
        event.listen(reader, "connect", _sqlite_pragmas)
    else:
        # no ping before each use (a round trip per read): _reads retries once on a dead connection.
        # These reads block the event loop while they run, so a stalled server must not hold it for
        # long: bounded connect and statement times (the reads take about a millisecond).
        reader = create_engine(engine.url, pool_size=2, max_overflow=-1, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": 5, "options": "-c statement_timeout=5000"})
    event.listen(engine, "engine_disposed", lambda _engine: reader.dispose())
    return reader


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def plain_value(value: Any) -> Any:
    """A column value as JSON can hold it: dates as ISO text, decimals as text, the rest as is."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _snapshot(obj: Audited, *, old: bool) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in obj.__audit_exclude__:
            continue
        hist = state.attrs[key].history
        if old and hist.deleted:
            value = hist.deleted[0]
        elif not old and hist.added:
            value = hist.added[0]
        else:
            value = state.dict.get(key)
        out[key] = plain_value(value)
    return out


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _ctx: Any) -> None:
    """Write one audit row per created, changed or deleted Audited object, in the same transaction."""
    actor = session.info.get("actor_id")
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, Audited):
                continue
            if action == "update":
                before, after = _snapshot(obj, old=True), _snapshot(obj, old=False)
                changed = {k for k in after if before.get(k) != after.get(k)}
                if not changed:
                    continue
                before = {k: before[k] for k in sorted(changed)}
                after = {k: after[k] for k in sorted(changed)}
            elif action == "create":
                before, after = None, _snapshot(obj, old=False)
            else:
                before, after = _snapshot(obj, old=False), None
            clinic_id = getattr(obj, "clinic_id", None) or (obj.id if obj.__tablename__ == "clinic" else None)
            rows.append({"clinic_id": clinic_id, "user_id": actor, "at": utcnow(), "action": action,
                         "entity": obj.__tablename__, "entity_id": getattr(obj, "id", None),
                         "before": before, "after": after})
    if rows:
        session.connection().execute(insert(AuditLog), rows)
