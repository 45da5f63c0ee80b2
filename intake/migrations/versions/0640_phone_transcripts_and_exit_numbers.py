"""Transcript-only mode per city (city_voice_settings.keep_audio) and numbers for exit interviews by keypad
(phone_number.purpose). Both columns have server defaults, so every existing row keeps its meaning: audio kept,
numbers for reports.

Revision ID: 0640
Revises: 0630
Create Date: 2026-12-06 07:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0640'
down_revision = '0630'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('city_voice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_audio', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      server_default=sa.text("'reports'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('city_voice_settings', schema=None) as batch_op:
        batch_op.drop_column('keep_audio')
