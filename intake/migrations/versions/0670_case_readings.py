"""How far each reviewer has read each case (the item position last shown to them), so the inbox marks the
reporter's new messages (intake.casework.readings).

Revision ID: 0670
Revises: 0660
Create Date: 2026-12-06 09:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0670'
down_revision = '0660'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_reading',
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('seen_position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name='fk_case_reading_case_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_case_reading_reviewer_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reviewer_id', 'case_id', name='pk_case_reading')
    )


def downgrade() -> None:
    op.drop_table('case_reading')
