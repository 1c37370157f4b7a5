"""Re-extract stored contacts with today's rules, and unlink what rested only on bad ones.

Before issue 24 the crawler stored digits from news URLs, ids and counts as phones
(``+659800``), and those "contacts" linked unrelated ads into campaigns. Migration 0010
runs ``recheck_contacts`` once over every ad:

1. Each ad's contacts are extracted again from its stored text and links
   (core.contactscan, with its country and language). Phones are kept only when found
   again; the other kinds as stored when they pass their kind's rules, plus what the new
   rules find. ``ads.contacts``, ``ads.content_hash`` (so the next ``score`` analyses the
   ad again and its band follows), ``ad_contacts`` and the ad's contact keys in
   ``fingerprint_keys`` / ``free_keys`` follow.
2. Every campaign with a member whose keys changed is split into what still holds it
   together: shared contact keys the members have now, the near-duplicate text links
   (recorded reasons, and members whose MinHashes still reach NEAR_DUPLICATE), and
   recorded links whose contact was not removed (a link kept through an edit stays: links
   are sticky). The largest part keeps the campaign; other parts of two or more ads
   become campaigns of their own; a lone ad leaves, free again. ``campaign_keys`` of the
   campaigns touched are rebuilt from their members' keys.
3. A watchlist mark (store.watchlist) on an ad's newest score that rested on a removed
   contact loses that reason; the ad is scored again at the next ``score`` (its content
   hash changed), which sets its band without it.

Core statements on the connection the migration gives, naming their columns, so that a
later migration adding a column does not break this one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

import numpy as np
from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text, column, delete, insert, select, table, update
from sqlalchemy.engine import Connection

from core.ad import CONTACT_KINDS, content_hash
from core.bands import BANDS, band_rank
from core.contacts import index_rows
from core.contactscan import canonical_contact, extract_contacts, merge_contacts
from core.minhash import NEAR_DUPLICATE
from core.unionfind import UnionFind
from store.fingerprints import FINGERPRINT_VERSION, contact_keys
from store.schema import UTCDateTime

log = logging.getLogger(__name__)

BATCH = 500
REPRESENTATIVES = 8  # members of a band bucket each member is compared with (as linking does)
WATCHLIST_SIGNAL = "watchlist"  # store.watchlist.SIGNAL, as of this rule
_CONTACT_REASON = re.compile(r"^shares (watchlisted )?(\S+) (.+) with ad (\d+)$")
_NEAR_REASON = re.compile(r"^near-duplicate text of ad (\d+)")
# The tables as of this migration, by the columns it reads and writes: never the ORM's
# current ones, whose later columns and Python-side defaults a database at 0009 lacks.
_ADS = table(
    "ads",
    *(column(c, Text) for c in ("title", "company", "location", "country", "salary", "description", "language")),
    column("id", Integer),
    column("contacts", JSON),
    column("content_hash", String),
)
_FPS = table(
    "ad_fingerprints", column("ad_id", Integer), column("minhash", LargeBinary), column("content_hash", String)
)
_AC = table("ad_contacts", column("ad_id", Integer), column("kind", String), column("value", String))
_SCORES = table(
    "scores",
    column("id", Integer),
    column("ad_id", Integer),
    column("reasons", JSON),
    column("band", String),
    column("flagged", Boolean),
    column("scored_at", UTCDateTime),
)
_ITEMS = table("review_items", column("ad_id", Integer), column("band_rank", Integer))
_CK = table("campaign_keys", column("key", String), column("campaign_id", Integer), column("ad_id", Integer))
_FK = table("fingerprint_keys", column("key", String), column("ad_id", Integer))
_FREE = table("free_keys", column("key", String), column("ad_id", Integer))
_MEMBERS = table("campaign_members", column("ad_id", Integer), column("campaign_id", Integer), column("reason", Text))
_CAMPAIGNS = table(
    "campaigns", column("id", Integer), column("created_at", UTCDateTime), column("updated_at", UTCDateTime)
)


@dataclass
class RecheckCounts:
    """What a recheck changed."""

    ads_changed: int = 0
    contacts_removed: int = 0  # ad_contacts rows
    contacts_added: int = 0
    campaign_links_removed: int = 0  # ads that left their campaign
    campaigns_split: int = 0  # new campaigns made of a part that lost its link to the rest
    campaigns_dissolved: int = 0
    watchlist_marks_removed: int = 0


def recontact(ad: dict[str, Any]) -> dict[str, list[str]]:
    """An ad's contacts by today's rules: re-extracted from its text and stored links, plus
    the stored non-phone values that pass their kind's rules."""
    stored = ad.get("contacts") if isinstance(ad.get("contacts"), dict) else {}
    links = [str(u) for u in stored.get("url") or [] if isinstance(u, str)]
    fresh = extract_contacts(
        [ad.get("title") or "", ad.get("description") or "", ad.get("company") or ""],
        links,
        country=ad.get("country") or "",
        language=ad.get("language") or "",
    )
    kept: dict[str, list[str]] = {}
    for kind in CONTACT_KINDS:
        values = stored.get(kind) or []
        if kind == "phone":  # a phone stands only if the rules find it again in the text
            continue
        # Stored as any ingestion path wrote them: one string or a list, any case (@KKPark_HR).
        values = [values] if isinstance(values, str) else values
        canonical = (canonical_contact(kind, v) for v in values if isinstance(v, str))
        kept[kind] = [c for c in canonical if c is not None]
    return merge_contacts(kept, fresh)


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    def norm(c: dict[str, Any] | None) -> dict[str, list[str]]:
        return {k: list(v) for k, v in (c or {}).items() if v}

    return norm(a) == norm(b)


