"""campaign and free keys: linking reads a bounded number of rows per ad

``campaign_keys`` holds one row per (key, campaign) and ``free_keys`` the keys of
ads in no campaign, so linking a new ad no longer reads every ad that shares a
key (all of them, for templated reposts). Both are filled from the existing
``campaign_members`` and ``fingerprint_keys`` so an upgraded database keeps
linking into the campaigns it has. ``fingerprint_keys`` is unchanged and stays
complete, so a downgrade only drops the two tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The representative of a (key, campaign) is its lowest ad id: link_ads keeps whichever member
# brought the key first, which is usually but not always the lowest id; either serves as a
# representative for near-duplicate checks.
BACKFILL_CAMPAIGN_KEYS = """
INSERT INTO campaign_keys (key, campaign_id, ad_id)
SELECT fk.key, cm.campaign_id, MIN(fk.ad_id)
FROM fingerprint_keys fk JOIN campaign_members cm ON cm.ad_id = fk.ad_id
GROUP BY fk.key, cm.campaign_id
"""
BACKFILL_FREE_KEYS = """
INSERT INTO free_keys (key, ad_id)
SELECT fk.key, fk.ad_id FROM fingerprint_keys fk
WHERE NOT EXISTS (SELECT 1 FROM campaign_members cm WHERE cm.ad_id = fk.ad_id)
"""


def upgrade() -> None:
    op.create_table(
        'campaign_keys',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_keys_campaign_id_campaigns'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('key', 'campaign_id', name=op.f('pk_campaign_keys')),
    )
    with op.batch_alter_table('campaign_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_keys_campaign_id'), ['campaign_id'], unique=False)

    op.create_table(
        'free_keys',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('ad_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ad_id'], ['ads.id'], name=op.f('fk_free_keys_ad_id_ads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'ad_id', name=op.f('pk_free_keys')),
    )
    with op.batch_alter_table('free_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_free_keys_ad_id'), ['ad_id'], unique=False)

    op.execute(sa.text(BACKFILL_CAMPAIGN_KEYS))
    op.execute(sa.text(BACKFILL_FREE_KEYS))


def downgrade() -> None:
    with op.batch_alter_table('free_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_free_keys_ad_id'))

    op.drop_table('free_keys')
    with op.batch_alter_table('campaign_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_keys_campaign_id'))

    op.drop_table('campaign_keys')
