"""watchlist: known recruiter contacts from partners and leads, and their audit trail

``watchlist_entries`` holds one row per (kind, normalised value, source);
``watchlist_events`` every addition and removal, kept after the entry is gone.
New tables only: a downgrade drops them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KINDS = "kind IN ('phone', 'telegram', 'kakao', 'line', 'whatsapp', 'wechat', 'email', 'url', 'domain')"


def upgrade() -> None:
    op.create_table(
        'watchlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=300), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('added_by', sa.String(length=200), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f('ck_watchlist_entries_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_watchlist_entries')),
        sa.UniqueConstraint('kind', 'value', 'source', name=op.f('uq_watchlist_entries_kind_value_source')),
    )
    op.create_index('ix_watchlist_entries_value', 'watchlist_entries', ['value'], unique=False)
    op.create_table(
        'watchlist_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=300), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('added', 'removed')", name=op.f('ck_watchlist_events_action')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_watchlist_events')),
    )
    op.create_index(op.f('ix_watchlist_events_entry_id'), 'watchlist_events', ['entry_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_watchlist_events_entry_id'), table_name='watchlist_events')
    op.drop_table('watchlist_events')
    op.drop_index('ix_watchlist_entries_value', table_name='watchlist_entries')
    op.drop_table('watchlist_entries')
