"""Campaigns: ads linked because they share a contact or are near-duplicate text.

Scam recruiters repost the same ad with small edits and the same Telegram
handle; linking them lets an analyst decide them together, and lets a new
repost of a known scam be queued whatever its score.

Each ad's fingerprint (store.fingerprints: contact keys and MinHash band keys)
is stored in ``fingerprint_keys``; linking looks keys up in ``campaign_keys``
(one row per key and campaign) and ``free_keys`` (ads in no campaign). Ads
sharing a key are candidates; contact matches link at once, band matches only
when the estimated Jaccard similarity reaches ``NEAR_DUPLICATE``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from datasketch import MinHash
from sqlalchemy import Integer, String, bindparam, cast, func, null, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# contact_keys is re-exported: callers read keys and link through one module.
from core.minhash import NEAR_DUPLICATE
from store.fingerprints import (  # noqa: F401
    band_keys,
    contact_keys,
    fingerprint_new,
    refresh_fingerprint,
    similarity,
)
from store.schema import (
    Ad,
    AdContact,
    AdFingerprint,
    Campaign,
    CampaignKey,
    CampaignMember,
    FingerprintKey,
    FreeKey,
    ReviewItem,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkCounts:
    """What one linking pass did."""

    fingerprinted: int = 0
    linked: int = 0
    campaigns_created: int = 0
    campaigns_merged: int = 0


# ------------------------------------------------------------------ linking
#
# Where a new ad's candidates come from, and why the work per ad is bounded:
# - campaign_keys: one row per (key, campaign). A key shared by a campaign of 10,000
#   templated reposts is one row, not 10,000 (reading fingerprint_keys was, and made
#   linking superlinear: 23 ms/ad at 2,000 ads, 36 ms/ad at 5,000).
# - free_keys: the keys of ads in no campaign. Their rows go when the ad is linked, so
#   reading them never walks past linked ads.
# Each lookup reads at most PER_KEY rows per key, and band matches compare MinHashes with
# at most REPRESENTATIVES members per campaign, so one ad costs at most a constant number
# of rows and comparisons however many ads share its keys.

# Rows read per key from each table, newest first. Ads pile up under one band key when
# they share a band but stay below NEAR_DUPLICATE (boilerplate alike, yet no repost),
# and so do the campaigns they form. Reposts come close together in time, so the newest
# are the ones worth checking; an older one past the cap is missed, never mislinked.
PER_KEY = 50
# Near-duplicate checks per campaign: one similar member is enough to join it.
REPRESENTATIVES = 8

# Statements of the per-ad path, built once: building and cache-keying a statement costs
# more than running it. Core (table) statements for the key tables, whose rows are never
# loaded as objects: an ORM bulk delete would scan the whole identity map each time.
_CK, _FK, _FREE = CampaignKey.__table__, FingerprintKey.__table__, FreeKey.__table__
_OWN_CAMPAIGN = select(CampaignMember.campaign_id).where(CampaignMember.ad_id == bindparam("ad_id"))
_OWN_CAMPAIGNS = select(CampaignMember.ad_id, CampaignMember.campaign_id).where(
    CampaignMember.ad_id.in_(bindparam("ad_ids", expanding=True))
)
_SIGNATURES = select(AdFingerprint.ad_id, AdFingerprint.minhash).where(
    AdFingerprint.ad_id.in_(bindparam("ad_ids", expanding=True))
)
_INSERT_FREE = _FREE.insert()
# Campaigns and members are written by Core statements too, at once: the next ad's queries
# must see them, and with ORM objects that meant an autoflush before every query of the loop.
_CAMPAIGNS, _MEMBERS = Campaign.__table__, CampaignMember.__table__
_NEW_CAMPAIGN = _CAMPAIGNS.insert().returning(_CAMPAIGNS.c.id)
_INSERT_MEMBERS = _MEMBERS.insert()
_MOVE_MEMBERS = (
    _MEMBERS.update().where(_MEMBERS.c.campaign_id == bindparam("source")).values(campaign_id=bindparam("target"))
)
_DELETE_CAMPAIGN = _CAMPAIGNS.delete().where(_CAMPAIGNS.c.id == bindparam("source"))
_DELETE_FREE = _FREE.delete().where(_FREE.c.ad_id.in_(bindparam("ad_ids", expanding=True)))
_DELETE_CAMPAIGN_KEYS = _CK.delete().where(_CK.c.campaign_id == bindparam("campaign_id"))
# ON CONFLICT DO NOTHING (SQLite and PostgreSQL) rather than a NOT EXISTS guard: without
# fresh statistics (a nightly run fills these tables in one transaction) PostgreSQL
# planned NOT EXISTS as an anti-join over every key of the campaign, 3 ms per ad at
# 1,000 templated ads and 9 ms at 3,000; a conflict check is one probe of the primary key.
_INSERT_IGNORING = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@lru_cache(maxsize=4)
def _key_statements(dialect: str) -> tuple[Any, Any]:
    """(give a campaign its members' keys, copy a campaign's keys to another), skipping held keys.

    Parameters: campaign_id and ad_ids; source and target. A new row's representative
    is its lowest ad id among the members given.
    """
    columns = ["key", "campaign_id", "ad_id"]
    adds = (
        select(_FK.c.key, bindparam("campaign_id", type_=Integer), func.min(_FK.c.ad_id))
        .where(_FK.c.ad_id.in_(bindparam("ad_ids", expanding=True)))
        .group_by(_FK.c.key)
    )
    moves = select(_CK.c.key, bindparam("target", type_=Integer), _CK.c.ad_id).where(
        _CK.c.campaign_id == bindparam("source", type_=Integer)
    )
    insert = _INSERT_IGNORING.get(dialect)
    if insert is not None:
        return (
            insert(_CK).from_select(columns, adds).on_conflict_do_nothing(),
            insert(_CK).from_select(columns, moves).on_conflict_do_nothing(),
        )
    held = _CK.alias("held")  # other backends: the portable guard

    def lacking(campaign: str, key: Any) -> Any:
        return (
            ~select(held.c.key)
            .where(held.c.campaign_id == bindparam(campaign, type_=Integer), held.c.key == key)
            .exists()
        )

    return (
        _CK.insert().from_select(columns, adds.where(lacking("campaign_id", _FK.c.key))),
        _CK.insert().from_select(columns, moves.where(lacking("target", _CK.c.key))),
    )


# Keys looked up per statement: two UNION ALL terms each stay well under SQLite's 500
# (an ad listing hundreds of phone numbers would otherwise fail to link).
KEYS_PER_STATEMENT = 100


@lru_cache(maxsize=KEYS_PER_STATEMENT)  # one statement per number of keys (16 bands + contacts)
def _candidates(n_keys: int) -> Any:
    """(key, campaign_id, ad_id) rows sharing keys :k0..:k<n-1>, at most PER_KEY per key and table.

    Free ads come with a NULL campaign_id. One UNION ALL of small LIMITed index scans:
    a window function over all rows of a key would read them all before ranking.
    """
    parts = []
    for i in range(n_keys):
        key = bindparam(f"k{i}")
        parts.append(
            select(CampaignKey.key, CampaignKey.campaign_id, CampaignKey.ad_id)
            .where(CampaignKey.key == key)
            .order_by(CampaignKey.campaign_id.desc())
            .limit(PER_KEY)
            .subquery()
        )
        parts.append(
            select(FreeKey.key, cast(null(), Integer).label("campaign_id"), FreeKey.ad_id)
            .where(FreeKey.key == key, FreeKey.ad_id != bindparam("ad_id"))
            .order_by(FreeKey.ad_id.desc())
            .limit(PER_KEY)
            .subquery()
        )
    return union_all(*(select(*part.c) for part in parts))


# PostgreSQL: the same rows from one statement whose text does not depend on the number of
# keys. The UNION ALL above is planned anew for each ad (34 subqueries: ~2 ms of planning
# for under 1 ms of work); this one takes the keys as one array parameter, so psycopg
# prepares it once and every later ad runs the stored plan.
_CANDIDATES_PG = text(
    "SELECT k.key, c.campaign_id, c.ad_id FROM unnest(:keys) AS k(key) CROSS JOIN LATERAL ("
    " SELECT campaign_id, ad_id FROM campaign_keys WHERE campaign_keys.key = k.key"
    " ORDER BY campaign_id DESC LIMIT :per_key) AS c"
    " UNION ALL "
    "SELECT k.key, NULL, f.ad_id FROM unnest(:keys) AS k(key) CROSS JOIN LATERAL ("
    " SELECT ad_id FROM free_keys WHERE free_keys.key = k.key AND free_keys.ad_id <> :ad_id"
    " ORDER BY ad_id DESC LIMIT :per_key) AS f"
).bindparams(
    bindparam("keys", type_=postgresql.ARRAY(String)),
    bindparam("ad_id", type_=Integer),
    bindparam("per_key", type_=Integer),
)


def candidate_rows(session: Session, ad_id: int, keys: list[str], *, portable: bool = False) -> list[Any]:
    """(key, campaign_id, ad_id) rows sharing these keys (at most KEYS_PER_STATEMENT), at most
    PER_KEY per key and table, the ad's own free rows left out; free ads with a NULL campaign.
    PostgreSQL runs _CANDIDATES_PG unless ``portable`` asks for the UNION ALL every backend runs."""
    if session.autoflush:  # as session.execute of the ORM select would; link_ads runs without autoflush
        session.flush()
    # The Core connection, not session.execute: the ORM's execution path cost more than
    # the lookup itself, and linking runs it for every ad.
    conn = session.connection()
    if conn.dialect.name == "postgresql" and not portable:
        return conn.execute(_CANDIDATES_PG, {"ad_id": ad_id, "keys": keys, "per_key": PER_KEY}).all()
    params = {"ad_id": ad_id, **{f"k{i}": key for i, key in enumerate(keys)}}
    return conn.execute(_candidates(len(keys)), params).all()


def _matches(
    session: Session, ad_id: int, keys: set[str], mh: MinHash | None, own: int | None
) -> tuple[dict[int, tuple[int, str]], dict[int, str]]:
    """(campaigns, free ads) this ad links to: {campaign: (ad matched, reason)}, {ad: reason}.

    A shared contact links at once. A shared band links only when the MinHashes reach
    NEAR_DUPLICATE: a free ad's own, or for a campaign the best of a few members that
    brought this ad's bands to it, those holding the most of them first (more shared
    bands, more alike). ``own`` is the ad's campaign, if any: nothing to check there.
    """
    campaigns: dict[int, tuple[int, str]] = {}
    free: dict[int, str] = {}
    if not keys:
        return campaigns, free
    ordered, rows = sorted(keys), []
    for start in range(0, len(ordered), KEYS_PER_STATEMENT):
        rows += candidate_rows(session, ad_id, ordered[start : start + KEYS_PER_STATEMENT])
    shared_bands: dict[int, Counter[int]] = {}
    free_bands: set[int] = set()
    for key, campaign_id, other in sorted(rows, key=lambda r: (r[2], r[0], r[1] or 0)):
        if other == ad_id or (campaign_id is not None and campaign_id == own):
            continue
        if key.startswith("band"):
            if campaign_id is None:
                free_bands.add(other)
            else:
                shared_bands.setdefault(campaign_id, Counter())[other] += 1
            continue
        kind, _, value = key.partition(":")
        reason = f"shares {kind} {value} with ad {other}"
        if campaign_id is None:
            free.setdefault(other, reason)
        else:
            campaigns.setdefault(campaign_id, (other, reason))
    representatives = {  # most shared bands first, then the oldest ad
        campaign_id: sorted(counts, key=lambda a: (-counts[a], a))[:REPRESENTATIVES]
        for campaign_id, counts in shared_bands.items()
        if campaign_id not in campaigns
    }
    free_bands -= free.keys()
    if mh is None or not (representatives or free_bands):
        return campaigns, free
    wanted = sorted(free_bands.union(*representatives.values()))
    signatures = session.connection().execute(_SIGNATURES, {"ad_ids": wanted})
    similar = {other: similarity(mh, blob) for other, blob in signatures if blob}

    def near(other: int) -> str:
        return f"near-duplicate text of ad {other} (similarity {similar[other]:.2f})"

    for other in sorted(free_bands):
        if similar.get(other, 0.0) >= NEAR_DUPLICATE:
            free[other] = near(other)
    for campaign_id, members in representatives.items():
        best = max(members, key=lambda a: (similar.get(a, 0.0), -a))
        if similar.get(best, 0.0) >= NEAR_DUPLICATE:
            campaigns[campaign_id] = (best, near(best))
    return campaigns, free


def _add_campaign_keys(session: Session, campaign_id: int, ad_ids: list[int]) -> None:
    """Give a campaign the keys of these members that it lacks."""
    conn = session.connection()
    add_keys, _ = _key_statements(conn.dialect.name)
    conn.execute(add_keys, {"campaign_id": campaign_id, "ad_ids": ad_ids})


def _merge(session: Session, source: int, target: int) -> None:
    """Fold campaign ``source`` into ``target``: its members, and the keys target lacks."""
    session.execute(_MOVE_MEMBERS, {"source": source, "target": target})
    _, move_keys = _key_statements(session.get_bind().dialect.name)
    session.execute(move_keys, {"source": source, "target": target})
    session.execute(_DELETE_CAMPAIGN_KEYS, {"campaign_id": source})
    session.execute(_DELETE_CAMPAIGN, {"source": source})


# One linker at a time on PostgreSQL (SQLite has one writer anyway): the scorers' linking,
# and the watchlist's, which links from the desk or the command line while a run scores.
# Not store.lock's key: a run holds that one on its own connection for the whole run,
# and the run's scoring links under this one.
LINKING_LOCK = 0x6C69_6E6B  # "link"


def hold_linking_lock(session: Session) -> None:
    """Wait for the linking lock; the transaction holds it until it ends (re-entrant)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINKING_LOCK})


