"""Account keys, passkeys and single sign-on.

Reviewers get ``password_wrapped_account_key``; existing accounts keep NULL there and move their keys under a new
account key at their next sign-in with the password (intake.accounts.keyring), losing nothing. Sessions may hold
the account key under their cookie's secret, and say how they were signed in. New tables: passkeys, WebAuthn
challenges, single sign-on links and offers, and each city's sign-in rules.

Revision ID: 0650
Revises: 0640
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0650'
down_revision = '0640'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_wrapped_account_key', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrapped_account_key', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default='password+totp'))
        batch_op.add_column(sa.Column('allowed_cities', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=True))
    op.create_table('passkey',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=1400), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('prf_salt', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_account_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_passkey_reviewer_id'),
    sa.PrimaryKeyConstraint('id', name='pk_passkey')
    )
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_reviewer_id'), ['reviewer_id'], unique=False)
    op.create_table('webauthn_challenge',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_webauthn_challenge_reviewer_id'),
    sa.PrimaryKeyConstraint('id', name='pk_webauthn_challenge')
    )
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webauthn_challenge_expires_at'), ['expires_at'], unique=False)
    op.create_table('sso_link',
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_sso_link_reviewer_id'),
    sa.PrimaryKeyConstraint('issuer', 'subject', name='pk_sso_link'),
    sa.UniqueConstraint('reviewer_id', 'issuer', name='uq_sso_link_reviewer_issuer')
    )
    with op.batch_alter_table('sso_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_link_reviewer_id'), ['reviewer_id'], unique=False)
    op.create_table('sso_link_offer',
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('offered_by', sa.Integer(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_sso_link_offer_city_id'),
    sa.ForeignKeyConstraint(['offered_by'], ['reviewer.id'], name='fk_sso_link_offer_offered_by'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name='fk_sso_link_offer_reviewer_id'),
    sa.PrimaryKeyConstraint('reviewer_id', 'provider', name='pk_sso_link_offer')
    )
    op.create_table('city_sign_in_policy',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('password_allowed', sa.Boolean(), nullable=False),
    sa.Column('require_mfa', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name='fk_city_sign_in_policy_city_id'),
    sa.PrimaryKeyConstraint('city_id', name='pk_city_sign_in_policy')
    )


def downgrade() -> None:
    op.drop_table('city_sign_in_policy')
    op.drop_table('sso_link_offer')
    with op.batch_alter_table('sso_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_link_reviewer_id'))
    op.drop_table('sso_link')
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webauthn_challenge_expires_at'))
    op.drop_table('webauthn_challenge')
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_reviewer_id'))
    op.drop_table('passkey')
    with op.batch_alter_table('reviewer_session', schema=None) as batch_op:
        batch_op.drop_column('allowed_cities')
        batch_op.drop_column('method')
        batch_op.drop_column('wrapped_account_key')
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_column('password_wrapped_account_key')
