"""The review queue: claim with a lease, release, decide; every change audited.

Reading the queue lives in store.listing.

Claiming is safe with many analysts at once: PostgreSQL locks the chosen rows
with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers, and the claim is
one conditional UPDATE that only takes rows still claimable. Data functions
take a Session and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.cleantext import strip_controls
from store.errors import (
    DecisionConflictError,
    LeaseHeldError,
    NoteRequiredError,
    NoteTooLongError,
    NotFoundError,
    ReviewError,
    UnknownDecisionError,
)
from store.order import queue_order, rank_of
from store.schema import DECISIONS, CampaignMember, ReviewEvent, ReviewItem, Score

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "lurewatch"
# A command run from a shell puts the operating-system user in its session's info under this
# key (stages.review); every audit event and import recorded in that transaction carries it
# beside the --analyst name, which anyone can type. The desk's actors are logged-in accounts.
OS_USER = "lurewatch_os_user"
NOTE_REQUIRED_SCORE = 0.9  # clearing an ad this risky must say why
MAX_NOTE_CHARS = 5_000  # a note says why in a few sentences; an XLSX cell holds 32,767
DEFAULT_LEASE = timedelta(minutes=30)
FINAL_DECISIONS = ("scam", "legit")


def normalise_decision(word: str) -> str:
    """'Scam ', 'LEGIT', 'needs-info' -> the stored decision; UnknownDecisionError otherwise."""
    value = str(word or "").strip().lower().replace("-", "_").replace(" ", "_")
    if value not in DECISIONS:
        raise UnknownDecisionError(f"unknown decision {str(word).strip()!r} (expected {', '.join(DECISIONS)})")
    return value


# ------------------------------------------------------------------ changes


def record_event(
    session: Session, item: ReviewItem, actor: str, now: datetime, old: str | None, new: str, note: str | None = None
) -> ReviewEvent:
    """Append one change of an item to the audit log, with the model version that scored its ad; the event."""
    version = session.scalar(
        select(Score.model_version)
        .where(Score.ad_id == item.ad_id)
        .order_by(Score.scored_at.desc(), Score.id.desc())
        .limit(1)
    )
    event = ReviewEvent(
        item_id=item.id,
        actor=actor,
        at=now,
        old_status=old,
        new_status=new,
        note=note,
        model_version=version,
        os_user=session.info.get(OS_USER),
    )
    session.add(event)
    return event


def get_item(session: Session, item_id: int) -> ReviewItem:
    """The review item, or NotFoundError."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFoundError(f"review item {item_id} does not exist")
    return item


def expire_leases(session: Session, now: datetime) -> int:
    """Return items whose lease ran out to the pending pool; returns how many."""
    expired = (
        session.execute(
            update(ReviewItem)
            .where(ReviewItem.status == "in_review", ReviewItem.lease_expires_at < now)
            .values(status="pending", assignee=None, lease_expires_at=None, updated_at=now)
            .returning(ReviewItem.id)
        )
        .scalars()
        .all()
    )
    for item_id in expired:
        record_event(session, get_item(session, item_id), SYSTEM_ACTOR, now, "in_review", "pending", "lease expired")
    return len(expired)


def claim(session: Session, actor: str, n: int, now: datetime, lease: timedelta = DEFAULT_LEASE) -> list[int]:
    """Lease up to ``n`` pending items, the first in the queue's order (store.order), to ``actor``;
    their ids, in that order."""
    if n <= 0:
        raise ReviewError(f"claim needs a positive number of items, got {n}")
    expire_leases(session, now)
    candidates = select(ReviewItem.id).where(ReviewItem.status == "pending").order_by(*queue_order()).limit(n)
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalars(candidates.with_for_update(skip_locked=True)).all()
        if not ids:
            return []
        where = ReviewItem.id.in_(ids)
    else:
        # One statement: SQLite takes the write lock before reading, so two
        # claimers can never both see the same row as pending.
        where = ReviewItem.id.in_(candidates.scalar_subquery())
    claimed = (
        session.execute(
            update(ReviewItem)
            .where(where, ReviewItem.status == "pending")
            .values(status="in_review", assignee=actor, lease_expires_at=now + lease, updated_at=now)
            .returning(ReviewItem.id)
        )
        .scalars()
        .all()
    )
    claimed = _in_queue_order(session, claimed)  # the events, and the list returned, in the queue's order
    for item_id in claimed:
        item = get_item(session, item_id)
        session.refresh(item)
        record_event(
            session,
            item,
            actor,
            now,
            "pending",
            "in_review",
            f"claimed until {(now + lease).isoformat(timespec='minutes')}",
        )
    return claimed


