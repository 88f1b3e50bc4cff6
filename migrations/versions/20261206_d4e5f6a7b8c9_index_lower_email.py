"""an index on lower(users.email): logging in no longer reads the whole table

Revision ID: d4e5f6a7b8c9
Revises: b8c9d0e1f2a3
Create Date: 2026-12-06 12:00:00

Written by hand (issue 11 §6, logins on vote day). ``get_user_by_email`` looks an address up
whatever its case, ``lower(email) = :address``, which the unique index on ``email`` cannot
serve: every login was a sequential scan (60 ms of PostgreSQL with 100,000 accounts). An
expression index serves it, on PostgreSQL and SQLite alike.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'b8c9d0e1f2a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_email_lower", "users", [sa.text("lower(email)")])


def downgrade():
    op.drop_index("ix_users_email_lower", table_name="users")
