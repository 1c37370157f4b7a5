"""accounts of the review desk, login failures, and the normalised contact index

``users`` and ``login_failures`` are new and start empty (``pipeline.py users add``).
``review_items`` gains indexes on ``created_at`` and ``decided_at`` (trends) and on the
queue's order; ``ads`` on ``first_seen_at`` and ``country`` (the desk's filters).
``ad_contacts`` is filled from every stored ad's contacts, normalised by
store.contacts (phone numbers in E.164), so a search of an upgraded database finds
the ads crawled before the upgrade. A downgrade drops the three tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.contacts import index_rows

BATCH = 1000


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('client', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')),
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_name_at', ['name', 'at'], unique=False)

    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('session_epoch', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('analyst', 'lead')", name=op.f('ck_users_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('name', name=op.f('uq_users_name')),
    )
    op.create_table(
        'ad_contacts',
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['ad_id'], ['ads.id'], name=op.f('fk_ad_contacts_ad_id_ads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ad_id', 'kind', 'value', name=op.f('pk_ad_contacts')),
    )
    with op.batch_alter_table('ad_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_ad_contacts_value_kind', ['value', 'kind'], unique=False)

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_review_items_decided_at', ['decided_at'], unique=False)
        batch_op.create_index(
            'ix_review_items_queue_order', ['status', sa.literal_column('priority DESC'), 'id'], unique=False
        )
    with op.batch_alter_table('ads', schema=None) as batch_op:
        batch_op.create_index('ix_ads_country', ['country'], unique=False)
        batch_op.create_index('ix_ads_first_seen_at', ['first_seen_at'], unique=False)

    _backfill_contacts()


def _backfill_contacts() -> None:
    """Index the contacts of every ad already stored, a batch of ads at a time."""
    conn = op.get_bind()
    ads = sa.table('ads', sa.column('id', sa.Integer()), sa.column('contacts', sa.JSON()))
    rows = sa.table(
        'ad_contacts', sa.column('ad_id', sa.Integer()), sa.column('kind', sa.String()), sa.column('value', sa.String())
    )
    last = 0
    while True:
        batch = conn.execute(
            sa.select(ads.c.id, ads.c.contacts).where(ads.c.id > last).order_by(ads.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        values = [
            {"ad_id": ad_id, "kind": kind, "value": value}
            for ad_id, contacts in batch
            for kind, value in sorted(index_rows(contacts if isinstance(contacts, dict) else {}))
        ]
        if values:
            conn.execute(rows.insert(), values)
        last = batch[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('ads', schema=None) as batch_op:
        batch_op.drop_index('ix_ads_first_seen_at')
        batch_op.drop_index('ix_ads_country')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_queue_order')
        batch_op.drop_index('ix_review_items_decided_at')
        batch_op.drop_index('ix_review_items_created_at')

    with op.batch_alter_table('ad_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_ad_contacts_value_kind')

    op.drop_table('ad_contacts')
    op.drop_table('users')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_name_at')
        batch_op.drop_index('ix_login_failures_client_at')

    op.drop_table('login_failures')
