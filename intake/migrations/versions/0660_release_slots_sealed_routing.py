"""Release slots and sealed routing: cases and messages wait for their release slot, reporter-caused audit entries
are held until then, exclusions and alternate routing are sealed per city.

Every existing case and item is released (server default true); the urgent flag is 0630's. The old clear exclusions in
case_exclusion are kept as they are: they need the server's pepper to be sealed, which a migration does not have,
so the service folds them into the seal at its next start (intake.routing.fold_legacy_exclusions).

Revision ID: 0660
Revises: 0650
Create Date: 2026-12-06 06:46:31.270931
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0660'
down_revision = '0650'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('held_audit_entry',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('held_audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_audit_entry_city_id'), ['city_id'], unique=False)

    op.create_table('routing_seal',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('city_id')
    )
    op.create_table('release_queue',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['reviewer_group.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['case_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('release_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_queue_city_id'), ['city_id'], unique=False)

    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('released')

    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.drop_column('released')

    with op.batch_alter_table('release_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_queue_city_id'))

    op.drop_table('release_queue')
    op.drop_table('routing_seal')
    with op.batch_alter_table('held_audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_audit_entry_city_id'))

    op.drop_table('held_audit_entry')
