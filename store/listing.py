"""Reading the review queue: items with their ad, current score and campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.bands import BANDS
from store.campaigns import campaign_sizes, scam_campaigns
from store.errors import ReviewError
from store.order import queue_order
from store.schema import DECISIONS, REVIEW_STATUSES, Ad, CampaignMember, ReviewEvent, ReviewItem, Score


@dataclass(frozen=True)
class QueueFilter:
    """Which review items to list or export; None means no restriction."""

    statuses: tuple[str, ...] | None = ("pending",)
    min_score: float | None = None
    source: str | None = None
    country: str | None = None
    since: datetime | None = None
    campaign: int | None = None
    bands: tuple[str, ...] | None = None  # the current score's band is one of these


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
    note: str | None  # the note of the event that set the current status (None: that event had none)
    analysis: dict[str, Any] | None = None  # the newest score's stored analysis (store.analysis)
    note_by: str | None = None  # who wrote ``note``, and when: it belongs to that event
    note_at: datetime | None = None
    band_rank: int = len(BANDS)
    created_at: datetime | None = None
    language: str = ""


def latest_scores():  # type: ignore[no-untyped-def]
    """Subquery: each ad's most recent score (any model version)."""
    ranked = select(
        Score.ad_id,
        Score.score,
        Score.band,
        Score.reasons,
        Score.model_version,
        Score.analysis,
        func.row_number()
        .over(partition_by=Score.ad_id, order_by=(Score.scored_at.desc(), Score.id.desc()))
        .label("rank"),
    ).subquery()
    return select(ranked).where(ranked.c.rank == 1).subquery("latest")


def list_items(
    session: Session,
    filters: QueueFilter = QueueFilter(),
    limit: int | None = None,
    item_ids: Sequence[int] | None = None,
) -> list[QueueRow]:
    """Review items matching ``filters``, in the queue's order (store.order)."""
    for status in filters.statuses or ():
        if status not in REVIEW_STATUSES:
            raise ReviewError(f"unknown status {status!r} (expected {', '.join(REVIEW_STATUSES)})")
    for band in filters.bands or ():
        if band not in BANDS:
            raise ReviewError(f"unknown band {band!r} (expected {', '.join(BANDS)})")
    latest = latest_scores()
    query = (
        select(
            ReviewItem,
            Ad,
            latest.c.score,
            latest.c.band,
            latest.c.reasons,
            latest.c.model_version,
            latest.c.analysis,
            CampaignMember.campaign_id,
        )
        .join(Ad, Ad.id == ReviewItem.ad_id)
        .outerjoin(latest, latest.c.ad_id == ReviewItem.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id)
    )
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
    if filters.bands:
        query = query.where(latest.c.band.in_(filters.bands))
    if item_ids is not None:
        query = query.where(ReviewItem.id.in_(list(item_ids)))
    query = query.order_by(*queue_order())
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    campaigns = {r[-1] for r in rows if r[-1] is not None}
    sizes, scam = campaign_sizes(session, campaigns), scam_campaigns(session, campaigns)
    notes = status_notes(session, [r[0] for r in rows])
    return [queue_row(r, sizes, scam, notes) for r in rows]


def status_notes(session: Session, items: Sequence[Any]) -> dict[int, tuple[str | None, str, datetime]]:
    """For each decided item, the event that set its current status: (its note, its author, its time).

    A note belongs to its event: an item decided scam by one analyst after another asked
    for more information shows the scam verdict's note (or none), never the earlier one.
    """
    wanted = {i.id: i.status for i in items if i.status in DECISIONS}  # open items carry no decision note
    out: dict[int, tuple[str | None, str, datetime]] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        for event in session.scalars(
            select(ReviewEvent).where(ReviewEvent.item_id.in_(chunk)).order_by(ReviewEvent.id)
        ):
            if event.new_status == wanted[event.item_id]:
                out[event.item_id] = (event.note, event.actor, event.at)  # the newest wins
    return out


def queue_row(
    r: Any, sizes: dict[int, int], scam: set[int], notes: dict[int, tuple[str | None, str, datetime]] | None = None
) -> QueueRow:
    """A QueueRow from (item, ad, score, band, reasons, model version, analysis, campaign id)."""
    item, ad, score, band, reasons, version, analysis, campaign = r
    note, note_by, note_at = (notes or {}).get(item.id, (None, None, None))
    return QueueRow(
        review_id=item.id,
        ad_id=ad.id,
        status=item.status,
        priority=item.priority,
        score=score,
        band=band or "",
        reasons=list(reasons or []),
        model_version=version,
        title=ad.title,
        company=ad.company,
        location=ad.location,
        country=ad.country,
        salary=ad.salary,
        description=ad.description,
        contacts=stored_contacts(analysis, ad.contacts),
        url=ad.url,
        source=ad.source,
        first_seen=ad.first_seen_at,
        campaign_id=campaign,
        campaign_size=sizes.get(campaign, 0) if campaign else 0,
        campaign_scam=campaign in scam,
        assignee=item.assignee,
        lease_expires_at=item.lease_expires_at,
        decided_by=item.decided_by,
        decided_at=item.decided_at,
        note=note,
        analysis=dict(analysis) if isinstance(analysis, dict) else None,
        note_by=note_by if note else None,
        note_at=note_at if note else None,
        band_rank=item.band_rank,
        created_at=item.created_at,
        language=ad.language or "",
    )


def stored_contacts(analysis: Any, ad_contacts: Any) -> dict[str, Any]:
    """The contacts the analysis read when the ad was scored; the ad's own field for a score
    stored before analyses were kept."""
    contacts = analysis.get("contacts") if isinstance(analysis, dict) else None
    if isinstance(contacts, dict) and isinstance(contacts.get("listed"), dict):
        return dict(contacts["listed"])
    return dict(ad_contacts or {})


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


def spread_uncertain(rows: Sequence[QueueRow], threshold: float, n: int) -> list[QueueRow]:
    """The n rows scored closest to ``threshold``, spread across campaigns.

    Round-robin: every campaign's closest item comes before any campaign's second one
    (an item without a campaign is a campaign of its own); within a round, closeness
    decides. Unscored items go last.
    """

    def distance(row: QueueRow) -> float:
        return abs(row.score - threshold) if row.score is not None else float("inf")

    seen: dict[object, int] = {}
    ranked = []
    for row in sorted(rows, key=lambda r: (distance(r), r.review_id)):
        key = row.campaign_id if row.campaign_id is not None else ("item", row.review_id)
        ranked.append((seen.get(key, 0), distance(row), row.review_id, row))
        seen[key] = seen.get(key, 0) + 1
    return [r[-1] for r in sorted(ranked, key=lambda t: t[:3])[: max(n, 0)]]
