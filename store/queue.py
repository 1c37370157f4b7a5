"""The review queue: list, claim with a lease, release, decide; every change audited.

Claiming is safe with many analysts at once: PostgreSQL locks the chosen rows
with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers, and the claim is
one conditional UPDATE that only takes rows still claimable. Data functions
take a Session and never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.campaigns import campaign_sizes, scam_campaigns
from store.errors import (
    DecisionConflictError, LeaseHeldError, NoteRequiredError, NotFoundError, ReviewError,
    UnknownDecisionError,
)
from store.schema import DECISIONS, REVIEW_STATUSES, Ad, CampaignMember, ReviewEvent, ReviewItem, Score

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "lurewatch"
NOTE_REQUIRED_SCORE = 0.9      # clearing an ad this risky must say why
DEFAULT_LEASE = timedelta(minutes=30)
UNDECIDED = ("pending", "in_review")


@dataclass(frozen=True)
class QueueFilter:
    """Which review items to list or export; None means no restriction."""

    statuses: tuple[str, ...] | None = ("pending",)
    min_score: float | None = None
    source: str | None = None
    country: str | None = None
    since: datetime | None = None
    campaign: int | None = None


@dataclass(frozen=True)
class QueueRow:
    """One review item with its ad, current score and campaign."""

    review_id: int
    ad_id: int
    status: str
    priority: float
    score: float | None
    band: str
    reasons: list[dict[str, Any]]
    model_version: str | None
    title: str
    company: str
    location: str
    country: str
    salary: str
    description: str
    contacts: dict[str, Any]
    url: str
    source: str
    first_seen: datetime
    campaign_id: int | None
    campaign_size: int
    campaign_scam: bool
    assignee: str | None
    lease_expires_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


def normalise_decision(word: str) -> str:
    """'Scam ', 'LEGIT', 'needs-info' -> the stored decision; UnknownDecisionError otherwise."""
    value = str(word or "").strip().lower().replace("-", "_").replace(" ", "_")
    if value not in DECISIONS:
        raise UnknownDecisionError(
            f"unknown decision {str(word).strip()!r} (expected {', '.join(DECISIONS)})")
    return value


def latest_scores():  # type: ignore[no-untyped-def]
    """Subquery: each ad's most recent score (any model version)."""
    ranked = select(
        Score.ad_id, Score.score, Score.band, Score.reasons, Score.model_version,
        func.row_number().over(partition_by=Score.ad_id,
                               order_by=(Score.scored_at.desc(), Score.id.desc())).label("rank"),
    ).subquery()
    return select(ranked).where(ranked.c.rank == 1).subquery("latest")


