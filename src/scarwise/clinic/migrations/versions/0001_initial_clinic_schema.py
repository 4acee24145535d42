"""initial clinic schema

Revision ID: 0001
Revises: none
Create Date: 2026-11-25 18:28:34.696152
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_clinic_at', ['clinic_id', 'at'], unique=False)

    op.create_table('clinic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_email'), ['email'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('mrn', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_ar', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=False),
    sa.Column('fitzpatrick', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clinic_id', 'mrn', name='uq_patient_clinic_mrn')
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('practitioner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('licence_number', sa.String(length=64), nullable=False),
    sa.Column('licence_expires', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practitioner_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_patient_id'), ['patient_id'], unique=False)

    op.create_table('scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('suffix', sa.String(length=16), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('pixel_mm', sa.Double(), nullable=True),
    sa.Column('visit_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('map_sha256', sa.String(length=64), nullable=True),
    sa.Column('grade_override', sa.Integer(), nullable=True),
    sa.Column('type_overrides', sa.JSON(), nullable=True),
    sa.Column('worker', sa.String(length=120), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_patient_id'), ['patient_id'], unique=False)

    op.create_table('treatment_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('protocol', sa.String(length=120), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('cell_source', sa.String(length=16), nullable=False),
    sa.Column('dose', sa.String(length=120), nullable=False),
    sa.Column('lot', sa.String(length=64), nullable=False),
    sa.Column('injection_plan', sa.Text(), nullable=False),
    sa.Column('cost_sar', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('treatment_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatment_session_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_session_lot'), ['lot'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_session_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatment_session_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('adverse_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('onset_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['treatment_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_event_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adverse_event_patient_id'), ['patient_id'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['treatment_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_session_id'), ['session_id'], unique=False)



    _append_only_audit_log()


def _append_only_audit_log() -> None:
    """Database triggers refuse UPDATE and DELETE on audit_log, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_session_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_patient_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_due_on'))
        batch_op.drop_index(batch_op.f('ix_follow_up_clinic_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_event_patient_id'))
        batch_op.drop_index(batch_op.f('ix_adverse_event_clinic_id'))

    op.drop_table('adverse_event')
    with op.batch_alter_table('treatment_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_treatment_session_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_treatment_session_patient_id'))
        batch_op.drop_index(batch_op.f('ix_treatment_session_lot'))
        batch_op.drop_index(batch_op.f('ix_treatment_session_clinic_id'))

    op.drop_table('treatment_session')
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_patient_id'))
        batch_op.drop_index(batch_op.f('ix_scan_clinic_id'))

    op.drop_table('scan')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_patient_id'))
        batch_op.drop_index(batch_op.f('ix_consent_clinic_id'))

    op.drop_table('consent')
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioner_clinic_id'))

    op.drop_table('practitioner')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_clinic_id'))

    op.drop_table('patient')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_clinic_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_email'))
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))
        batch_op.drop_index(batch_op.f('ix_login_failure_address'))

    op.drop_table('login_failure')
    op.drop_table('clinic')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_clinic_at')

    op.drop_table('audit_log')
