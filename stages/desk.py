"""The review queue as the desk works it: open an item, claim, decide, move on.

Each function takes the caller's Session (one transaction per request). Decisions
and releases go through the same stage functions as ``pipeline.py review``
(stages.review.decide_in, decide_campaign_in, release_in), so the rules hold alike:
an open item is decided only under the analyst's own claim, a note to clear a high
score, only its author (or a lead, saying so) changes a verdict, every change audited.

An item's page shows what the analysis read when the ad was scored (store.analysis):
the text, the evidence at its stored offsets, the pay and the contacts. Nothing here
parses the ad.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.evidence import Run, evidence_runs
from stages.review import Actor, decide_campaign_in, decide_in, release_in
from store.analysis import StoredAnalysis, read_analysis
from store.browse import item_rows
from store.details import Member, campaign_members, held_by, history, item_of_ad, neighbours
from store.errors import NotFoundError
from store.leases import claim_item
from store.listing import QueueRow
from store.queue import claim, expire_leases
from store.schema import ReviewEvent

MEMBERS_SHOWN = 12  # campaign members listed on an ad's page (the campaign page lists all)


@dataclass(frozen=True)
class ItemPage:
    """Everything the ad page shows about one review item."""

    row: QueueRow
    analysis: StoredAnalysis
    runs: list[Run]  # the text, evidence marked (empty marks when the analysis is not current)
    events: list[ReviewEvent]
    members: list[Member] = field(default_factory=list)
    previous: int | None = None
    next: int | None = None

    @property
    def text(self) -> str:
        return self.analysis.text

    @property
    def pay(self) -> dict | None:
        return self.analysis.pay


def open_item(session: Session, item_id: int, now: datetime) -> ItemPage:
    """One item with its ad text marked by its stored reasons, its stored pay, campaign and history."""
    expire_leases(session, now)
    rows = item_rows(session, [item_id])
    if not rows:
        raise NotFoundError(f"review item {item_id} does not exist")
    row = rows[0]
    analysis = read_analysis(row.__dict__, row.analysis)
    runs = evidence_runs(analysis.text, row.reasons) if analysis.current else [(analysis.text, ())]
    members = campaign_members(session, row.campaign_id, MEMBERS_SHOWN) if row.campaign_id else []
    previous, nxt = neighbours(session, row)
    return ItemPage(row, analysis, runs, history(session, item_id), members, previous, nxt)


def item_for_ad(session: Session, ad_id: int) -> int:
    """The review item of an ad; NotFoundError for an ad that was never queued."""
    item_id = item_of_ad(session, ad_id)
    if item_id is None:
        raise NotFoundError(f"ad {ad_id} is not in the review queue (it was never flagged)")
    return item_id


def claim_next(session: Session, analyst: str, now: datetime, lease: timedelta) -> int | None:
    """The analyst's next item: one they already hold, else the highest-priority pending one,
    claimed now. None when nothing is left."""
    expire_leases(session, now)
    held = held_by(session, analyst, now)
    if held:
        return held[0]
    claimed = claim(session, analyst, 1, now, lease)
    return claimed[0] if claimed else None


def claim_this(session: Session, item_id: int, analyst: str, now: datetime, lease: timedelta) -> None:
    """Claim the item on screen (or renew one's own claim on it)."""
    claim_item(session, item_id, analyst, now, lease)


def release_this(session: Session, item_id: int, analyst: str, lead: bool, now: datetime) -> str:
    """Give a claim back: one's own, or, for a lead, anyone's (as `review release --as-lead`)."""
    return release_in(session, item_id, Actor(analyst, lead=lead), now)


def decide_this(
    session: Session,
    item_id: int,
    decision: str,
    analyst: str,
    now: datetime,
    note: str | None,
    *,
    lead: bool = False,
    as_lead: bool = False,
) -> str:
    """Decide one item as `review decide` does (stages.review.decide_in). ``as_lead``: a lead
    (``lead``, their account's role) chose to change another analyst's verdict."""
    return decide_in(session, item_id, decision, Actor(analyst, lead=lead and as_lead), now, note)


def decide_campaign_of(
    session: Session, campaign_id: int, decision: str, analyst: str, now: datetime, note: str | None
) -> str:
    """Decide every ad of a campaign not yet judged scam or legit (as `review decide --campaign`)."""
    return decide_campaign_in(session, campaign_id, decision, Actor(analyst), now, note)