def list_items(session: Session, filters: QueueFilter = QueueFilter(),
               limit: int | None = None, item_ids: Sequence[int] | None = None) -> list[QueueRow]:
    """Review items matching ``filters``, highest priority first."""
    for status in filters.statuses or ():
        if status not in REVIEW_STATUSES:
            raise ReviewError(f"unknown status {status!r} (expected {', '.join(REVIEW_STATUSES)})")
    latest = latest_scores()
    query = (select(ReviewItem, Ad, latest.c.score, latest.c.band, latest.c.reasons,
                    latest.c.model_version, CampaignMember.campaign_id)
             .join(Ad, Ad.id == ReviewItem.ad_id)
             .outerjoin(latest, latest.c.ad_id == ReviewItem.ad_id)
             .outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id))
    if filters.statuses:
        query = query.where(ReviewItem.status.in_(filters.statuses))
    if filters.min_score is not None:
        query = query.where(latest.c.score >= filters.min_score)
    if filters.source:
        query = query.where(Ad.source == filters.source)
    if filters.country:
        query = query.where(func.upper(Ad.country) == filters.country.upper())
    if filters.since is not None:
        query = query.where(Ad.first_seen_at >= filters.since)
    if filters.campaign is not None:
        query = query.where(CampaignMember.campaign_id == filters.campaign)
    if item_ids is not None:
        query = query.where(ReviewItem.id.in_(list(item_ids)))
    query = query.order_by(ReviewItem.priority.desc(), ReviewItem.id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    campaigns = {r[6] for r in rows if r[6] is not None}
    sizes, scam = campaign_sizes(session, campaigns), scam_campaigns(session, campaigns)
    return [_queue_row(r, sizes, scam) for r in rows]


def _queue_row(r: Any, sizes: dict[int, int], scam: set[int]) -> QueueRow:
    item, ad, score, band, reasons, version, campaign = r
    return QueueRow(
        review_id=item.id, ad_id=ad.id, status=item.status, priority=item.priority,
        score=score, band=band or "", reasons=list(reasons or []), model_version=version,
        title=ad.title, company=ad.company, location=ad.location, country=ad.country,
        salary=ad.salary, description=ad.description, contacts=dict(ad.contacts or {}),
        url=ad.url, source=ad.source, first_seen=ad.first_seen_at, campaign_id=campaign,
        campaign_size=sizes.get(campaign, 0) if campaign else 0,
        campaign_scam=campaign in scam, assignee=item.assignee,
        lease_expires_at=item.lease_expires_at, decided_by=item.decided_by,
        decided_at=item.decided_at, note=item.note)


def collapse_campaigns(rows: Sequence[QueueRow]) -> list[tuple[QueueRow, int]]:
    """One row per campaign (its highest-priority item) with how many listed items it stands for."""
    out: list[tuple[QueueRow, int]] = []
    index: dict[int, int] = {}
    for row in rows:
        if row.campaign_id is None:
            out.append((row, 1))
        elif row.campaign_id in index:
            first, n = out[index[row.campaign_id]]
            out[index[row.campaign_id]] = (first, n + 1)
        else:
            index[row.campaign_id] = len(out)
            out.append((row, 1))
    return out


# ------------------------------------------------------------------ changes

def _event(session: Session, item: ReviewItem, actor: str, now: datetime, old: str | None,
           new: str, note: str | None = None) -> None:
    version = session.scalar(select(Score.model_version).where(Score.ad_id == item.ad_id)
                             .order_by(Score.scored_at.desc(), Score.id.desc()).limit(1))
    session.add(ReviewEvent(item_id=item.id, actor=actor, at=now, old_status=old, new_status=new,
                            note=note, model_version=version))


def get_item(session: Session, item_id: int) -> ReviewItem:
    """The review item, or NotFoundError."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFoundError(f"review item {item_id} does not exist")
    return item


def expire_leases(session: Session, now: datetime) -> int:
    """Return items whose lease ran out to the pending pool; returns how many."""
    expired = session.execute(
        update(ReviewItem)
        .where(ReviewItem.status == "in_review", ReviewItem.lease_expires_at < now)
        .values(status="pending", assignee=None, lease_expires_at=None, updated_at=now)
        .returning(ReviewItem.id)).scalars().all()
    for item_id in expired:
        _event(session, get_item(session, item_id), SYSTEM_ACTOR, now, "in_review", "pending",
               "lease expired")
    return len(expired)


def claim(session: Session, actor: str, n: int, now: datetime,
          lease: timedelta = DEFAULT_LEASE) -> list[int]:
    """Lease up to ``n`` pending items (highest priority first) to ``actor``; their ids."""
    if n <= 0:
        raise ReviewError(f"claim needs a positive number of items, got {n}")
    expire_leases(session, now)
    candidates = (select(ReviewItem.id).where(ReviewItem.status == "pending")
                  .order_by(ReviewItem.priority.desc(), ReviewItem.id).limit(n))
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalars(candidates.with_for_update(skip_locked=True)).all()
        if not ids:
            return []
        where = ReviewItem.id.in_(ids)
    else:
        # One statement: SQLite takes the write lock before reading, so two
        # claimers can never both see the same row as pending.
        where = ReviewItem.id.in_(candidates.scalar_subquery())
    claimed = session.execute(
        update(ReviewItem).where(where, ReviewItem.status == "pending")
        .values(status="in_review", assignee=actor, lease_expires_at=now + lease, updated_at=now)
        .returning(ReviewItem.id)).scalars().all()
    for item_id in sorted(claimed):
        item = get_item(session, item_id)
        session.refresh(item)
        _event(session, item, actor, now, "pending", "in_review",
               f"claimed until {(now + lease).isoformat(timespec='minutes')}")
    return sorted(claimed)


def release(session: Session, item_id: int, actor: str, now: datetime) -> ReviewItem:
    """Give a claimed item back to the pool (only its holder, or anyone once the lease expired)."""
    item = get_item(session, item_id)
    if item.status != "in_review":
        raise ReviewError(f"review item {item_id} is {item.status}, not claimed")
    _check_lease(item, actor, now)
    item.status, item.assignee, item.lease_expires_at, item.updated_at = "pending", None, None, now
    _event(session, item, actor, now, "in_review", "pending", "released")
    return item


def _check_lease(item: ReviewItem, actor: str, now: datetime) -> None:
    if (item.status == "in_review" and item.assignee and item.assignee != actor
            and item.lease_expires_at is not None and item.lease_expires_at > now):
        raise LeaseHeldError(f"review item {item.id} is claimed by {item.assignee} until "
                             f"{item.lease_expires_at.isoformat(timespec='minutes')}")


def current_score(session: Session, ad_id: int) -> float | None:
    """The ad's most recent score."""
    return session.scalar(select(Score.score).where(Score.ad_id == ad_id)
                          .order_by(Score.scored_at.desc(), Score.id.desc()).limit(1))


def check_decision(session: Session, item: ReviewItem, word: str, actor: str,
                   note: str | None, now: datetime) -> str | None:
    """Validate a decision without changing anything.

    Returns the normalised decision, or None when the item already carries it.
    Raises UnknownDecisionError, LeaseHeldError, DecisionConflictError or NoteRequiredError.
    """
    decision = normalise_decision(word)
    _check_lease(item, actor, now)
    if item.status == decision:
        return None
    if item.status in DECISIONS and item.decided_by and item.decided_by != actor:
        raise DecisionConflictError(
            f"review item {item.id} already decided {item.status} by {item.decided_by}")
    if decision == "legit" and not (note or "").strip():
        score = current_score(session, item.ad_id)
        if score is not None and score >= NOTE_REQUIRED_SCORE:
            raise NoteRequiredError(f"review item {item.id} scored {score:.2f}: clearing it as "
                                    f"legit needs a note saying why")
    return decision


def decide(session: Session, item_id: int, word: str, actor: str, now: datetime,
           note: str | None = None) -> ReviewItem:
    """Record an analyst's decision (scam, legit, needs_info, skipped; any case) with a note."""
    item = get_item(session, item_id)
    decision = check_decision(session, item, word, actor, note, now)
    if decision is not None:
        apply_decision(session, item, decision, actor, now, note)
    return item


def apply_decision(session: Session, item: ReviewItem, decision: str, actor: str,
                   now: datetime, note: str | None, via: str | None = None) -> None:
    """Write a validated decision and its audit event (``via``: where it came from)."""
    old = item.status
    item.status, item.decided_by, item.decided_at, item.updated_at = decision, actor, now, now
    item.assignee, item.lease_expires_at = None, None
    if note and note.strip():
        item.note = note.strip()
    _event(session, item, actor, now, old, decision,
           " | ".join(p for p in (via, (note or "").strip()) if p) or None)


def decide_campaign(session: Session, campaign_id: int, word: str, actor: str, now: datetime,
                    note: str | None = None) -> dict[str, int]:
    """Decide every undecided ad of a campaign at once; earlier decisions are kept.

    Member ads never queued get an item carrying the decision, so the audit log
    and retraining see every ad of the campaign. Validates all before changing any.
    """
    decision = normalise_decision(word)
    ad_ids = list(session.scalars(select(CampaignMember.ad_id)
                                  .where(CampaignMember.campaign_id == campaign_id)))
    if not ad_ids:
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    items = {i.ad_id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.ad_id.in_(ad_ids)))}
    todo: list[tuple[int, ReviewItem | None]] = []
    counts = {"decided": 0, "created": 0, "kept": 0}
    for ad_id in sorted(ad_ids):
        item = items.get(ad_id)
        if item is not None and item.status in DECISIONS:
            counts["kept"] += 1
            continue
        if item is not None:
            _check_lease(item, actor, now)
        if decision == "legit" and not (note or "").strip():
            score = current_score(session, ad_id)
            if score is not None and score >= NOTE_REQUIRED_SCORE:
                raise NoteRequiredError(f"campaign {campaign_id}: ad {ad_id} scored {score:.2f}; "
                                        f"clearing it as legit needs a note saying why")
        todo.append((ad_id, item))
    for ad_id, item in todo:
        if item is None:
            item = ReviewItem(ad_id=ad_id, status="pending", priority=current_score(session, ad_id) or 0.0,
                              created_at=now, updated_at=now)
            session.add(item)
            session.flush()
            counts["created"] += 1
        apply_decision(session, item, decision, actor, now,
                       f"campaign {campaign_id}: {note.strip()}" if note and note.strip()
                       else f"campaign {campaign_id}")
        counts["decided"] += 1
    session.flush()
    return counts


def item_events(session: Session, item_id: int) -> list[ReviewEvent]:
    """The audit trail of one item, oldest first."""
    return list(session.scalars(select(ReviewEvent).where(ReviewEvent.item_id == item_id)
                                .order_by(ReviewEvent.at, ReviewEvent.id)))


__all__ = ["QueueFilter", "QueueRow", "list_items", "collapse_campaigns", "claim", "release",
           "decide", "decide_campaign", "expire_leases", "normalise_decision", "check_decision",
           "apply_decision", "get_item", "item_events", "current_score"]
