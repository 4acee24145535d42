"""Alembic environment: uses the caller's connection, else the URL from scarwise settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from scarwise.clinic.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001 - alembic passes a Connection
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from scarwise.clinic._settings import Settings

    engine = create_engine(Settings().resolved_database_url())
    with engine.begin() as conn:
        _run(conn)
