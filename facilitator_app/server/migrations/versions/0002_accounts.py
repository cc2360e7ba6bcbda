"""Accounts: a credential generation on users and tokens (a password change or `user disable`
ends every earlier token for good), and the user's full name and email.

Existing users and tokens get generation 1, so tokens issued before the upgrade keep working
until the next password change or disable.

Revision ID: 0002_accounts
Revises: 0001
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_accounts'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_generation', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('full_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_generation', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN (3.35+). Alembic's batch mode would rebuild the table, and
        # dropping the old `users` fails the foreign keys of every token and assignment.
        for table, column in (('tokens', 'credential_generation'), ('users', 'email'), ('users', 'full_name'),
                              ('users', 'credential_generation')):
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
        return
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('credential_generation')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('full_name')
        batch_op.drop_column('credential_generation')
