"""The contact index: one row per (ad, kind, normalised value) in ``ad_contacts``.

Kept in step with each ad's contacts by store.ads.upsert_ad (and filled for ads
stored before it by migration 0005), so finding every ad with a phone number,
handle, open-chat link, email or domain is one index lookup (store.search).
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from core.contacts import index_rows
from store.schema import AdContact

_TABLE = AdContact.__table__
_DELETE = _TABLE.delete().where(_TABLE.c.ad_id == bindparam("ad_id"))
_INSERT = _TABLE.insert()


def index_contacts(session: Session, ad_id: int, contacts: Mapping[str, Any] | None) -> None:
    """Replace an ad's rows in the contact index with those of ``contacts``."""
    session.execute(_DELETE, {"ad_id": ad_id})
    rows = sorted(index_rows(contacts))
    if rows:
        session.execute(_INSERT, [{"ad_id": ad_id, "kind": k, "value": v} for k, v in rows])


def index_new_ads(session: Session, contacts_by_ad: Mapping[int, Mapping[str, Any] | None]) -> None:
    """Index the contacts of ads just inserted (no rows to replace), in one executemany."""
    rows = [
        {"ad_id": ad_id, "kind": k, "value": v}
        for ad_id, contacts in contacts_by_ad.items()
        for k, v in sorted(index_rows(contacts))
    ]
    if rows:
        session.execute(_INSERT, rows)
