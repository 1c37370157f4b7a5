"""Storing ads: idempotent upsert on the natural key (source, external_id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.ad import AD_FIELDS, DATE_FIELDS, EXTRA, STRING_FIELDS, content_hash
from store.contacts import index_contacts
from store.errors import StoreError
from store.schema import Ad

UpsertResult = Literal["new", "updated", "unchanged"]

# What upsert_ad accepts: the ad, and the spider's extra data stored beside it.
STORED_FIELDS = (*AD_FIELDS, EXTRA)
# The longest external id the ads table holds (String(500) in store.schema).
MAX_EXTERNAL_ID = Ad.__table__.c.external_id.type.length


def _row_values(ad: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(ad) - set(STORED_FIELDS)
    if unknown:
        raise StoreError(f"ad has unknown field(s): {', '.join(sorted(unknown))}")
    for key in ("source", "external_id"):
        if not str(ad.get(key) or "").strip():
            raise StoreError(f"ad without {key} cannot be stored")
    values: dict[str, Any] = {name: str(ad.get(name) or "") for name in STRING_FIELDS}
    values.update({name: ad.get(name) for name in DATE_FIELDS})
    values.update(contacts=dict(ad.get("contacts") or {}), extra=dict(ad.get(EXTRA) or {}))
    values["content_hash"] = values["content_hash"] or content_hash(values)
    return values


def upsert_ad(session: Session, ad: Mapping[str, Any], now: datetime) -> tuple[UpsertResult, int]:
    """Insert a new ad or refresh a known one; returns (what happened, ad id).

    Re-seeing an ad bumps last_seen_at and clears removed_at; a changed
    content_hash updates the fields and counts a content change, while
    first_seen_at never moves. Safe against a concurrent insert of the same key.
    The ad's rows in the contact index follow its contacts.
    """
    values = _row_values(ad)
    key = (values["source"], values["external_id"])
    existing = session.scalars(select(Ad).where(Ad.source == key[0], Ad.external_id == key[1])).one_or_none()
    if existing is None:
        new_id = _insert_if_absent(session, values, now)
        if new_id is not None:
            index_contacts(session, new_id, values["contacts"])
            return "new", new_id
        # Another process inserted it between our select and insert.
        existing = session.scalars(select(Ad).where(Ad.source == key[0], Ad.external_id == key[1])).one()
    existing.last_seen_at = now
    existing.removed_at = None
    if existing.content_hash == values["content_hash"]:
        if values["fetched_at"] is not None:
            existing.fetched_at = values["fetched_at"]
        return "unchanged", existing.id
    for name, value in values.items():
        setattr(existing, name, value)
    existing.content_changes += 1
    index_contacts(session, existing.id, values["contacts"])
    return "updated", existing.id


def _insert_if_absent(session: Session, values: dict[str, Any], now: datetime) -> int | None:
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    row = {**values, "first_seen_at": now, "last_seen_at": now, "content_changes": 0}
    if insert is None:  # other backends: plain insert, the unique key still guards
        ad = Ad(**row)
        session.add(ad)
        session.flush()
        return ad.id
    stmt = insert(Ad).values(**row).on_conflict_do_nothing(index_elements=["source", "external_id"]).returning(Ad.id)
    return session.execute(stmt).scalar_one_or_none()


def get_ad(session: Session, source: str, external_id: str) -> Ad | None:
    """The ad with this natural key, if stored."""
    return session.scalars(select(Ad).where(Ad.source == source, Ad.external_id == external_id)).one_or_none()
