"""campaigns: ads linked by shared contacts or near-duplicate text

Self-contained (new tables only), so it can be re-pointed after another
migration without changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    op.create_table(
        'ad_fingerprints',
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('minhash', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['ad_id'], ['ads.id'], name=op.f('fk_ad_fingerprints_ad_id_ads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ad_id', name=op.f('pk_ad_fingerprints')),
    )
    op.create_table(
        'campaign_members',
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ad_id'], ['ads.id'], name=op.f('fk_campaign_members_ad_id_ads'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['campaign_id'],
            ['campaigns.id'],
            name=op.f('fk_campaign_members_campaign_id_campaigns'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('ad_id', name=op.f('pk_campaign_members')),
    )
    with op.batch_alter_table('campaign_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_members_campaign_id'), ['campaign_id'], unique=False)

    op.create_table(
        'fingerprint_keys',
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['ad_id'], ['ads.id'], name=op.f('fk_fingerprint_keys_ad_id_ads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ad_id', 'key', name=op.f('pk_fingerprint_keys')),
    )
    with op.batch_alter_table('fingerprint_keys', schema=None) as batch_op:
        batch_op.create_index('ix_fingerprint_keys_key', ['key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fingerprint_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_fingerprint_keys_key')

    op.drop_table('fingerprint_keys')
    with op.batch_alter_table('campaign_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_members_campaign_id'))

    op.drop_table('campaign_members')
    op.drop_table('ad_fingerprints')
    op.drop_table('campaigns')
