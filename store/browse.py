"""Reading the queue a page at a time, for the desk: fast at 100,000 items.

``queue_page`` lists one row per campaign (its highest-priority matching item, and
how many matching items it stands for), like ``review list``, but collapses and
pages in SQL: a window over the matching items' ids and priorities, never a row
object per item. Only the rows of the page are then loaded in full, with their
newest score read for those ads alone (``item_rows``), not ranked over every score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.bands import band_rank
from store.campaigns import campaign_sizes, scam_campaigns
from store.errors import ReviewError
from store.listing import QueueRow, queue_row, status_notes
from store.order import queue_keys, rank_of
from store.schema import REVIEW_STATUSES, Ad, CampaignMember, ReviewItem, Score

SORTS = ("priority", "newest", "oldest")
# Links written before the queue had one order say sort=band: that order is now the default.
SORT_ALIASES = {"band": "priority"}
OPEN = ("pending", "in_review")


@dataclass(frozen=True)
class Browse:
    """What the queue page shows: statuses, bands, source, country, first-seen dates, order."""

    statuses: tuple[str, ...] | None = ("pending",)
    bands: tuple[str, ...] = ()
    source: str | None = None
    country: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "priority"


@dataclass(frozen=True)
class QueuePage:
    """One page of the campaign-collapsed queue, and where the next page starts (None: last)."""

    rows: list[tuple[QueueRow, int]]
    cursor: tuple[Any, ...] | None


@dataclass(frozen=True)
class Facets:
    """The values the filters offer, read from the data: bands riskiest first."""

    bands: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def facets(session: Session) -> Facets:
    """Bands present, riskiest first (core.bands order: ordering by the highest score seen
    would put critical, which its signals can earn below 0.9, under high); sources and
    countries present."""
    bands = sorted(session.scalars(select(Score.band).distinct()), key=band_rank)
    sources = list(session.scalars(select(Ad.source).distinct().order_by(Ad.source)))
    countries = [c for c in session.scalars(select(Ad.country).distinct().order_by(Ad.country)) if c]
    return Facets(bands, sources, countries)


def _matching(browse: Browse, item: Any, ad: Any) -> list[Any]:
    """WHERE clauses for items (and their ads) that the filters let through."""
    where = []
    if browse.statuses:
        where.append(item.status.in_(browse.statuses))
    if browse.source:
        where.append(ad.source == browse.source)
    if browse.country:
        where.append(func.upper(ad.country) == browse.country.upper())
    if browse.since:
        where.append(ad.first_seen_at >= browse.since)
    if browse.until:
        where.append(ad.first_seen_at < browse.until)
    if browse.bands:
        where.append(item.band_rank.in_(sorted({rank_of(b) for b in browse.bands})))
    return where


def after_clause(keys: Sequence[tuple[Any, bool]], values: Sequence[Any]) -> Any:
    """Rows after ``values`` in the order of ``keys`` ((expression, descending) pairs)."""
    expr, desc = keys[0]
    beyond = expr < values[0] if desc else expr > values[0]
    if len(keys) == 1:
        return beyond
    return or_(beyond, and_(expr == values[0], after_clause(keys[1:], values[1:])))


CHUNK = 200  # rows read per step of a page's scan


def _keys(sort: str) -> list[tuple[Any, bool]]:
    """The queue's order for ``sort``: (expression, descending) pairs, the item id last."""
    return {
        "priority": queue_keys(ReviewItem),  # the queue's one order (store.order)
        "newest": [(Ad.first_seen_at, True), (ReviewItem.id, True)],
        "oldest": [(Ad.first_seen_at, False), (ReviewItem.id, False)],
    }[sort]


def queue_page(session: Session, browse: Browse, limit: int, after: Sequence[Any] | None = None) -> QueuePage:
    """A page of the queue, one row per campaign: its first matching item in the queue's order.

    The matching items are read in order, a chunk at a time, and an item whose campaign
    already has a row (on this page, or on an earlier one) is passed over: the cost is
    the rows read, however big a campaign is. Pages are keyset-paged: ``after`` is the
    ``cursor`` of the page before, so page 500 costs what page 1 costs. sort="priority" is
    the queue's one order (store.order): band, riskiest first, then score, then age.
    """
    for status in browse.statuses or ():
        if status not in REVIEW_STATUSES:
            raise ReviewError(f"unknown status {status!r} (expected {', '.join(REVIEW_STATUSES)})")
    sort = SORT_ALIASES.get(browse.sort, browse.sort)
    if sort not in SORTS:
        raise ReviewError(f"unknown order {browse.sort!r} (expected {', '.join(SORTS)})")
    found, cursor = _scan(session, browse, _keys(sort), limit, after)
    rows = {r.review_id: r for r in item_rows(session, found)}
    listed = _listed(session, browse, [r for r in rows.values() if r.campaign_id is not None])
    return QueuePage([(rows[i], listed.get(rows[i].campaign_id, 1)) for i in found if i in rows], cursor)