def link_ads(session: Session, ad_ids: Iterable[int], now: datetime) -> LinkCounts:
    """Fingerprint the given ads and link each into a campaign with the ads it matches.

    An ad matching ads of several campaigns merges them into the oldest one.
    Membership is sticky: an edit that removes the shared contact does not unlink.
    """
    fingerprinted = linked = created = merged = 0
    touched: set[int] = set()
    ids = sorted(set(ad_ids))
    ads: dict[int, Ad] = {}
    fps: dict[int, AdFingerprint] = {}
    for start in range(0, len(ids), 500):  # bulk loads: one query per 500 ads, not two per ad
        chunk = ids[start : start + 500]
        ads.update((a.id, a) for a in session.scalars(select(Ad).where(Ad.id.in_(chunk))))
        fps.update((f.ad_id, f) for f in session.scalars(select(AdFingerprint).where(AdFingerprint.ad_id.in_(chunk))))
    session.flush()  # the caller's pending changes, once: the loop below leaves none of its own
    # Each ad's campaign, read once for the batch and kept in step below as ads join and
    # campaigns merge: under the linking lock, nobody else links meanwhile.
    hold_linking_lock(session)
    own_of: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        own_of.update((a, c) for a, c in session.execute(_OWN_CAMPAIGNS, {"ad_ids": chunk}))
    conn = session.connection()  # Core statements below: the ORM's execution path costs more than they do
    with session.no_autoflush:
        fresh = fingerprint_new(session, [ads[i] for i in ids if i in ads and i not in fps])
        for ad_id in ids:
            ad = ads.get(ad_id)
            if ad is None:
                continue
            own = own_of.get(ad_id)
            if ad_id in fresh:
                (contacts, mh, keys), refreshed = fresh[ad_id], True
            else:
                contacts, mh, refreshed = refresh_fingerprint(session, ad, fps.get(ad_id))
                keys = contacts | (band_keys(mh) if mh is not None else set())
            fingerprinted += refreshed
            # A free ad fingerprinted before has free_keys rows: old ones if it changed.
            free_rows = own is None and ad_id in fps
            if free_rows and refreshed:  # the new keys are added below if it stays free
                conn.execute(_DELETE_FREE, {"ad_ids": [ad_id]})
                free_rows = False
            campaigns, free = _matches(session, ad_id, keys, mh, own)
            if not campaigns and not free:
                if refreshed and own is None and keys:
                    conn.execute(_INSERT_FREE, [{"key": k, "ad_id": ad_id} for k in sorted(keys)])
                elif refreshed and own is not None:
                    _add_campaign_keys(session, own, [ad_id])
                continue
            targets = sorted(set(campaigns) | ({own} if own is not None else set()))
            if targets:
                target = targets[0]
                for other in targets[1:]:
                    _merge(session, other, target)
                    merged += 1
                    for member, campaign in own_of.items():
                        if campaign == other:
                            own_of[member] = target
                touched.add(target)
            else:
                target = conn.execute(_NEW_CAMPAIGN, {"created_at": now, "updated_at": now}).scalar_one()
                created += 1
            matched = dict(campaigns.values()) | free
            first_match = min(matched)
            joining = ([ad_id] if own is None else []) + sorted(free)
            members = [
                {
                    "ad_id": member,
                    "campaign_id": target,
                    "reason": matched[first_match] if member == ad_id else _reverse(free[member], ad_id),
                    "joined_at": now,
                }
                for member in joining
            ]
            if members:
                conn.execute(_INSERT_MEMBERS, members)
                linked += len(members)
                own_of.update((member, target) for member in joining)
            if free_rows or free:
                conn.execute(_DELETE_FREE, {"ad_ids": ([ad_id] if free_rows else []) + sorted(free)})
            # A linked ad that changed brings its new keys too (its old ones stay: the
            # campaign did use them).
            changed = [ad_id] if own is not None and refreshed else []
            _add_campaign_keys(session, target, joining + changed)
    if touched:  # once per batch; campaigns merged away meanwhile are simply gone
        session.execute(_CAMPAIGNS.update().where(_CAMPAIGNS.c.id.in_(sorted(touched))).values(updated_at=now))
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
    return dict(
        session.execute(
            select(CampaignMember.campaign_id, func.count())
            .where(CampaignMember.campaign_id.in_(ids))
            .group_by(CampaignMember.campaign_id)
        ).all()
    )


