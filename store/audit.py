"""Reading the audit trail: the review log with filters, and who holds which claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.schema import Ad, ReviewEvent, ReviewItem


@dataclass(frozen=True)
class LogEntry:
    """One audit event with the item's ad title."""

    id: int
    at: datetime
    actor: str
    item_id: int
    old_status: str | None
    new_status: str
    note: str | None
    model_version: str | None
    title: str
    os_user: str | None = None  # who ran the command, when it came from a shell


def review_log(
    session: Session,
    *,
    analyst: str | None = None,
    since: datetime | None = None,
    item_id: int | None = None,
    limit: int = 200,
) -> list[LogEntry]:
    """The latest ``limit`` audit events matching the filters, oldest first."""
    query = select(ReviewEvent, Ad.title).join(ReviewItem, ReviewItem.id == ReviewEvent.item_id)
    query = query.join(Ad, Ad.id == ReviewItem.ad_id)
    if analyst:
        query = query.where(ReviewEvent.actor == analyst)
    if since is not None:
        query = query.where(ReviewEvent.at >= since)
    if item_id is not None:
        query = query.where(ReviewEvent.item_id == item_id)
    rows = session.execute(query.order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc()).limit(limit)).all()
    return [
        LogEntry(e.id, e.at, e.actor, e.item_id, e.old_status, e.new_status, e.note, e.model_version, title, e.os_user)
        for e, title in reversed(rows)
    ]


@dataclass(frozen=True)
class Claim:
    """A review item leased to an analyst, and until when."""

    item_id: int
    holder: str
    expires_at: datetime | None
    title: str


def active_claims(session: Session, now: datetime) -> list[Claim]:
    """Items in review under a lease that has not expired, soonest expiry first."""
    query = (
        select(ReviewItem.id, ReviewItem.assignee, ReviewItem.lease_expires_at, Ad.title)
        .join(Ad, Ad.id == ReviewItem.ad_id)
        .where(ReviewItem.status == "in_review", ReviewItem.lease_expires_at >= now)
        .order_by(ReviewItem.lease_expires_at, ReviewItem.id)
    )
    return [Claim(i, holder or "", expires, title) for i, holder, expires, title in session.execute(query).all()]