def _scan(
    session: Session, browse: Browse, keys: list[tuple[Any, bool]], limit: int, after: Sequence[Any] | None
) -> tuple[list[int], tuple[Any, ...] | None]:
    """Up to ``limit`` head item ids after ``after``, and the cursor after the last (None: no more)."""
    query = select(ReviewItem.id, CampaignMember.campaign_id, *(k for k, _ in keys)).select_from(ReviewItem)
    if _needs_ads(browse) or browse.sort in ("newest", "oldest"):
        query = query.join(Ad, Ad.id == ReviewItem.ad_id)
    query = (
        query.outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id)
        .where(*_matching(browse, ReviewItem, Ad))
        .order_by(*(k.desc() if d else k for k, d in keys))
    )
    heads: list[int] = []
    seen: set[int] = set()
    position = tuple(after) if after else None
    last: tuple[Any, ...] | None = None  # the key of the last head taken: the next page starts after it
    while True:
        chunk = session.execute((query.where(after_clause(keys, position)) if position else query).limit(CHUNK)).all()
        fresh = {c for _, c, *_ in chunk if c is not None and c not in seen}
        if after and fresh:  # campaigns whose first item came before this page had their row there
            seen |= _started_before(session, browse, keys, fresh, after)
        for item_id, campaign, *key in chunk:
            position = tuple(key)
            if campaign is not None:
                if campaign in seen:
                    continue
                seen.add(campaign)
            if len(heads) == limit:  # one head beyond the page: there is a next page
                return heads, last
            heads.append(item_id)
            last = position
        if len(chunk) < CHUNK:
            return heads, None


def _started_before(
    session: Session, browse: Browse, keys: list[tuple[Any, bool]], campaigns: set[int], after: Sequence[Any]
) -> set[int]:
    """Which of these campaigns have a matching item at or before ``after`` in the queue's order."""
    query = select(CampaignMember.campaign_id).distinct().join(ReviewItem, ReviewItem.ad_id == CampaignMember.ad_id)
    if _needs_ads(browse) or any(k is Ad.first_seen_at for k, _ in keys):
        query = query.join(Ad, Ad.id == ReviewItem.ad_id)
    query = query.where(
        CampaignMember.campaign_id.in_(sorted(campaigns)),
        *_matching(browse, ReviewItem, Ad),
        ~after_clause(keys, after),
    )
    return set(session.scalars(query))


def _listed(session: Session, browse: Browse, heads: Sequence[QueueRow]) -> dict[int, int]:
    """How many matching items each campaign row stands for."""
    campaigns = sorted({h.campaign_id for h in heads if h.campaign_id is not None})
    if not campaigns:
        return {}
    query = select(CampaignMember.campaign_id, func.count()).join(ReviewItem, ReviewItem.ad_id == CampaignMember.ad_id)
    if _needs_ads(browse):
        query = query.join(Ad, Ad.id == ReviewItem.ad_id)
    return dict(
        session.execute(
            query.where(CampaignMember.campaign_id.in_(campaigns), *_matching(browse, ReviewItem, Ad)).group_by(
                CampaignMember.campaign_id
            )
        ).all()
    )


def _needs_ads(browse: Browse) -> bool:
    """Whether the filters read ads (whose rows are big: joined only when needed)."""
    return bool(browse.source or browse.country or browse.since or browse.until)


def status_counts(session: Session) -> dict[str, int]:
    """Items per status (one pass over the status index)."""
    return {s: int(n) for s, n in session.execute(select(ReviewItem.status, func.count()).group_by(ReviewItem.status))}


def item_rows(session: Session, item_ids: Sequence[int]) -> list[QueueRow]:
    """The items with their ad, newest score and campaign, in the order given."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return []
    found = session.execute(
        select(ReviewItem, Ad, CampaignMember.campaign_id)
        .join(Ad, Ad.id == ReviewItem.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == ReviewItem.ad_id)
        .where(ReviewItem.id.in_(ids))
    ).all()
    ad_ids = [ad.id for _, ad, _ in found]
    newest: dict[int, Score] = {}
    for s in session.scalars(select(Score).where(Score.ad_id.in_(ad_ids)).order_by(Score.scored_at, Score.id)):
        newest[s.ad_id] = s
    campaigns = {c for _, _, c in found if c is not None}
    sizes, scam = campaign_sizes(session, campaigns), scam_campaigns(session, campaigns)
    notes = status_notes(session, [item for item, _, _ in found])
    rows = {}
    for item, ad, campaign in found:
        s = newest.get(ad.id)
        scored = (s.score, s.band, s.reasons, s.model_version, s.analysis) if s else (None, "", [], None, None)
        rows[item.id] = queue_row((item, ad, *scored, campaign), sizes, scam, notes)
    return [rows[i] for i in ids if i in rows]
