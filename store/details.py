"""Reading around one item for the desk: who holds what, its neighbours, its campaign, its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.browse import OPEN, after_clause, item_rows
from store.listing import QueueRow
from store.order import queue_keys, queue_order, reversed_order
from store.schema import Ad, CampaignMember, ReviewEvent, ReviewItem, Score


def item_of_ad(session: Session, ad_id: int) -> int | None:
    """The review item of an ad, if it was ever queued."""
    return session.scalar(select(ReviewItem.id).where(ReviewItem.ad_id == ad_id))


def held_by(session: Session, actor: str, now: datetime) -> list[int]:
    """Items leased to ``actor`` and not expired, in the queue's order."""
    return list(
        session.scalars(
            select(ReviewItem.id)
            .where(ReviewItem.status == "in_review", ReviewItem.assignee == actor, ReviewItem.lease_expires_at > now)
            .order_by(*queue_order())
        )
    )


def claims(session: Session, now: datetime) -> list[QueueRow]:
    """Every unexpired lease: who holds what, until when (soonest to end first)."""
    ids = session.scalars(
        select(ReviewItem.id)
        .where(ReviewItem.status == "in_review", ReviewItem.lease_expires_at > now)
        .order_by(ReviewItem.lease_expires_at, ReviewItem.id)
    )
    return item_rows(session, list(ids))


def neighbours(session: Session, item: QueueRow) -> tuple[int | None, int | None]:
    """(previous, next) open item around this one in the queue's order (store.order)."""
    keys = queue_keys()
    here = (item.band_rank, item.priority, item.created_at, item.review_id)
    backwards = [(column, not descending) for column, descending in keys]
    pending = ReviewItem.status.in_(OPEN)
    nxt = session.scalar(
        select(ReviewItem.id).where(pending, after_clause(keys, here)).order_by(*queue_order()).limit(1)
    )
    prev = session.scalar(
        select(ReviewItem.id).where(pending, after_clause(backwards, here)).order_by(*reversed_order()).limit(1)
    )
    return prev, nxt


@dataclass(frozen=True)
class Member:
    """One ad of a campaign, for its page and timeline."""

    ad_id: int
    title: str
    source: str
    country: str
    url: str
    first_seen: datetime
    last_seen: datetime
    removed: datetime | None
    joined: datetime
    reason: str
    review_id: int | None
    status: str | None
    decided_by: str | None
    score: float | None
    band: str


def campaign_members(session: Session, campaign_id: int, limit: int | None = None) -> list[Member]:
    """The ads of a campaign, first seen first (the first ``limit``), with why each was linked
    and its item's status. Columns, not whole rows: an ad's description is not needed here."""
    query = (
        select(Ad.id, Ad.title, Ad.source, Ad.country, Ad.url, Ad.first_seen_at, Ad.last_seen_at, Ad.removed_at,
               CampaignMember.joined_at, CampaignMember.reason, ReviewItem.id, ReviewItem.status,
               ReviewItem.decided_by)
        .select_from(CampaignMember)
        .join(Ad, Ad.id == CampaignMember.ad_id)
        .outerjoin(ReviewItem, ReviewItem.ad_id == CampaignMember.ad_id)
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(Ad.first_seen_at, Ad.id)
    )  # fmt: skip
    found = session.execute(query if limit is None else query.limit(limit)).all()
    newest: dict[int, tuple[float, str]] = {}
    for ad_id, value, band in session.execute(
        select(Score.ad_id, Score.score, Score.band)
        .where(Score.ad_id.in_([row[0] for row in found]))
        .order_by(Score.scored_at, Score.id)
    ):
        newest[ad_id] = (value, band)  # the newest wins
    return [Member(*row, *newest.get(row[0], (None, ""))) for row in found]


def history(session: Session, item_id: int) -> list[ReviewEvent]:
    """The item's audit trail, newest first (what a page shows)."""
    return list(
        session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.item_id == item_id)
            .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc())
        )
    )
