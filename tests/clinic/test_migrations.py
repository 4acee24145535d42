"""Migrations from empty give exactly the models' schema; downgrade returns to empty."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from scarwise.clinic._db import migrate
from scarwise.clinic.models import Base


def test_migrated_schema_matches_models(app):
    with app.state.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_migrate_is_idempotent_and_downgrades(tmp_path):
    from alembic import command
    from alembic.config import Config

    from scarwise.clinic._db import MIGRATIONS_DIR

    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # nothing left to apply
    assert {"patient", "scan", "audit_log", "alembic_version"} <= set(inspect(engine).get_table_names())
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
