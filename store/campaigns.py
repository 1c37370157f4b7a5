"""Campaigns: ads linked because they share a contact or are near-duplicate text.

Scam recruiters repost the same ad with small edits and the same Telegram
handle; linking them lets an analyst decide them together, and lets a new
repost of a known scam be queued whatever its score.

Each ad's fingerprint (store.fingerprints: contact keys and MinHash band keys)
is stored in ``fingerprint_keys``. Ads sharing a key are candidates; contact
matches link at once, band matches only when the estimated Jaccard similarity
reaches ``NEAR_DUPLICATE``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from datasketch import MinHash
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

# contact_keys and fingerprint are re-exported: callers fingerprint and link through one module.
from store.fingerprints import (  # noqa: F401
    NEAR_DUPLICATE, band_keys, contact_keys, fingerprint, load_minhash, refresh_fingerprint,
)
from store.schema import Ad, AdFingerprint, Campaign, CampaignMember, FingerprintKey, ReviewItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkCounts:
    """What one linking pass did."""

    fingerprinted: int = 0
    linked: int = 0
    campaigns_created: int = 0
    campaigns_merged: int = 0


# ------------------------------------------------------------------ linking

# Near-duplicate checks per campaign already linked: one similar member is enough to
# join it, so a templated campaign of thousands of ads costs a few comparisons, not all.
REPRESENTATIVES = 8


def _candidate_statements() -> tuple[Any, Any]:
    """(representatives of campaigns sharing a key, unlinked ads sharing a key), built once."""
    is_band = FingerprintKey.key.like("band%")
    shared = (select(FingerprintKey.ad_id, FingerprintKey.key, is_band.label("band"))
              .where(FingerprintKey.key.in_(bindparam("keys", expanding=True)),
                     FingerprintKey.ad_id != bindparam("ad_id")))
    ranked = (shared.join(CampaignMember, CampaignMember.ad_id == FingerprintKey.ad_id)
              .add_columns(func.row_number().over(partition_by=(CampaignMember.campaign_id, is_band),
                                                  order_by=FingerprintKey.ad_id).label("rank"))
              .subquery())
    linked = select(ranked.c.ad_id, ranked.c.key, ranked.c.band).where(ranked.c.rank <= REPRESENTATIVES)
    free = shared.where(~select(CampaignMember.ad_id)
                        .where(CampaignMember.ad_id == FingerprintKey.ad_id).exists())
    return linked, free


_LINKED_CANDIDATES, _FREE_CANDIDATES = _candidate_statements()


def _matches(session: Session, ad: Ad, contacts: set[str], mh: MinHash | None) -> dict[int, str]:
    """Other ads this one links to, each with a readable reason.

    Ads already in a campaign are represented by a few members per campaign (linking
    to one of them joins the whole campaign), so the work per ad grows with the
    campaigns it touches, not with their size: templated reposts stay linear.
    """
    keys = sorted(set(contacts) | (band_keys(mh) if mh is not None else set()))
    if not keys:
        return {}
    params = {"keys": keys, "ad_id": ad.id}
    rows = session.execute(_LINKED_CANDIDATES, params).all() + session.execute(_FREE_CANDIDATES, params).all()
    found: dict[int, str] = {}
    band_candidates: set[int] = set()
    for other, key, band in sorted(rows):
        if band:
            band_candidates.add(other)
        elif other not in found:
            kind, _, value = key.partition(":")
            found[other] = f"shares {kind} {value} with ad {other}"
    band_candidates -= set(found)
    if band_candidates and mh is not None:
        blobs = session.execute(select(AdFingerprint.ad_id, AdFingerprint.minhash)
                                .where(AdFingerprint.ad_id.in_(sorted(band_candidates)))).all()
        for other, blob in blobs:
            if blob and (sim := mh.jaccard(load_minhash(blob))) >= NEAR_DUPLICATE:
                found[other] = f"near-duplicate text of ad {other} (similarity {sim:.2f})"
    return found


def link_ads(session: Session, ad_ids: Iterable[int], now: datetime) -> LinkCounts:
    """Fingerprint the given ads and link each into a campaign with the ads it matches.

    An ad matching ads of several campaigns merges them into the oldest one.
    Membership is sticky: an edit that removes the shared contact does not unlink.
    """
    fingerprinted = linked = created = merged = 0
    ids = sorted(set(ad_ids))
    ads: dict[int, Ad] = {}
    fps: dict[int, AdFingerprint] = {}
    for start in range(0, len(ids), 500):  # bulk loads: one query per 500 ads, not two per ad
        chunk = ids[start:start + 500]
        ads.update((a.id, a) for a in session.scalars(select(Ad).where(Ad.id.in_(chunk))))
        fps.update((f.ad_id, f) for f in session.scalars(
            select(AdFingerprint).where(AdFingerprint.ad_id.in_(chunk))))
    for ad_id in ids:
        ad = ads.get(ad_id)
        if ad is None:
            continue
        contacts, mh, refreshed = refresh_fingerprint(session, ad, fps.get(ad_id))
        fingerprinted += refreshed
        matches = _matches(session, ad, contacts, mh)
        if not matches:
            continue
        members = {ad_id, *matches}
        current = dict(session.execute(
            select(CampaignMember.ad_id, CampaignMember.campaign_id)
            .where(CampaignMember.ad_id.in_(sorted(members)))).all())
        campaign_ids = sorted(set(current.values()))
        if campaign_ids:
            target = campaign_ids[0]
            for other in campaign_ids[1:]:
                session.execute(update(CampaignMember).where(CampaignMember.campaign_id == other)
                                .values(campaign_id=target))
                session.execute(delete(Campaign).where(Campaign.id == other))
                merged += 1
            session.execute(update(Campaign).where(Campaign.id == target).values(updated_at=now))
        else:
            campaign = Campaign(created_at=now, updated_at=now)
            session.add(campaign)
            session.flush()
            target, created = campaign.id, created + 1
        first_match = min(matches)
        for member in sorted(members):
            if member in current:
                continue
            reason = (matches[first_match] if member == ad_id
                      else _reverse(matches[member], ad_id))
            session.add(CampaignMember(ad_id=member, campaign_id=target, reason=reason,
                                       joined_at=now))
            linked += 1
    session.flush()
    if created or linked or merged:
        log.info("campaigns: %d ad(s) linked, %d created, %d merged", linked, created, merged)
    return LinkCounts(fingerprinted, linked, created, merged)


def _reverse(reason: str, ad_id: int) -> str:
    """The same reason seen from the other ad ("... with ad 7" -> "... with ad 9")."""
    return re.sub(r"ad \d+", f"ad {ad_id}", reason, count=1)


# ------------------------------------------------------------------ reading

def campaign_of(session: Session, ad_id: int) -> int | None:
    """The campaign id an ad belongs to, if any."""
    return session.scalar(select(CampaignMember.campaign_id).where(CampaignMember.ad_id == ad_id))


def campaign_sizes(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    """Number of ads in each campaign."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    return dict(session.execute(
        select(CampaignMember.campaign_id, func.count())
        .where(CampaignMember.campaign_id.in_(ids)).group_by(CampaignMember.campaign_id)).all())


def scam_campaigns(session: Session, campaign_ids: Iterable[int]) -> set[int]:
    """Which of these campaigns have a member already decided as scam."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return set()
    return set(session.scalars(
        select(CampaignMember.campaign_id).distinct()
        .join(ReviewItem, ReviewItem.ad_id == CampaignMember.ad_id)
        .where(CampaignMember.campaign_id.in_(ids), ReviewItem.status == "scam")))


def campaign_ads(session: Session, campaign_id: int) -> list[int]:
    """The ad ids of a campaign, oldest link first."""
    return list(session.scalars(select(CampaignMember.ad_id)
                                .where(CampaignMember.campaign_id == campaign_id)
                                .order_by(CampaignMember.joined_at, CampaignMember.ad_id)))
