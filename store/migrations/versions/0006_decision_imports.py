"""decision imports: every import of a filled-in export recorded, so it can be undone

``decision_imports`` holds one row per import (file name, sha256, analyst, time, row
count); ``decision_import_changes`` what each import changed on each item, with the
item's earlier state. New tables only: a downgrade drops them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'decision_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=500), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('analyst', sa.String(length=200), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('applied', sa.Integer(), nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('undone_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_imports')),
    )
    op.create_table(
        'decision_import_changes',
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('old_status', sa.String(length=16), nullable=False),
        sa.Column('old_decided_by', sa.String(length=200), nullable=True),
        sa.Column('old_decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('old_note', sa.Text(), nullable=True),
        sa.Column('old_assignee', sa.String(length=200), nullable=True),
        sa.Column('old_lease_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['event_id'],
            ['review_events.id'],
            name=op.f('fk_decision_import_changes_event_id_review_events'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['import_id'],
            ['decision_imports.id'],
            name=op.f('fk_decision_import_changes_import_id_decision_imports'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['item_id'],
            ['review_items.id'],
            name=op.f('fk_decision_import_changes_item_id_review_items'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('import_id', 'item_id', name=op.f('pk_decision_import_changes')),
    )


def downgrade() -> None:
    op.drop_table('decision_import_changes')
    op.drop_table('decision_imports')
