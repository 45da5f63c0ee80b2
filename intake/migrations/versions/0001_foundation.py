"""foundation: cities, reviewers, memberships, sessions, cases, items, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:07:03.943991
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('last_case_number', sa.Integer(), nullable=False),
    sa.Column('audit_head_sequence', sa.Integer(), nullable=False),
    sa.Column('audit_head_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_slug'), ['slug'], unique=True)

    op.create_table('reviewer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('password_record', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_email'), ['email'], unique=True)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('previous_hash', sa.LargeBinary(), nullable=False),
    sa.Column('entry_hash', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('city_id', 'sequence', name='uq_audit_city_sequence')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_city_id'), ['city_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('acknowledge_due_on', sa.Date(), nullable=False),
    sa.Column('feedback_due_on', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('report_key_lookup', sa.LargeBinary(), nullable=False),
    sa.Column('reporter_public_key', sa.LargeBinary(), nullable=False),
    sa.Column('reporter_wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['reviewer.id'], ),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('city_id', 'number', name='uq_cases_city_number'),
    sa.UniqueConstraint('report_key_lookup')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_city_received', ['city_id', 'received_on', 'number'], unique=False)
        batch_op.create_index('ix_cases_city_status', ['city_id', 'status', 'received_on'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('wrapped_city_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reviewer_id', 'city_id', name='uq_membership_reviewer_city')
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('reviewer_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_session_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('case_item',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('author_reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('visible_to_reporter', sa.Boolean(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('stream_header', sa.LargeBinary(), nullable=True),
    sa.Column('key_for_city', sa.LargeBinary(), nullable=False),
    sa.Column('key_for_reporter', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['author_reviewer_id'], ['reviewer.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'position', name='uq_case_item_position')
    )
    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_item_case_id'), ['case_id'], unique=False)

    op.create_table('session_city_key',
    sa.Column('session_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('wrapped_city_key', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['reviewer_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'city_id')
    )
    op.create_table('item_chunk',
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['case_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'index')
    )


def downgrade() -> None:
    op.drop_table('item_chunk')
    op.drop_table('session_city_key')
    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_item_case_id'))

    op.drop_table('case_item')
    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_session_reviewer_id'))

    op.drop_table('reviewer_session')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_membership_city_id'))

    op.drop_table('membership')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_city_status')
        batch_op.drop_index('ix_cases_city_received')

    op.drop_table('cases')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_city_id'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_email'))

    op.drop_table('reviewer')
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_slug'))

    op.drop_table('city')
