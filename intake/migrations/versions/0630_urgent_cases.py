"""Urgent cases: a clear flag set when the reporter says someone is in danger now, and the index that lists a
city's urgent cases in the inbox's order (docs/design.md#case-handling).

Revision ID: 0630
Revises: 0610
Create Date: 2026-12-06 06:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0630'
down_revision = '0610'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_cases_inbox_urgent', ['city_id', 'urgent', 'received_on', 'number', 'group_id',
                                                        'id'])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_inbox_urgent')
        batch_op.drop_column('urgent')