def _in_queue_order(session: Session, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return list(session.scalars(select(ReviewItem.id).where(ReviewItem.id.in_(ids)).order_by(*queue_order())))


def release(session: Session, item_id: int, actor: str, now: datetime) -> ReviewItem:
    """Give a claimed item back to the pool (only its holder, or anyone once the lease expired)."""
    item = get_item(session, item_id)
    if item.status != "in_review":
        raise ReviewError(f"review item {item_id} is {item.status}, not claimed")
    _check_lease(item, actor, now)
    item.status, item.assignee, item.lease_expires_at, item.updated_at = "pending", None, None, now
    record_event(session, item, actor, now, "in_review", "pending", "released")
    return item


def _check_lease(item: ReviewItem, actor: str, now: datetime) -> None:
    if (
        item.status == "in_review"
        and item.assignee
        and item.assignee != actor
        and item.lease_expires_at is not None
        and item.lease_expires_at > now
    ):
        raise LeaseHeldError(
            f"review item {item.id} is claimed by {item.assignee} until "
            f"{item.lease_expires_at.isoformat(timespec='minutes')}"
        )


def current_score(session: Session, ad_id: int) -> float | None:
    """The ad's most recent score."""
    return session.scalar(
        select(Score.score).where(Score.ad_id == ad_id).order_by(Score.scored_at.desc(), Score.id.desc()).limit(1)
    )


def overrides(item: ReviewItem, actor: str) -> bool:
    """Whether deciding ``item`` as ``actor`` changes another analyst's scam or legit verdict."""
    return item.status in FINAL_DECISIONS and bool(item.decided_by) and item.decided_by != actor


def current_band(session: Session, ad_id: int) -> str | None:
    """The band of the ad's most recent score."""
    return session.scalar(
        select(Score.band).where(Score.ad_id == ad_id).order_by(Score.scored_at.desc(), Score.id.desc()).limit(1)
    )


def check_decision(
    session: Session,
    item: ReviewItem,
    word: str,
    actor: str,
    note: str | None,
    now: datetime,
    *,
    as_lead: bool = False,
) -> str | None:
    """Validate a decision without changing anything.

    Returns the normalised decision, or None when the item already carries it.
    Raises UnknownDecisionError, LeaseHeldError, DecisionConflictError or NoteRequiredError.
    ``as_lead``: the actor acts as a lead and may change another analyst's verdict (the
    caller checks that they are one, and the audit says so).
    """
    decision = normalise_decision(word)
    if note is not None and len(note) > MAX_NOTE_CHARS:  # a 30 MB note was stored (issue 23, probe 7)
        raise NoteTooLongError(f"the note has {len(note):,} characters; a note holds at most {MAX_NOTE_CHARS:,}")
    _check_lease(item, actor, now)
    if item.status == decision:
        return None
    # needs_info and skipped invite a colleague to finish the job; scam and legit
    # are verdicts, and only their author (or a lead, saying so) may change them.
    if overrides(item, actor) and not as_lead:
        raise DecisionConflictError(
            f"review item {item.id} already decided {item.status} by {item.decided_by}: "
            f"only {item.decided_by} or a lead may change that verdict"
        )
    if decision == "legit" and not (note or "").strip():
        score = current_score(session, item.ad_id)
        if score is not None and score >= NOTE_REQUIRED_SCORE:
            raise NoteRequiredError(
                f"review item {item.id} scored {score:.2f}: clearing it as legit needs a note saying why"
            )
    return decision


def decide(
    session: Session,
    item_id: int,
    word: str,
    actor: str,
    now: datetime,
    note: str | None = None,
    *,
    as_lead: bool = False,
) -> ReviewItem:
    """Record an analyst's decision (scam, legit, needs_info, skipped; any case) with a note.

    With ``as_lead``, changing another analyst's verdict is allowed and audited as such."""
    item = get_item(session, item_id)
    decision = check_decision(session, item, word, actor, note, now, as_lead=as_lead)
    if decision is not None:
        via = f"as lead, over {item.decided_by}'s {item.status} verdict" if overrides(item, actor) else None
        apply_decision(session, item, decision, actor, now, note, via=via)
    return item


def apply_decision(
    session: Session,
    item: ReviewItem,
    decision: str,
    actor: str,
    now: datetime,
    note: str | None,
    via: str | None = None,
) -> ReviewEvent:
    """Write a validated decision and its audit event (``via``: where it came from); the event."""
    note = strip_controls(note) if note else note  # a NUL from a form would make PostgreSQL refuse it
    old = item.status
    item.status, item.decided_by, item.decided_at, item.updated_at = decision, actor, now, now
    item.assignee, item.lease_expires_at = None, None
    # The item's note is this decision's (or none): a note belongs to its event, never to a
    # later decision by someone else (store.listing.status_notes reads it from the event).
    item.note = note.strip() if note and note.strip() else None
    return record_event(
        session, item, actor, now, old, decision, " | ".join(p for p in (via, (note or "").strip()) if p) or None
    )


def decide_campaign(
    session: Session, campaign_id: int, word: str, actor: str, now: datetime, note: str | None = None
) -> dict[str, int]:
    """Decide every ad of a campaign not already judged scam or legit, at once.

    Member ads never queued get an item carrying the decision, so the audit log
    and retraining see every ad of the campaign. Validates all before changing any.
    """
    decision = normalise_decision(word)
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise NoteTooLongError(f"the note has {len(note):,} characters; a note holds at most {MAX_NOTE_CHARS:,}")
    ad_ids = list(session.scalars(select(CampaignMember.ad_id).where(CampaignMember.campaign_id == campaign_id)))
    if not ad_ids:
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    items = {i.ad_id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.ad_id.in_(ad_ids)))}
    todo: list[tuple[int, ReviewItem | None]] = []
    counts = {"decided": 0, "created": 0, "kept": 0}
    for ad_id in sorted(ad_ids):
        item = items.get(ad_id)
        if item is not None and item.status in FINAL_DECISIONS:
            counts["kept"] += 1
            continue
        if item is not None:
            _check_lease(item, actor, now)
        if decision == "legit" and not (note or "").strip():
            score = current_score(session, ad_id)
            if score is not None and score >= NOTE_REQUIRED_SCORE:
                raise NoteRequiredError(
                    f"campaign {campaign_id}: ad {ad_id} scored {score:.2f}; "
                    f"clearing it as legit needs a note saying why"
                )
        todo.append((ad_id, item))
    for ad_id, item in todo:
        if item is None:
            item = ReviewItem(
                ad_id=ad_id,
                status="pending",
                priority=current_score(session, ad_id) or 0.0,
                band_rank=rank_of(current_band(session, ad_id)),
                created_at=now,
                updated_at=now,
            )
            session.add(item)
            session.flush()
            counts["created"] += 1
        apply_decision(
            session,
            item,
            decision,
            actor,
            now,
            f"campaign {campaign_id}: {note.strip()}" if note and note.strip() else f"campaign {campaign_id}",
        )
        counts["decided"] += 1
    session.flush()
    return counts


def item_events(session: Session, item_id: int) -> list[ReviewEvent]:
    """The audit trail of one item, oldest first."""
    return list(
        session.scalars(
            select(ReviewEvent).where(ReviewEvent.item_id == item_id).order_by(ReviewEvent.at, ReviewEvent.id)
        )
    )
