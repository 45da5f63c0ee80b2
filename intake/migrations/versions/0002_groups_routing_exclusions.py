"""Reviewer groups, category routing and conflict-of-interest exclusions (DESIGN.md section 5).

Existing cities get the default groups (ethics, alternate, hr) with every category routed to ethics; existing
cases are routed to their city's ethics group and existing reviewers join it, so nobody loses access.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:19:51.040626
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviewer_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('city_id', 'slug', name='uq_reviewer_group_city_slug')
    )
    with op.batch_alter_table('reviewer_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_group_city_id'), ['city_id'], unique=False)

    op.create_table('category_route',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['reviewer_group.id'], ),
    sa.PrimaryKeyConstraint('city_id', 'category')
    )
    op.create_table('group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['reviewer_group.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], ),
    sa.PrimaryKeyConstraint('group_id', 'reviewer_id')
    )
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_member_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('case_exclusion',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'reviewer_id')
    )
    with op.batch_alter_table('case_exclusion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_exclusion_reviewer_id'), ['reviewer_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_cases_group_received', ['group_id', 'received_on', 'number'], unique=False)
        batch_op.create_foreign_key('fk_cases_group_id_reviewer_group', 'reviewer_group', ['group_id'], ['id'])

    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regional_coordinator', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


    _route_existing_data()


# The defaults as they were when this migration was written (intake.routing may change later; this may not).
_GROUPS = (("ethics", "Ethics officers", "cases"), ("alternate", "Alternate reviewers (city attorney)", "alternate"),
           ("hr", "Human resources", "hr"))
_CATEGORIES = ("fraud-waste-abuse", "ethics-conflict", "harassment-discrimination", "safety", "other")


def _route_existing_data() -> None:
    connection = op.get_bind()
    for (city_id,) in connection.execute(sa.text("SELECT id FROM city")).all():
        for slug, name, purpose in _GROUPS:
            connection.execute(sa.text("INSERT INTO reviewer_group (city_id, slug, name, purpose) "
                                       "VALUES (:city, :slug, :name, :purpose)"),
                               {"city": city_id, "slug": slug, "name": name, "purpose": purpose})
        ethics = connection.execute(sa.text("SELECT id FROM reviewer_group WHERE city_id = :city AND slug = 'ethics'"),
                                    {"city": city_id}).scalar_one()
        for category in _CATEGORIES:
            connection.execute(sa.text("INSERT INTO category_route (city_id, category, group_id) "
                                       "VALUES (:city, :category, :group)"),
                               {"city": city_id, "category": category, "group": ethics})
        connection.execute(sa.text("UPDATE cases SET group_id = :group WHERE city_id = :city"),
                           {"group": ethics, "city": city_id})
        connection.execute(sa.text("INSERT INTO group_member (group_id, reviewer_id) SELECT :group, reviewer_id "
                                   "FROM membership WHERE city_id = :city AND role IN ('reviewer', 'admin')"),
                           {"group": ethics, "city": city_id})


def downgrade() -> None:
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_column('regional_coordinator')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_group_id_reviewer_group', type_='foreignkey')
        batch_op.drop_index('ix_cases_group_received')
        batch_op.drop_column('group_id')

    with op.batch_alter_table('case_exclusion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_exclusion_reviewer_id'))

    op.drop_table('case_exclusion')
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_member_reviewer_id'))

    op.drop_table('group_member')
    op.drop_table('category_route')
    with op.batch_alter_table('reviewer_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_group_city_id'))

    op.drop_table('reviewer_group')
