"""Finding ads by a contact, a company name or free text.

Contacts are looked up in the ``ad_contacts`` index under their normalised form
(store.contacts), so a phone number typed in any format is one index lookup.
Company names and free text are substring matches over the ads. Results come in the
queue's one order (store.order: band, score, age), among the newest COUNT_CAP matches,
with the count capped so a common word does not make the page count every ad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.contacts import (
    PHONE_KINDS,
    normalise_domain,
    normalise_handle,
    normalise_kakao,
    phone_candidates,
)
from store.order import sort_key
from store.schema import Ad, AdContact, CampaignMember, ReviewItem, Score

KINDS = ("phone", "telegram", "kakao", "line", "email", "domain", "company", "text")
COUNT_CAP = 1000
MIN_TEXT = 2

_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
_DOMAIN = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.I)
_PHONE = re.compile(r"^[+(]?[\d\s().\-]{7,24}$")


@dataclass(frozen=True)
class AdHit:
    """One ad found, with what the desk shows beside it."""

    ad_id: int
    title: str
    company: str
    source: str
    country: str
    first_seen: datetime
    review_id: int | None
    status: str | None
    score: float | None
    band: str
    campaign_id: int | None


@dataclass(frozen=True)
class SearchResult:
    """What a search looked for (kind and normalised values) and the page of ads found."""

    kind: str
    text: str
    values: tuple[str, ...]
    total: int
    capped: bool
    hits: list[AdHit] = field(default_factory=list)
    campaigns: dict[int, int] = field(default_factory=dict)  # campaign id -> ads found in it


def guess_kind(text: str) -> str:
    """The kind of thing typed: a phone number, a handle, a link, an email, a domain or words."""
    value = text.strip()
    if re.search(r"open\.kakao\.com/", value, re.I):
        return "kakao"
    if value.startswith("@") or re.match(r"^(?:https?://)?(?:t\.me|telegram\.me)/", value, re.I):
        return "telegram"
    if _EMAIL.match(value):
        return "email"
    if _PHONE.match(value) and len(re.sub(r"\D", "", value)) >= 7:
        return "phone"
    if _DOMAIN.match(value) and " " not in value:
        return "domain"
    return "text"


def contact_values(kind: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(index kinds, normalised values) to look up for a contact search."""
    value = text.strip()
    if kind == "phone":
        return PHONE_KINDS, tuple(phone_candidates(value))
    if kind == "telegram":
        handle = normalise_handle(value)
        return ("telegram",), (handle,) if len(handle) > 1 else ()
    if kind == "kakao":
        return ("kakao",), (normalise_kakao(value),)
    if kind == "line":
        return ("line",), (value.lstrip("@").lower(),)
    if kind == "email":
        return ("email",), (value.lower(),)
    if kind == "domain":
        return ("domain",), (normalise_domain(value),)
    raise ValueError(f"not a contact kind: {kind!r}")


def search(session: Session, kind: str, text: str, limit: int = 50, offset: int = 0) -> SearchResult:
    """Ads matching ``text`` read as ``kind`` ("auto" guesses), riskiest first (store.order)."""
    text = " ".join(str(text or "").split())[:300]
    if kind == "auto":
        kind = guess_kind(text)
    if kind not in KINDS:
        raise ValueError(f"unknown search kind {kind!r} (expected {', '.join(KINDS)})")
    if kind in ("company", "text"):
        if len(text) < MIN_TEXT:
            return SearchResult(kind, text, (), 0, False)
        column_match = (
            Ad.company.icontains(text, autoescape=True)
            if kind == "company"
            else or_(Ad.title.icontains(text, autoescape=True), Ad.description.icontains(text, autoescape=True))
        )
        ids: Select = select(Ad.id).where(column_match)
        values: tuple[str, ...] = (text,)
    else:
        kinds, values = contact_values(kind, text)
        values = tuple(v for v in values if v)
        if not values:
            return SearchResult(kind, text, (), 0, False)
        ids = select(AdContact.ad_id).distinct().where(AdContact.value.in_(values), AdContact.kind.in_(kinds))
    counted = session.scalar(select(func.count()).select_from(ids.limit(COUNT_CAP + 1).subquery())) or 0
    # The queue's one order (store.order), on each ad's newest score: of the COUNT_CAP newest
    # matches, the riskiest first, not the newest ad id first (a 0.04 before a critical one).
    found = list(session.scalars(ids.order_by(ids.selected_columns[0].desc()).limit(COUNT_CAP)))
    page_ids = riskiest_first(session, found)[offset : offset + limit]
    hits = ad_hits(session, page_ids)
    campaigns = _campaign_counts(session, ids) if kind not in ("company", "text") else {}
    return SearchResult(kind, text, values, min(counted, COUNT_CAP), counted > COUNT_CAP, hits, campaigns)


def riskiest_first(session: Session, ad_ids: list[int]) -> list[int]:
    """The ads in the queue's order: band of the newest score, score, first seen, id."""
    newest: dict[int, tuple[str, float]] = {}
    first_seen: dict[int, datetime] = {}
    for start in range(0, len(ad_ids), 500):  # under SQLite's bound-parameter limit
        chunk = ad_ids[start : start + 500]
        for ad_id, score, band in session.execute(
            select(Score.ad_id, Score.score, Score.band)
            .where(Score.ad_id.in_(chunk))
            .order_by(Score.scored_at, Score.id)
        ):
            newest[ad_id] = (band, score)  # the newest wins
        first_seen.update(session.execute(select(Ad.id, Ad.first_seen_at).where(Ad.id.in_(chunk))).all())
    return sorted(ad_ids, key=lambda i: sort_key(*newest.get(i, (None, None)), first_seen.get(i), i))


def _campaign_counts(session: Session, ids: Select) -> dict[int, int]:
    sub = ids.limit(COUNT_CAP).subquery()
    rows = session.execute(
        select(CampaignMember.campaign_id, func.count())
        .where(CampaignMember.ad_id.in_(select(sub.c[0])))
        .group_by(CampaignMember.campaign_id)
        .order_by(func.count().desc(), CampaignMember.campaign_id)
    ).all()
    return {int(c): int(n) for c, n in rows}


def ad_hits(session: Session, ad_ids: list[int]) -> list[AdHit]:
    """The ads with their review item, latest score and campaign, in the order given."""
    if not ad_ids:
        return []
    ads = {a.id: a for a in session.scalars(select(Ad).where(Ad.id.in_(ad_ids)))}
    items = {i.ad_id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.ad_id.in_(ad_ids)))}
    campaigns = dict(
        session.execute(
            select(CampaignMember.ad_id, CampaignMember.campaign_id).where(CampaignMember.ad_id.in_(ad_ids))
        ).all()
    )
    scores: dict[int, tuple[float, str]] = {}
    for ad_id, score, band in session.execute(
        select(Score.ad_id, Score.score, Score.band).where(Score.ad_id.in_(ad_ids)).order_by(Score.scored_at, Score.id)
    ):
        scores[ad_id] = (score, band)  # the newest wins
    hits = []
    for ad_id in ad_ids:
        ad, item = ads.get(ad_id), items.get(ad_id)
        if ad is None:
            continue
        score, band = scores.get(ad_id, (None, ""))
        hits.append(
            AdHit(
                ad.id,
                ad.title,
                ad.company,
                ad.source,
                ad.country,
                ad.first_seen_at,
                item.id if item else None,
                item.status if item else None,
                score,
                band,
                campaigns.get(ad_id),
            )
        )
    return hits
