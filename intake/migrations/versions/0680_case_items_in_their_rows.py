"""A case's items are written with less: on PostgreSQL an item of up to 8160 bytes stays in its row
(toast_tuple_target), and the index on case_item.case_id alone goes (uq_case_item_position, which case_id leads,
finds a case's items). Items stored before stay where they are.

Revision ID: 0680
Revises: 0670
Create Date: 2026-12-07 10:45:00.000000
"""

from alembic import op

revision = '0680'
down_revision = '0670'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_case_item_case_id', table_name='case_item')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE case_item SET (toast_tuple_target = 8160)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE case_item RESET (toast_tuple_target)')
    op.create_index('ix_case_item_case_id', 'case_item', ['case_id'], unique=False)