def _stamp(ad_hash: str) -> str:
    return hashlib.sha256(f"{FINGERPRINT_VERSION}:{ad_hash}".encode()).hexdigest()


_AD_COLUMNS = ("id", "title", "company", "location", "country", "salary", "description", "contacts", "language")


def _recheck_ads(
    conn: Connection, counts: RecheckCounts
) -> tuple[dict[int, set[str]], dict[int, set[tuple[str, str]]], dict[int, set[str]]]:
    """Step 1. (contact keys removed by ad, index rows removed by ad, contact keys added by ad)."""
    removed_keys: dict[int, set[str]] = {}
    removed_rows: dict[int, set[tuple[str, str]]] = {}
    added_keys: dict[int, set[str]] = {}
    ads = _ADS
    last = 0
    while True:
        rows = conn.execute(
            select(*(ads.c[c] for c in _AD_COLUMNS)).where(ads.c.id > last).order_by(ads.c.id).limit(BATCH)
        ).all()
        if not rows:
            return removed_keys, removed_rows, added_keys
        last = rows[-1][0]
        for row in rows:
            ad = dict(zip(_AD_COLUMNS, row))
            new = recontact(ad)
            if _same(ad["contacts"], new):
                continue
            counts.ads_changed += 1
            ad_id = ad["id"]
            old_rows, new_rows = index_rows(ad["contacts"] or {}), index_rows(new)
            new_hash = content_hash({**ad, "contacts": new})
            conn.execute(update(ads).where(ads.c.id == ad_id).values(contacts=new, content_hash=new_hash))
            fp = _FPS
            conn.execute(update(fp).where(fp.c.ad_id == ad_id).values(content_hash=_stamp(new_hash)))
            gone, added = old_rows - new_rows, new_rows - old_rows
            ac = _AC
            for kind, value in sorted(gone):
                conn.execute(delete(ac).where(ac.c.ad_id == ad_id, ac.c.kind == kind, ac.c.value == value))
            if added:
                conn.execute(insert(ac), [{"ad_id": ad_id, "kind": k, "value": v} for k, v in sorted(added)])
            counts.contacts_removed += len(gone)
            counts.contacts_added += len(added)
            if gone:
                removed_rows[ad_id] = gone
            old_keys, new_keys = contact_keys(ad["contacts"] or {}), contact_keys(new)
            if old_keys != new_keys:
                _replace_keys(conn, ad_id, old_keys - new_keys, new_keys - old_keys)
                if old_keys - new_keys:
                    removed_keys[ad_id] = old_keys - new_keys
                if new_keys - old_keys:
                    added_keys[ad_id] = new_keys - old_keys


def _replace_keys(conn: Connection, ad_id: int, gone: set[str], added: set[str]) -> None:
    """An ad's contact keys in fingerprint_keys, and in free_keys when it is in no campaign."""
    if not conn.execute(select(_FK.c.ad_id).where(_FK.c.ad_id == ad_id).limit(1)).first():
        return  # never fingerprinted: linking will fingerprint it from its contacts
    free = conn.execute(select(_MEMBERS.c.ad_id).where(_MEMBERS.c.ad_id == ad_id)).first() is None
    for key in sorted(gone):
        conn.execute(delete(_FK).where(_FK.c.ad_id == ad_id, _FK.c.key == key))
        conn.execute(delete(_FREE).where(_FREE.c.ad_id == ad_id, _FREE.c.key == key))
    if added:
        conn.execute(insert(_FK), [{"ad_id": ad_id, "key": k} for k in sorted(added)])
        if free:
            conn.execute(insert(_FREE), [{"ad_id": ad_id, "key": k} for k in sorted(added)])


