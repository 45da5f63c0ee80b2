"""Exit interviews: settings, versioned questionnaires, invitations, sealed responses, publications (issue 6).

Revision ID: 0500
Revises: 0300
Create Date: 2026-11-26 00:46:42.732572
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0500'
down_revision = '0300'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exit_invitation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('token_lookup', sa.LargeBinary(), nullable=False),
    sa.Column('code_lookup', sa.LargeBinary(), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('separation_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_exit_invitation_city_id'),
    sa.ForeignKeyConstraint(['created_by'], ['reviewer.id'], name='fk_exit_invitation_created_by'),
    sa.PrimaryKeyConstraint('id', name='pk_exit_invitation'),
    sa.UniqueConstraint('code_lookup', name='uq_exit_invitation_code_lookup'),
    sa.UniqueConstraint('token_lookup', name='uq_exit_invitation_token_lookup')
    )
    with op.batch_alter_table('exit_invitation', schema=None) as batch_op:
        batch_op.create_index('ix_exit_invitation_city_status', ['city_id', 'status'], unique=False)

    op.create_table('exit_publication',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('figures', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_exit_publication_city_id'),
    sa.ForeignKeyConstraint(['published_by'], ['reviewer.id'], name='fk_exit_publication_published_by'),
    sa.PrimaryKeyConstraint('city_id', 'quarter', name='pk_exit_publication')
    )
    op.create_table('exit_questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_exit_questionnaire_city_id'),
    sa.PrimaryKeyConstraint('id', name='pk_exit_questionnaire'),
    sa.UniqueConstraint('city_id', 'version', name='uq_exit_questionnaire_city_version')
    )
    with op.batch_alter_table('exit_questionnaire', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_questionnaire_city_id'), ['city_id'], unique=False)

    op.create_table('exit_settings',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('invitation_days', sa.Integer(), nullable=False),
    sa.Column('open_link', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_exit_settings_city_id'),
    sa.PrimaryKeyConstraint('city_id', name='pk_exit_settings'),
    sa.UniqueConstraint('open_link', name='uq_exit_settings_open_link')
    )
    op.create_table('exit_response',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('invitation_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('key_for_city', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_exit_response_city_id'),
    sa.ForeignKeyConstraint(['invitation_id'], ['exit_invitation.id'], name='fk_exit_response_invitation_id',
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['exit_questionnaire.id'], name='fk_exit_response_questionnaire_id'),
    sa.PrimaryKeyConstraint('id', name='pk_exit_response')
    )
    with op.batch_alter_table('exit_response', schema=None) as batch_op:
        batch_op.create_index('ix_exit_response_city_period', ['city_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_exit_response_questionnaire_id'), ['questionnaire_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exit_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_response_questionnaire_id'))
        batch_op.drop_index('ix_exit_response_city_period')

    op.drop_table('exit_response')
    op.drop_table('exit_settings')
    with op.batch_alter_table('exit_questionnaire', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_questionnaire_city_id'))

    op.drop_table('exit_questionnaire')
    op.drop_table('exit_publication')
    with op.batch_alter_table('exit_invitation', schema=None) as batch_op:
        batch_op.drop_index('ix_exit_invitation_city_status')

    op.drop_table('exit_invitation')
