"""Questionnaires per city and category (stored as data), and the flag marking a case whose reporter gave a name.

Existing cases are marked as anonymous (identity_given false): before this revision no identity could be given.
Existing cities get no questionnaire rows: until a city loads its own, the packaged default set is asked.

Revision ID: 0100
Revises: 0400
Create Date: 2026-11-26 00:29:10.494689
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0100'
down_revision = '0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_questionnaire_city_id_city'),
    sa.PrimaryKeyConstraint('id', name='pk_questionnaire'),
    sa.UniqueConstraint('city_id', 'category', 'version', name='uq_questionnaire_city_category_version')
    )
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_city_id'), ['city_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_given', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('identity_given')

    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_city_id'))

    op.drop_table('questionnaire')
