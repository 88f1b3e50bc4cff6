"""revocable sessions, hashed calendar feed and unsubscribe tokens

Revision ID: c9d8e7f6a5b4
Revises: b3c4d5e6f7a8
Create Date: 2026-12-06 03:00:00

Reviewed code, written by hand (issue 9); batch mode keeps the ALTERs working on SQLite.
- ``users.session_generation``: part of every session and remember cookie, raised to end them all
  (sessions from before this revision name no generation: their holders log in again).
- ``calendar_feed_token.token`` becomes ``token_hash``: existing secrets are hashed in place, so
  the addresses members already subscribed to keep working.
- ``unsubscribe_token``: the hashed, expiring link of each notification e-mail (the signed links
  of e-mails sent before this revision stop working; the page says how to unsubscribe).
"""
import hashlib

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c9d8e7f6a5b4'
down_revision = 'b3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    feed = sa.table('calendar_feed_token', sa.column('id', sa.Integer()), sa.column('token', sa.String()),
                    sa.column('token_hash', sa.String()))
    for row_id, token in bind.execute(sa.select(feed.c.id, feed.c.token)).all():
        bind.execute(feed.update().where(feed.c.id == row_id)
                     .values(token_hash=hashlib.sha256(token.encode('utf-8')).hexdigest()))
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_calendar_feed_token_token'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_calendar_feed_token_token_hash'), ['token_hash'])
        batch_op.drop_column('token')

    op.create_table('unsubscribe_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kinds', sa.String(length=400), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('expires_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unsubscribe_token_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unsubscribe_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_unsubscribe_token_token_hash'))
    )
    with op.batch_alter_table('unsubscribe_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unsubscribe_token_expires_dt'), ['expires_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_unsubscribe_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unsubscribe_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unsubscribe_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_unsubscribe_token_expires_dt'))
    op.drop_table('unsubscribe_token')

    # The secrets cannot be recovered from their hashes: the feeds' addresses are dropped
    # (members create new ones).
    op.execute('DELETE FROM calendar_feed_token')
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('uq_calendar_feed_token_token_hash'), type_='unique')
        batch_op.drop_column('token_hash')
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_calendar_feed_token_token'), ['token'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
