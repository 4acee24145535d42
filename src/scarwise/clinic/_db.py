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

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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


def _plain(value: Any) -> Any:
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
        out[key] = _plain(value)
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
