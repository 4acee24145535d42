"""treatment plans: a plan per course of treatment; sessions may link to one

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:00:00

Existing sessions keep ``plan_id`` NULL (recorded without a plan).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

FK = 'fk_treatment_session_plan_id'


def upgrade() -> None:
    op.create_table('treatment_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=120), nullable=False),
    sa.Column('planned_sessions', sa.Integer(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('target_scar_ids', sa.JSON(), nullable=True),
    sa.Column('injection_plan', sa.JSON(), nullable=True),
    sa.Column('estimated_cost_sar', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scan_id'], ['scan.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('treatment_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatment_plan_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_plan_patient_id'), ['patient_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        with _children_kept_aside(), op.batch_alter_table('treatment_session', schema=None) as batch_op:
            batch_op.add_column(sa.Column('plan_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(FK, 'treatment_plan', ['plan_id'], ['id'], ondelete='SET NULL')
    else:
        op.add_column('treatment_session', sa.Column('plan_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FK, 'treatment_session', 'treatment_plan', ['plan_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_treatment_session_plan_id'), 'treatment_session', ['plan_id'], unique=False)


@contextmanager
def _children_kept_aside() -> Iterator[None]:
    """SQLite: batch mode copies ``treatment_session`` and drops the old table, which (foreign keys on)
    would cascade-delete its follow-ups and refuse its adverse events: keep those rows aside meanwhile."""
    bind = op.get_bind()
    children = [sa.Table(name, sa.MetaData(), autoload_with=bind) for name in ("follow_up", "adverse_event")]
    saved = [(t, [dict(r._mapping) for r in bind.execute(sa.select(t))]) for t in children]
    for t, _rows in saved:
        bind.execute(t.delete())
    yield
    for t, rows in saved:
        if rows:
            bind.execute(t.insert(), rows)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index(op.f('ix_treatment_session_plan_id'), table_name='treatment_session')
    if bind.dialect.name == "sqlite":
        with _children_kept_aside(), op.batch_alter_table('treatment_session', schema=None) as batch_op:
            batch_op.drop_column('plan_id')  # its foreign key goes with it
    else:
        op.drop_constraint(FK, 'treatment_session', type_='foreignkey')
        op.drop_column('treatment_session', 'plan_id')

    with op.batch_alter_table('treatment_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_treatment_plan_patient_id'))
        batch_op.drop_index(batch_op.f('ix_treatment_plan_clinic_id'))

    op.drop_table('treatment_plan')