def _parts(
    conn: Connection,
    members: list[tuple[int, str]],
    removed_keys: dict[int, set[str]],
    removed_rows: dict[int, set[tuple[str, str]]],
) -> tuple[list[list[int]], dict[int, str]]:
    """Step 2 for one campaign: its members grouped by what still links them, largest part
    first, and a reason for each member whose recorded one no longer holds."""
    ids = sorted(a for a, _ in members)
    inside = set(ids)
    links = UnionFind()
    stale: set[int] = set()  # members whose recorded link rested on a removed contact
    for ad_id, reason in members:
        links.find(ad_id)
        near, shared = _NEAR_REASON.match(reason or ""), _CONTACT_REASON.match(reason or "")
        if near:
            other, holds = int(near.group(1)), True
        elif shared:
            other, item = int(shared.group(4)), (shared.group(2), shared.group(3))
            if shared.group(1):  # "shares watchlisted phone +82... with ad 7": an ad_contacts row
                holds = item not in removed_rows.get(ad_id, set()) | removed_rows.get(other, set())
            else:  # "shares phone 659800 with ad 7": a fingerprint key
                key = f"{item[0]}:{item[1]}"
                holds = key not in removed_keys.get(ad_id, set()) | removed_keys.get(other, set())
        else:
            continue  # no reason this rule knows: the links below decide
        if not holds:
            stale.add(ad_id)
        elif other in inside:
            links.union(ad_id, other)
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, ad_id in conn.execute(select(_FK.c.key, _FK.c.ad_id).where(_FK.c.ad_id.in_(ids))):
        by_key[key].append(ad_id)
    signatures = dict(conn.execute(select(_FPS.c.ad_id, _FPS.c.minhash).where(_FPS.c.ad_id.in_(ids))).all())
    new_reason: dict[int, str] = {}
    for key, holders in sorted(by_key.items()):
        holders.sort()
        if key.startswith("band"):
            for ad_id in holders:
                blob = signatures.get(ad_id)
                for other in holders[:REPRESENTATIVES]:
                    if other == ad_id or not blob or not signatures.get(other):
                        continue
                    if _similarity(blob, signatures[other]) >= NEAR_DUPLICATE:
                        links.union(ad_id, other)
                        new_reason.setdefault(ad_id, f"near-duplicate text of ad {other}")
                        new_reason.setdefault(other, f"near-duplicate text of ad {ad_id}")
                        break
        else:
            kind, _, value = key.partition(":")
            for ad_id in holders[1:]:
                links.union(ad_id, holders[0])
                new_reason.setdefault(ad_id, f"shares {kind} {value} with ad {holders[0]}")
                new_reason.setdefault(holders[0], f"shares {kind} {value} with ad {ad_id}")
    groups: dict[Any, list[int]] = defaultdict(list)
    for ad_id in ids:
        groups[links.find(ad_id)].append(ad_id)
    parts = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    fallback = "linked through other members (its own link rested on a contact removed by the recheck)"
    return parts, {a: new_reason.get(a, fallback) for a in stale}


