"""What retraining reads from the database: analysts' decided review items as rows.

Functions take the caller's Session and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ad import TEXT_FIELDS
from store.schema import Ad, CampaignMember, ReviewItem

TRAINING_DECISIONS = ("scam", "legit")  # needs_info and skipped carry no label


def decided_rows(session: Session) -> list[dict[str, Any]]:
    """Every item decided scam or legit, with its ad's text fields, campaign and source.

    Ordered by decision time, so when two ads share a text the later verdict comes last.
    """
    query = (
        select(
            ReviewItem.id,
            ReviewItem.ad_id,
            ReviewItem.status,
            Ad.source,
            *(getattr(Ad, name) for name in TEXT_FIELDS),
            Ad.language,
            Ad.content_hash,
            CampaignMember.campaign_id,
        )
        .join(Ad, Ad.id == ReviewItem.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id)
        .where(ReviewItem.status.in_(TRAINING_DECISIONS))
        .order_by(ReviewItem.decided_at, ReviewItem.id)
    )
    names = ("item_id", "ad_id", "decision", "source", *TEXT_FIELDS, "language", "content_hash", "campaign_id")
    return [dict(zip(names, row)) for row in session.execute(query).all()]


# The newest confirmed scams a flagged ad is compared with: enough for years of decisions at
# today's rate, and the index of 5,000 builds in well under a second per score run.
CONFIRMED_SHOWN = 5000


def confirmed_scams(session: Session, limit: int = CONFIRMED_SHOWN) -> list[dict[str, Any]]:
    """Ads an analyst decided scam, newest decision first (at most ``limit``): their text
    fields, source, decision time and campaign, as known lures to compare flagged ads with."""
    query = (
        select(
            ReviewItem.ad_id,
            Ad.source,
            *(getattr(Ad, name) for name in TEXT_FIELDS),
            ReviewItem.decided_at,
            CampaignMember.campaign_id,
        )
        .join(Ad, Ad.id == ReviewItem.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id)
        .where(ReviewItem.status == "scam")
        .order_by(ReviewItem.decided_at.desc().nulls_last(), ReviewItem.id.desc())
        .limit(limit)
    )
    names = ("ad_id", "source", *TEXT_FIELDS, "decided_at", "campaign_id")
    return [dict(zip(names, row)) for row in session.execute(query).all()]


UNDECIDED = ("pending", "in_review")


def undecided_flags(session: Session, model_version: str | None = None) -> dict[int, bool]:
    """{review item id: flagged} for undecided items, by the ad's latest score (or, with
    model_version, by that version's score). Items with no such score count as not flagged."""
    from store.listing import latest_scores
    from store.schema import Score

    if model_version is None:
        latest = latest_scores()
        query = (
            select(ReviewItem.id, Score.flagged)
            .outerjoin(latest, latest.c.ad_id == ReviewItem.ad_id)
            .outerjoin(Score, (Score.ad_id == latest.c.ad_id) & (Score.model_version == latest.c.model_version))
        )
    else:
        query = select(ReviewItem.id, Score.flagged).outerjoin(
            Score, (Score.ad_id == ReviewItem.ad_id) & (Score.model_version == model_version)
        )
    query = query.where(ReviewItem.status.in_(UNDECIDED))
    return {item_id: bool(flagged) for item_id, flagged in session.execute(query).all()}


def note_crossings(
    session: Session,
    before: dict[int, bool],
    after: dict[int, bool],
    model_version: str,
    now: Any,
    actor: str = "lurewatch",
) -> tuple[int, int]:
    """Audit events for undecided items whose flag changed under a new model; (entered, left).

    Items that were not in the queue before and are now count as entered (their
    "queued" event is written by record_scores). Items that are no longer flagged stay
    pending with their lower score as priority, so they sink below every flagged item
    instead of vanishing: an analyst may already have looked at them.
    """
    from store.schema import ReviewEvent

    entered = left = 0
    items = {i.id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.id.in_(list(after))))}
    for item_id, flagged in after.items():
        if item_id not in before:
            entered += 1
            continue
        if flagged == before[item_id]:
            continue
        item = items[item_id]
        note = (
            f"model {model_version} flags it again"
            if flagged
            else f"model {model_version} no longer flags it: kept {item.status} at lower priority"
        )
        session.add(
            ReviewEvent(
                item_id=item_id,
                actor=actor,
                at=now,
                old_status=item.status,
                new_status=item.status,
                note=note,
                model_version=model_version,
            )
        )
        entered += flagged
        left += not flagged
    session.flush()
    return entered, left
