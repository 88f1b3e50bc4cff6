"""several conventions: the featured one, drafts, contribution numbers per convention

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-12-06 08:15:00

Reviewed code, written by hand (issue 13); batch mode keeps the ALTER working on SQLite.
- ``convention.is_featured``: the convention `/` shows; the oldest existing one is featured.
- ``convention.published_dt``: NULL while the Bureau national sets a convention up in the
  wizard; the conventions that exist are published (at their creation time).
- ``contribution.submitted_date_known``: false for contributions carried over from a document
  that gives no date of reception.
- A contribution's number is unique within its convention whatever its channel: where the
  two lists share a number, the e-mail list is numbered after the platform's last number
  (as ``flask seed`` now numbers the document's lists) before the constraint changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8c9d0e1f2a3'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def _renumber_repeated_numbers(bind) -> None:
    """One series per convention: the platform's numbers kept, the e-mail list's after them.

    Only a convention whose two lists share a number is renumbered, and then as ``flask seed``
    numbers the document's lists (e-mail n° k becomes the platform's last number + k), so that
    seeding again after the upgrade finds the same rows.
    """
    rows = bind.execute(sa.text(
        "SELECT id, convention_id, channel, number FROM contribution WHERE number IS NOT NULL"
    )).all()
    by_convention: dict[int, list] = {}
    for row in rows:
        by_convention.setdefault(row[1], []).append(row)
    for convention_rows in by_convention.values():
        platform = {r[3] for r in convention_rows if r[2] == 'platform'}
        email = [r for r in convention_rows if r[2] != 'platform']
        if not platform & {r[3] for r in email}:
            continue
        offset = max(platform)
        # Highest first, so that no intermediate number collides within the e-mail list.
        for row_id, _convention_id, _channel, number in sorted(email, key=lambda r: -r[3]):
            bind.execute(
                sa.text("UPDATE contribution SET number = :n WHERE id = :id"),
                {"n": offset + number, "id": row_id},
            )


def upgrade():
    with op.batch_alter_table('convention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_featured', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('published_dt', sa.DateTime(), nullable=True))
    op.execute("UPDATE convention SET published_dt = created_dt")
    op.execute(
        "UPDATE convention SET is_featured = true "
        "WHERE id = (SELECT min(id) FROM convention)"
    )
    _renumber_repeated_numbers(op.get_bind())
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_date_known', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint('uq_contribution_convention_id_channel_number', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_contribution_convention_id_number'), ['convention_id', 'number'])


def downgrade():
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contribution_convention_id_number'), type_='unique')
        batch_op.create_unique_constraint('uq_contribution_convention_id_channel_number', ['convention_id', 'channel', 'number'])
        batch_op.drop_column('submitted_date_known')
    with op.batch_alter_table('convention', schema=None) as batch_op:
        batch_op.drop_column('published_dt')
        batch_op.drop_column('is_featured')