def _similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored MinHash signatures (store.fingerprints)."""
    x, y = np.frombuffer(a, dtype="<u8"), np.frombuffer(b, dtype="<u8")
    return float(np.count_nonzero(x == y)) / max(len(x), 1) if len(x) == len(y) else 0.0


def _campaigns_of(conn: Connection, ad_ids: Iterable[int]) -> dict[int, int]:
    """{ad: campaign} of these ads that are in one."""
    ids, found = sorted(set(ad_ids)), {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found.update(
            conn.execute(select(_MEMBERS.c.ad_id, _MEMBERS.c.campaign_id).where(_MEMBERS.c.ad_id.in_(chunk))).all()
        )
    return found


def _relink(
    conn: Connection,
    removed_keys: dict[int, set[str]],
    removed_rows: dict[int, set[tuple[str, str]]],
    added_keys: dict[int, set[str]],
    now: datetime,
    counts: RecheckCounts,
) -> None:
    """Step 2: every campaign with a member that lost a contact is split by what holds it;
    a campaign whose members only gained contacts gains their keys."""
    split = set(_campaigns_of(conn, set(removed_keys) | set(removed_rows)).values())
    for ad_id, campaign_id in sorted(_campaigns_of(conn, added_keys).items()):
        if campaign_id in split:
            continue  # its keys are rebuilt below
        held = set(conn.scalars(select(_CK.c.key).where(_CK.c.campaign_id == campaign_id)))
        new = sorted(added_keys[ad_id] - held)
        if new:
            conn.execute(insert(_CK), [{"key": k, "campaign_id": campaign_id, "ad_id": ad_id} for k in new])
    for campaign_id in sorted(split):
        members = conn.execute(
            select(_MEMBERS.c.ad_id, _MEMBERS.c.reason).where(_MEMBERS.c.campaign_id == campaign_id)
        ).all()
        parts, reasons = _parts(conn, [(a, r) for a, r in members], removed_keys, removed_rows)
        for ad_id, reason in reasons.items():
            conn.execute(update(_MEMBERS).where(_MEMBERS.c.ad_id == ad_id).values(reason=reason))
        conn.execute(delete(_CK).where(_CK.c.campaign_id == campaign_id))
        campaigns: list[tuple[int, list[int]]] = []
        for number, part in enumerate(parts):
            if len(part) < 2:
                conn.execute(delete(_MEMBERS).where(_MEMBERS.c.ad_id.in_(part)))
                _free(conn, part)
                counts.campaign_links_removed += len(part)
                continue
            if number == 0:
                campaigns.append((campaign_id, part))
                continue
            new_id = conn.execute(insert(_CAMPAIGNS).values(created_at=now, updated_at=now).returning(_CAMPAIGNS.c.id))
            target = int(new_id.scalar_one())
            conn.execute(update(_MEMBERS).where(_MEMBERS.c.ad_id.in_(part)).values(campaign_id=target))
            counts.campaigns_split += 1
            campaigns.append((target, part))
        if not campaigns or len(parts[0]) < 2:
            conn.execute(delete(_CAMPAIGNS).where(_CAMPAIGNS.c.id == campaign_id))
            counts.campaigns_dissolved += 1
        else:
            conn.execute(update(_CAMPAIGNS).where(_CAMPAIGNS.c.id == campaign_id).values(updated_at=now))
        for target, part in campaigns:
            keys: dict[str, int] = {}
            for key, ad_id in conn.execute(select(_FK.c.key, _FK.c.ad_id).where(_FK.c.ad_id.in_(part))):
                keys[key] = min(ad_id, keys.get(key, ad_id))
            if keys:
                conn.execute(
                    insert(_CK), [{"key": k, "campaign_id": target, "ad_id": a} for k, a in sorted(keys.items())]
                )


def _free(conn: Connection, ad_ids: Iterable[int]) -> None:
    """Ads that left every campaign: their fingerprint keys become free keys again."""
    for ad_id in ad_ids:
        keys = conn.scalars(select(_FK.c.key).where(_FK.c.ad_id == ad_id)).all()
        conn.execute(delete(_FREE).where(_FREE.c.ad_id == ad_id))
        if keys:
            conn.execute(insert(_FREE), [{"key": k, "ad_id": ad_id} for k in sorted(keys)])


def _unmark(conn: Connection, removed_rows: dict[int, set[tuple[str, str]]], counts: RecheckCounts) -> None:
    """Step 3: watchlist reasons of an ad's newest score that named a removed contact."""
    scores = _SCORES
    for ad_id, gone in sorted(removed_rows.items()):
        newest = conn.execute(
            select(scores.c.id, scores.c.reasons, scores.c.band)
            .where(scores.c.ad_id == ad_id)
            .order_by(scores.c.scored_at.desc(), scores.c.id.desc())
            .limit(1)
        ).first()
        if newest is None or not isinstance(newest[1], list):
            continue
        kept = [
            r
            for r in newest[1]
            if not (
                isinstance(r, dict) and r.get("signal") == WATCHLIST_SIGNAL and (r.get("kind"), r.get("value")) in gone
            )
        ]
        if len(kept) != len(newest[1]):
            values: dict[str, Any] = {"reasons": kept}
            # The last mark gone: the score takes back the band the model gave it (kept in the
            # mark since issue 24), and the review item its rank in the queue's one order.
            before = next((r for r in newest[1] if isinstance(r, dict) and r.get("band_before") in BANDS), None)
            if before is not None and not any(
                isinstance(r, dict) and r.get("signal") == WATCHLIST_SIGNAL for r in kept
            ):
                values.update(band=before["band_before"], flagged=bool(before.get("flagged_before")))
                conn.execute(
                    update(_ITEMS).where(_ITEMS.c.ad_id == ad_id).values(band_rank=band_rank(before["band_before"]))
                )
            conn.execute(update(scores).where(scores.c.id == newest[0]).values(**values))
            counts.watchlist_marks_removed += len(newest[1]) - len(kept)


def recheck_contacts(conn: Connection, now: datetime | None = None) -> RecheckCounts:
    """Re-extract every ad's contacts and unlink what rested on removed ones (module doc)."""
    now = now or datetime.now(timezone.utc)
    counts = RecheckCounts()
    removed_keys, removed_rows, added_keys = _recheck_ads(conn, counts)
    _relink(conn, removed_keys, removed_rows, added_keys, now, counts)
    if removed_rows:
        _unmark(conn, removed_rows, counts)
    log.info("contacts rechecked: %s", counts)
    return counts