def scam_campaigns(session: Session, campaign_ids: Iterable[int]) -> set[int]:
    """Which of these campaigns have a member already decided as scam."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            select(CampaignMember.campaign_id)
            .distinct()
            .join(ReviewItem, ReviewItem.ad_id == CampaignMember.ad_id)
            .where(CampaignMember.campaign_id.in_(ids), ReviewItem.status == "scam")
        )
    )


def campaign_ads(session: Session, campaign_id: int) -> list[int]:
    """The ad ids of a campaign, oldest link first."""
    return list(
        session.scalars(
            select(CampaignMember.ad_id)
            .where(CampaignMember.campaign_id == campaign_id)
            .order_by(CampaignMember.joined_at, CampaignMember.ad_id)
        )
    )


PHONES = ("phone", "whatsapp")  # one number, whichever app it was given for
# Other ads carrying some of the values, those already in a campaign first.
_SHARING = (
    select(AdContact.ad_id, AdContact.kind, AdContact.value, CampaignMember.campaign_id)
    .outerjoin(CampaignMember, CampaignMember.ad_id == AdContact.ad_id)
    .where(AdContact.value.in_(bindparam("values", expanding=True)), AdContact.ad_id != bindparam("ad_id"))
    .order_by(CampaignMember.campaign_id.is_(None), CampaignMember.campaign_id, AdContact.ad_id)
    .limit(PER_KEY)
)
_TOUCH = _CAMPAIGNS.update().where(_CAMPAIGNS.c.id == bindparam("target")).values(updated_at=bindparam("now"))


def join_contact_campaign(session: Session, ad_id: int, contacts: list[tuple[str, str]], now: datetime) -> int | None:
    """Link an ad in no campaign to the campaign of the ads sharing one of ``contacts``
    (kind, normalised value), for contacts linking leaves out (links and domains) or that
    nothing linked yet: with other ads but no campaign, they form a new one with it.
    The campaign joined, or None (the ad already had one, or nobody else has the contacts)."""
    if not contacts:
        return None
    hold_linking_lock(session)  # a scorer reads campaigns once per batch: not while it links
    if session.execute(_OWN_CAMPAIGN, {"ad_id": ad_id}).scalar() is not None:
        return None
    values = sorted({v for _, v in contacts})
    sharing = session.execute(_SHARING, {"values": values, "ad_id": ad_id}).all()
    wanted = set(contacts)
    phones = {v for k, v in contacts if k in PHONES}
    rows = [r for r in sharing if (r[1], r[2]) in wanted or (r[1] in PHONES and r[2] in phones)]
    if not rows:
        return None
    linked = [r for r in rows if r[3] is not None]
    first = (linked or rows)[0]
    reason = f"shares watchlisted {first[1]} {first[2]} with ad {first[0]}"
    if linked:
        target, joining = int(first[3]), [ad_id]
    else:
        target = session.execute(_NEW_CAMPAIGN, {"created_at": now, "updated_at": now}).scalar_one()
        joining = [ad_id, *sorted({int(r[0]) for r in rows})]
    session.execute(
        _INSERT_MEMBERS,
        [
            {
                "ad_id": a,
                "campaign_id": target,
                "reason": reason if a == ad_id else _reverse(reason, ad_id),
                "joined_at": now,
            }
            for a in joining
        ],
    )
    session.execute(_DELETE_FREE, {"ad_ids": joining})
    _add_campaign_keys(session, target, joining)
    session.execute(_TOUCH, {"target": target, "now": now})
    return target
