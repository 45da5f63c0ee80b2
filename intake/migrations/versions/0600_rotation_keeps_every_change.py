"""Key rotation keeps every change made while it runs, and can replace the recovery key.

A re-sealed key kept aside remembers a digest of the sealed key it was made from (existing rows get none, which
the switch treats as changed, so they are re-sealed again there: nothing is lost by upgrading during a rotation).
A rotation can carry the new private key wrapped under a new recovery key, and a check value of the recovery key
it replaced. New nullable columns only: no existing value changes.

Revision ID: 0600
Revises: 0500
Create Date: 2026-12-07 06:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0600'
down_revision = '0500'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resealed_city_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_digest', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('city_key_rotation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_recovery_wrapped_private_key', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('retired_recovery_check', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('city_key_rotation', schema=None) as batch_op:
        batch_op.drop_column('retired_recovery_check')
        batch_op.drop_column('next_recovery_wrapped_private_key')
    with op.batch_alter_table('resealed_city_key', schema=None) as batch_op:
        batch_op.drop_column('source_digest')
