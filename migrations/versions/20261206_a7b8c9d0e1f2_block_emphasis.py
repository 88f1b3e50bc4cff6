"""block emphasis: bold and italic words kept beside the plain text

Revision ID: a7b8c9d0e1f2
Revises: f5a6b7c8d9e0
Create Date: 2026-12-06 06:00:00

Reviewed code, written by hand (issue 12); batch mode keeps the ALTER working on SQLite.
- ``text_block.emphasis``: the block's bold and italic words as a JSON list of
  ``[start, end, "strong" | "em"]`` offsets in ``text``, NULL when there are none. The plain
  ``text`` (what amendments quote, count offsets in and cut into numbered lines) is unchanged;
  the blocks written before this revision have no emphasis.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e1f2'
down_revision = 'f5a6b7c8d9e0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('text_block', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emphasis', sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    with op.batch_alter_table('text_block', schema=None) as batch_op:
        batch_op.drop_column('emphasis')
