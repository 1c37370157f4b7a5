"""contacts re-extracted by the rules of issue 24; campaigns that rested on bad ones unlinked

No schema change. Every ad's contacts are extracted again from its stored text (phones
only where they are phones: not inside a URL, an e-mail or an id, valid in the ad's
region, with a phone label or phone formatting), and ``ad_contacts``, the fingerprint and
free keys, the campaigns and the watchlist marks that rested on removed contacts follow:
store.contactcheck says how. The counts go to the log.

It runs the rules of the code it ships with (core.contactscan): a later change of the
rules that should reach stored ads needs a migration of its own.

A downgrade changes nothing: the contacts removed were wrong, and restoring them would
link unrelated ads again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from store.contactcheck import recheck_contacts

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    recheck_contacts(op.get_bind())


def downgrade() -> None:
    pass
