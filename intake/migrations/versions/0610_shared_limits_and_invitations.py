"""Limits shared by every instance, and joining a city by invitation.

Sign-in failures move from the reviewer row to ``attempt_counter``, counted per email typed (known or not) and
shared by every instance; the old per-reviewer count and lock are dropped (they only slowed the next sign-ins
down, so nothing of value is lost: the next failure starts a new count). ``reviewer_invitation`` holds an admin's
open invitations.

Revision ID: 0610
Revises: 0600
Create Date: 2026-12-02 09:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0610'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attempt_counter',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name='pk_attempt_counter')
    )
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_counter_expires_at'), ['expires_at'], unique=False)

    op.create_table('reviewer_invitation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code_lookup', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_city_key', sa.LargeBinary(), nullable=True),
    sa.Column('sealed_city_key', sa.LargeBinary(), nullable=True),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_reviewer_invitation_city_id'),
    sa.ForeignKeyConstraint(['invited_by'], ['reviewer.id'], name='fk_reviewer_invitation_invited_by'),
    sa.PrimaryKeyConstraint('id', name='pk_reviewer_invitation'),
    sa.UniqueConstraint('code_lookup', name='uq_reviewer_invitation_code_lookup')
    )
    with op.batch_alter_table('reviewer_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_invitation_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewer_invitation_email'), ['email'], unique=False)

    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_at')
        batch_op.drop_column('failed_sign_ins')


def downgrade() -> None:
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('reviewer_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_invitation_email'))
        batch_op.drop_index(batch_op.f('ix_reviewer_invitation_city_id'))
    op.drop_table('reviewer_invitation')
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_counter_expires_at'))
    op.drop_table('attempt_counter')
