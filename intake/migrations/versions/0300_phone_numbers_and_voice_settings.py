"""Phone numbers per city and per-city voice settings (issue 5). New tables only: no existing row changes.

Revision ID: 0300
Revises: 0200
Create Date: 2026-11-26 00:43:25.396080
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0300'
down_revision = '0200'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_voice_settings',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('disguise_voice', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('city_id')
    )
    op.create_table('phone_number',
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('number')
    )
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_number_city_id'), ['city_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_number_city_id'))

    op.drop_table('phone_number')
    op.drop_table('city_voice_settings')
