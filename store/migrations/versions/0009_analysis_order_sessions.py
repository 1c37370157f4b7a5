"""analysis kept with each score, one queue order, desk sessions revoked on logout, OS user in the audit

- ``scores.analysis`` (JSON: the model text's sha256, pay, destination, contacts) and
  ``scores.content_hash`` (the ad's, when scored). Existing scores get NULL in both, so
  the next ``score`` scores those ads again and stores what they lack (README, "Analysis").
- ``review_items.band_rank``: the band of the ad's newest score as a number (0 critical),
  filled here from the scores; the queue's order index becomes (status, band_rank,
  priority desc, created_at, id): store.order.
- ``review_events.os_user`` and ``decision_imports.os_user``: the operating-system user who
  ran a command, beside the ``--analyst`` name it gave.
- ``desk_sessions``: one row per login; logging out ends it on the server.

A downgrade drops all of it (the old index comes back).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# core.bands.BANDS, riskiest first, as of this migration (a migration never imports the code).
BANDS = ('critical', 'high', 'medium', 'low')
RANK_OF_NEWEST = (
    "COALESCE((SELECT CASE s.band "
    + " ".join(f"WHEN '{band}' THEN {rank}" for rank, band in enumerate(BANDS))
    + f" ELSE {len(BANDS)} END FROM scores s WHERE s.ad_id = review_items.ad_id "
    f"ORDER BY s.scored_at DESC, s.id DESC LIMIT 1), {len(BANDS)})"
)


def upgrade() -> None:
    with op.batch_alter_table('scores') as batch:
        batch.add_column(sa.Column('analysis', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
    op.drop_index('ix_review_items_queue_order', table_name='review_items')
    with op.batch_alter_table('review_items') as batch:
        batch.add_column(sa.Column('band_rank', sa.Integer(), nullable=False, server_default=str(len(BANDS))))
    op.execute(sa.text(f"UPDATE review_items SET band_rank = {RANK_OF_NEWEST}"))
    op.create_index(
        'ix_review_items_queue_order',
        'review_items',
        ['status', 'band_rank', sa.text('priority DESC'), 'created_at', 'id'],
        unique=False,
    )
    with op.batch_alter_table('review_events') as batch:
        batch.add_column(sa.Column('os_user', sa.String(length=200), nullable=True))
    with op.batch_alter_table('decision_imports') as batch:
        batch.add_column(sa.Column('os_user', sa.String(length=200), nullable=True))
    op.create_table(
        'desk_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_desk_sessions_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_sessions')),
    )
    op.create_index(op.f('ix_desk_sessions_user_id'), 'desk_sessions', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_desk_sessions_user_id'), table_name='desk_sessions')
    op.drop_table('desk_sessions')
    with op.batch_alter_table('decision_imports') as batch:
        batch.drop_column('os_user')
    with op.batch_alter_table('review_events') as batch:
        batch.drop_column('os_user')
    op.drop_index('ix_review_items_queue_order', table_name='review_items')
    with op.batch_alter_table('review_items') as batch:
        batch.drop_column('band_rank')
    op.create_index(
        'ix_review_items_queue_order', 'review_items', ['status', sa.text('priority DESC'), 'id'], unique=False
    )
    with op.batch_alter_table('scores') as batch:
        batch.drop_column('content_hash')
        batch.drop_column('analysis')
