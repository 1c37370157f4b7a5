"""critical band: scores.band may be 'critical' (flagged, and near-certain or very severe)

Only the CHECK constraint on ``scores.band`` changes; SQLite cannot alter a constraint,
so batch mode copies the table there. A downgrade turns every 'critical' score into
'high' (the band such ads had before) and restores the three-band constraint.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

FOUR_BANDS = "band IN ('critical', 'high', 'medium', 'low')"
THREE_BANDS = "band IN ('low', 'medium', 'high')"


def _replace_band_check(condition: str) -> None:
    with op.batch_alter_table('scores') as batch:
        batch.drop_constraint(op.f('ck_scores_band'), type_='check')
        batch.create_check_constraint(op.f('ck_scores_band'), condition)


def upgrade() -> None:
    _replace_band_check(FOUR_BANDS)


def downgrade() -> None:
    op.execute(sa.text("UPDATE scores SET band = 'high' WHERE band = 'critical'"))
    _replace_band_check(THREE_BANDS)
