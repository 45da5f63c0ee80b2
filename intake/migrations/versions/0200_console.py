"""The reviewer console (issue 4): TOTP, sign-in lockout, regional sessions, deadlines, closed records,
redaction, and the indexes of the inbox and of case timelines.

Existing reviewers start without TOTP (they enrol at their next sign-in); existing open cases get their next
deadline (the acknowledgement, as none was recorded before); existing sessions stay full sessions.

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-26 00:29:04.971218
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0200'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_tally',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('has_due', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_case_tally_city_id_city'),
    sa.PrimaryKeyConstraint('city_id', 'group_id', 'status', 'category', 'channel', 'assignee_id', 'has_due',
                            name='pk_case_tally')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_city_subject', ['city_id', 'subject', 'sequence'])

    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redacted_on', sa.Date(), nullable=True))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('feedback_given_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_record_basis', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column('closed_record_on', sa.Date(), nullable=True))
        batch_op.drop_index('ix_cases_city_received')
        batch_op.drop_index('ix_cases_city_status')
        batch_op.drop_index('ix_cases_group_received')
        batch_op.create_index('ix_cases_group_received', ['group_id', 'received_on', 'number', 'id'])
        batch_op.create_index('ix_cases_inbox_received', ['city_id', 'received_on', 'number', 'group_id', 'id'])
        batch_op.create_index('ix_cases_inbox_status',
                              ['city_id', 'status', 'received_on', 'number', 'group_id', 'id'])
        batch_op.create_index('ix_cases_inbox_category',
                              ['city_id', 'category', 'received_on', 'number', 'group_id', 'id'])
        batch_op.create_index('ix_cases_inbox_channel',
                              ['city_id', 'channel', 'received_on', 'number', 'group_id', 'id'])
        batch_op.create_index('ix_cases_inbox_assignee',
                              ['city_id', 'assignee_id', 'received_on', 'number', 'group_id', 'id'])
        batch_op.create_index('ix_cases_inbox_due', ['city_id', 'next_due_on', 'number', 'group_id', 'id', 'status',
                                                     'category', 'channel', 'assignee_id'])

    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_wrapped_secret', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('totp_confirmed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_reminded_on', sa.Date(), nullable=True))

    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='full'))
        batch_op.add_column(sa.Column('pending_totp_secret', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('city_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    op.execute("UPDATE cases SET next_due_on = acknowledge_due_on WHERE status <> 'concluded'")
    # The tallies of the cases already there (intake.case_tally keeps them from now on).
    op.execute("INSERT INTO case_tally (city_id, group_id, status, category, channel, assignee_id, has_due, count) "
               "SELECT city_id, COALESCE(group_id, 0), status, category, channel, COALESCE(assignee_id, 0), "
               "next_due_on IS NOT NULL, COUNT(*) FROM cases GROUP BY city_id, COALESCE(group_id, 0), status, "
               "category, channel, COALESCE(assignee_id, 0), next_due_on IS NOT NULL")


def downgrade() -> None:
    # Regional sessions have no city; they end, as every session may.
    op.execute("DELETE FROM session_city_key WHERE session_id IN "
               "(SELECT id FROM reviewer_session WHERE city_id IS NULL)")
    op.execute("DELETE FROM reviewer_session WHERE city_id IS NULL")
    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.alter_column('city_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('pending_totp_secret')
        batch_op.drop_column('stage')

    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_column('last_reminded_on')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_at')
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_confirmed')
        batch_op.drop_column('totp_wrapped_secret')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in ('ix_cases_inbox_due', 'ix_cases_inbox_assignee', 'ix_cases_inbox_channel',
                     'ix_cases_inbox_category', 'ix_cases_inbox_status', 'ix_cases_inbox_received'):
            batch_op.drop_index(name)
        batch_op.create_index('ix_cases_city_status', ['city_id', 'status', 'received_on'])
        batch_op.drop_index('ix_cases_group_received')
        batch_op.create_index('ix_cases_group_received', ['group_id', 'received_on', 'number'])
        batch_op.create_index('ix_cases_city_received', ['city_id', 'received_on', 'number'])
        batch_op.drop_column('closed_record_on')
        batch_op.drop_column('closed_record_basis')
        batch_op.drop_column('next_due_on')
        batch_op.drop_column('feedback_given_on')
        batch_op.drop_column('acknowledged_on')

    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.drop_column('redacted_on')

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_city_subject')

    op.drop_table('case_tally')

