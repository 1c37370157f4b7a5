"""Leases on single items: claim the item an analyst is looking at, release any claim as a lead.

``store.queue.claim`` leases the N highest-priority pending items; the desk also
claims the one item open on screen. That is one conditional UPDATE, so two
analysts pressing "claim" on the same item at the same moment cannot both get
it: the second finds the row no longer claimable and is told who holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from store.errors import LeaseHeldError, ReviewError
from store.queue import DEFAULT_LEASE, expire_leases, get_item, record_event
from store.schema import ReviewItem


class NoLeaseError(ReviewError):
    """Deciding an open item needs the analyst's own, unexpired claim on it."""


def claim_item(
    session: Session, item_id: int, actor: str, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> ReviewItem:
    """Lease one item to ``actor`` (or renew their lease); LeaseHeldError if another holds it."""
    expire_leases(session, now)
    item = get_item(session, item_id)
    if item.status not in ("pending", "in_review"):
        raise ReviewError(f"review item {item_id} is already decided ({item.status}); nothing to claim")
    old = item.status
    claimed = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            or_(ReviewItem.status == "pending", and_(ReviewItem.status == "in_review", ReviewItem.assignee == actor)),
        )
        .values(status="in_review", assignee=actor, lease_expires_at=now + lease, updated_at=now)
        .returning(ReviewItem.id)
    ).scalar()
    session.refresh(item)
    if claimed is None:
        raise LeaseHeldError(
            f"review item {item_id} is claimed by {item.assignee} until "
            f"{item.lease_expires_at.isoformat(timespec='minutes') if item.lease_expires_at else '?'}"
        )
    note = f"claimed until {(now + lease).isoformat(timespec='minutes')}"
    record_event(session, item, actor, now, old, "in_review", note if old == "pending" else f"renewed: {note}")
    return item


def require_own_lease(item: ReviewItem, actor: str, now: datetime) -> None:
    """NoLeaseError unless ``actor`` holds an unexpired lease on an open item
    (LeaseHeldError, naming them, when someone else does).

    Items already decided are not leased: who may change those is decided by the
    verdict rules of store.queue.check_decision.
    """
    if item.status not in ("pending", "in_review"):
        return
    held = item.status == "in_review" and item.lease_expires_at is not None and item.lease_expires_at > now
    if held and item.assignee != actor:
        raise LeaseHeldError(
            f"review item {item.id} is claimed by {item.assignee} until "
            f"{item.lease_expires_at.isoformat(timespec='minutes')}"
        )
    if not held:
        raise NoLeaseError(
            f"review item {item.id}: claim it first (c in the desk, review claim --item {item.id} in a terminal); "
            f"a decision needs your own claim on the item"
        )


def release_any(session: Session, item_id: int, lead: str, now: datetime) -> ReviewItem:
    """A lead gives anyone's claim back to the pool; the audit names both."""
    item = get_item(session, item_id)
    if item.status != "in_review":
        raise ReviewError(f"review item {item_id} is {item.status}, not claimed")
    holder = item.assignee
    item.status, item.assignee, item.lease_expires_at, item.updated_at = "pending", None, None, now
    record_event(session, item, lead, now, "in_review", "pending", f"released by lead {lead} (was claimed by {holder})")
    return item
