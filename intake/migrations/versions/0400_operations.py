"""Operations (issue 7): reviewer personal keys, city key grants, resumable key rotation, retention rules,
and the day a case was concluded (retention counts from it).

Existing concluded cases get today as their conclusion day, so retention never purges a case earlier than its
rule allows because the day was unknown. Existing reviewers get their personal key pair at their next sign-in
(it needs their password); until then a rotation cannot reach them (intake.key_rotation says who).

Revision ID: 0400
Revises: 0003
Create Date: 2026-11-26 00:35:48.494748
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0400'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_key_grant',
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('sealed_city_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_city_key_grant_city_id'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_city_key_grant_reviewer_id'),
    sa.PrimaryKeyConstraint('reviewer_id', 'city_id', name='pk_city_key_grant')
    )
    op.create_table('city_key_rotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=False),
    sa.Column('to_version', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('new_public_key', sa.LargeBinary(), nullable=False),
    sa.Column('new_recovery_wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('items_total', sa.Integer(), nullable=False),
    sa.Column('items_resealed', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_city_key_rotation_city_id'),
    sa.PrimaryKeyConstraint('id', name='pk_city_key_rotation')
    )
    with op.batch_alter_table('city_key_rotation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_key_rotation_city_id'), ['city_id'], unique=False)

    op.create_table('retention_rule',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('purger', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('keep_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_retention_rule_city_id'),
    sa.PrimaryKeyConstraint('city_id', 'purger', name='pk_retention_rule')
    )
    op.create_table('reviewer_key',
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_reviewer_key_reviewer_id'),
    sa.PrimaryKeyConstraint('reviewer_id', name='pk_reviewer_key')
    )
    op.create_table('resealed_city_key',
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('key_for_city', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['case_item.id'], name='fk_resealed_city_key_item_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rotation_id'], ['city_key_rotation.id'], name='fk_resealed_city_key_rotation_id'),
    sa.PrimaryKeyConstraint('item_id', name='pk_resealed_city_key')
    )
    with op.batch_alter_table('resealed_city_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resealed_city_key_rotation_id'), ['rotation_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concluded_on', sa.Date(), nullable=True))
    cases = sa.table('cases', sa.column('status', sa.String), sa.column('concluded_on', sa.Date))
    op.execute(cases.update().where(cases.c.status == 'concluded').values(concluded_on=sa.func.current_date()))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('concluded_on')

    with op.batch_alter_table('resealed_city_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resealed_city_key_rotation_id'))

    op.drop_table('resealed_city_key')
    op.drop_table('reviewer_key')
    op.drop_table('retention_rule')
    with op.batch_alter_table('city_key_rotation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_key_rotation_city_id'))

    op.drop_table('city_key_rotation')
    op.drop_table('city_key_grant')
