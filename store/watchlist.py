"""The watchlist: known recruiter contacts, and the ads that carry them.

Two kinds of entries make one list. Contacts that partners publish (police, embassies,
platforms) or a lead adds are rows of ``watchlist_entries``, each change audited in
``watchlist_events``. Contacts that analysts confirmed (an ad decided ``scam``) are read
live from the queue, with the rules of the partner export (store.confirmed): shared
providers' domains and domains also in a cleared ad do not count.

An ad whose contacts (``ad_contacts``, the same normal form) meet the watchlist is
marked by ``rescan``: its newest score gets band ``critical``, ``flagged`` and a first
reason ``{"signal": "watchlist", ...}``; it is queued if it was not, and linked to the
contact's campaign. Decided items are left alone. ``rescan`` is what an import runs
(no rescoring) and what the score stage runs after the model's scores.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, aliased

from core.contacts import PHONE_KINDS
from store.campaigns import join_contact_campaign
from store.confirmed import SHARED_DOMAINS
from store.errors import NotFoundError
from store.schema import (
    DECISIONS,
    Ad,
    AdContact,
    ReviewEvent,
    ReviewItem,
    Score,
    WatchlistEntry,
    WatchlistEvent,
)
from store.watchlistfile import ListedContact

log = logging.getLogger(__name__)

SIGNAL = "watchlist"
WEIGHT = 3.0  # a very-high-severity signal (core.bands: weight 3)
SYSTEM_ACTOR = "lurewatch"
CHUNK = 500


@dataclass(frozen=True)
class Hit:
    """A contact of an ad that is on the watchlist, and who vouches for it."""

    kind: str
    value: str
    scam_ads: int = 0  # other ads with it that analysts decided scam
    sources: tuple[str, ...] = ()  # lists it is on

    def text(self) -> str:
        """``contact on the watchlist: @x (confirmed in 2 scam ads / listed by police-kr)``."""
        why = []
        if self.scam_ads:
            why.append(f"confirmed in {self.scam_ads} scam ad{'' if self.scam_ads == 1 else 's'}")
        if self.sources:
            why.append(f"listed by {', '.join(self.sources)}")
        return f"contact on the watchlist: {self.value} ({' / '.join(why)})"

    def reason(self) -> dict:
        """The reason dict stored with the score (the shape the classifier's reasons have)."""
        return {
            "signal": SIGNAL,
            "label": self.text(),
            "weight": WEIGHT,
            "evidence": "",
            "start": -1,
            "end": -1,
            "kind": self.kind,
            "value": self.value,
        }


@dataclass
class RescanResult:
    """What one rescan did: ads newly marked (their ids), newly queued, left decided."""

    marked: list[int] = field(default_factory=list)
    queued: int = 0
    linked: int = 0
    unscored: int = 0


def _compatible(entry_kind: str, ad_kind: str) -> bool:
    return entry_kind == ad_kind or (entry_kind in PHONE_KINDS and ad_kind in PHONE_KINDS)


def _legit_domains(session: Session, values: Iterable[str]) -> set[str]:
    wanted = sorted(set(values))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(AdContact.value)
            .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
            .where(AdContact.kind == "domain", AdContact.value.in_(wanted), ReviewItem.status == "legit")
        )
    )


def hits_for_ads(session: Session, ad_ids: Iterable[int]) -> dict[int, list[Hit]]:
    """Each ad's contacts that are on the watchlist (listed, or confirmed by another ad's verdict)."""
    ids = sorted(set(ad_ids))
    found: dict[int, dict[tuple[str, str], Hit]] = defaultdict(dict)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        listed: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for ad_id, kind, value, entry_kind, source in session.execute(
            select(AdContact.ad_id, AdContact.kind, AdContact.value, WatchlistEntry.kind, WatchlistEntry.source)
            .join(WatchlistEntry, WatchlistEntry.value == AdContact.value)
            .where(AdContact.ad_id.in_(chunk))
        ):
            if _compatible(entry_kind, kind):
                listed[(ad_id, kind, value)].add(source)
        other = aliased(AdContact)
        confirmed = session.execute(
            select(AdContact.ad_id, AdContact.kind, AdContact.value, func.count(other.ad_id.distinct()))
            .join(other, and_(other.value == AdContact.value, other.kind == AdContact.kind))
            .join(ReviewItem, and_(ReviewItem.ad_id == other.ad_id, ReviewItem.status == "scam"))
            .where(AdContact.ad_id.in_(chunk), other.ad_id != AdContact.ad_id)
            .group_by(AdContact.ad_id, AdContact.kind, AdContact.value)
        ).all()
        cleared = _legit_domains(session, (v for _, k, v, _ in confirmed if k == "domain"))
        scam: dict[tuple[int, str, str], int] = {}
        for ad_id, kind, value, n in confirmed:
            if kind == "domain" and (value in SHARED_DOMAINS or value in cleared):
                continue
            scam[(ad_id, kind, value)] = int(n)
        for key in sorted(set(listed) | set(scam)):
            ad_id, kind, value = key
            found[ad_id][(kind, value)] = Hit(kind, value, scam.get(key, 0), tuple(sorted(listed.get(key, ()))))
    return {ad_id: [hits[k] for k in sorted(hits)] for ad_id, hits in found.items()}


def _candidates(session: Session, ad_ids: Iterable[int] | None) -> list[int]:
    """Undecided ads carrying a listed or a confirmed contact (a superset of the hits)."""
    own = aliased(ReviewItem)
    undecided = ~(
        select(own.id).where(own.ad_id == AdContact.ad_id, own.status.in_(DECISIONS)).correlate(AdContact).exists()
    )
    listed = select(AdContact.ad_id).join(WatchlistEntry, WatchlistEntry.value == AdContact.value).where(undecided)
    other = aliased(AdContact)
    confirmed = (
        select(AdContact.ad_id)
        .join(other, and_(other.value == AdContact.value, other.kind == AdContact.kind, other.ad_id != AdContact.ad_id))
        .join(ReviewItem, and_(ReviewItem.ad_id == other.ad_id, ReviewItem.status == "scam"))
        .where(undecided)
    )
    if ad_ids is not None:
        wanted = sorted(set(ad_ids))
        listed, confirmed = listed.where(AdContact.ad_id.in_(wanted)), confirmed.where(AdContact.ad_id.in_(wanted))
    return sorted(set(session.scalars(listed)) | set(session.scalars(confirmed)))


def _latest_scores(session: Session, ad_ids: list[int]) -> dict[int, Score]:
    latest: dict[int, Score] = {}
    for s in session.scalars(select(Score).where(Score.ad_id.in_(ad_ids)).order_by(Score.scored_at, Score.id)):
        latest[s.ad_id] = s  # the newest wins
    return latest


def marked(reasons: Iterable[object] | None) -> bool:
    """True when a score's reasons already carry the watchlist's."""
    return any(isinstance(r, dict) and r.get("signal") == SIGNAL for r in reasons or [])


def rescan(session: Session, now: datetime, ad_ids: Iterable[int] | None = None) -> RescanResult:
    """Mark every undecided, scored ad that carries a watchlisted contact (``ad_ids``: only those).

    Idempotent: an ad whose newest score already carries the watchlist reason is left
    as it is. Ads not scored yet are marked when they are (the score stage runs this).
    """
    result = RescanResult()
    candidates = _candidates(session, ad_ids)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        hits = hits_for_ads(session, chunk)
        scores = _latest_scores(session, chunk)
        items = {i.ad_id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.ad_id.in_(chunk)))}
        for ad_id in chunk:
            found, score = hits.get(ad_id), scores.get(ad_id)
            if not found:
                continue
            if score is None:
                result.unscored += 1
                continue
            if marked(score.reasons):
                continue
            item = items.get(ad_id)
            if item is not None and item.status in DECISIONS:
                continue
            score.reasons = [h.reason() for h in found] + [r for r in score.reasons or [] if isinstance(r, dict)]
            score.band, score.flagged = "critical", True
            note = "; ".join(h.text() for h in found)[:2000]
            if item is None:
                item = ReviewItem(ad_id=ad_id, status="pending", priority=score.score, created_at=now, updated_at=now)
                session.add(item)
                session.flush()
                old = None
                result.queued += 1
            else:
                old, item.updated_at = item.status, now
            session.add(
                ReviewEvent(
                    item_id=item.id,
                    actor=SYSTEM_ACTOR,
                    at=now,
                    old_status=old,
                    new_status=item.status,
                    note=f"critical: {note}",
                    model_version=score.model_version,
                )
            )
            if join_contact_campaign(session, ad_id, [(h.kind, h.value) for h in found], now) is not None:
                result.linked += 1
            result.marked.append(ad_id)
    session.flush()
    if result.marked:
        log.info("watchlist: %d ad(s) marked critical, %d newly queued", len(result.marked), result.queued)
    return result


# ------------------------------------------------------------------ the list itself


@dataclass(frozen=True)
class ImportResult:
    """What an import added, what was already listed, and what the rescan then did."""

    added: list[int]
    already: int
    rescan: RescanResult


def add_entries(
    session: Session, contacts: list[ListedContact], actor: str, now: datetime, note: str = ""
) -> ImportResult:
    """Add the contacts (already checked: the caller read the whole file first), audit each,
    then rescan the contact index for the ads they meet."""
    existing = (
        {
            (k, v, s)
            for k, v, s in session.execute(
                select(WatchlistEntry.kind, WatchlistEntry.value, WatchlistEntry.source).where(
                    WatchlistEntry.value.in_(sorted({c.value for c in contacts}))
                )
            )
        }
        if contacts
        else set()
    )
    added = []
    for c in contacts:
        if (c.kind, c.value, c.source) in existing:
            continue
        existing.add((c.kind, c.value, c.source))
        entry = WatchlistEntry(kind=c.kind, value=c.value, source=c.source, note=c.note, added_by=actor, added_at=now)
        session.add(entry)
        session.flush()
        session.add(
            WatchlistEvent(
                entry_id=entry.id,
                action="added",
                kind=c.kind,
                value=c.value,
                source=c.source,
                actor=actor,
                at=now,
                note=note or None,
            )
        )
        added.append(entry.id)
    session.flush()
    return ImportResult(added, len(contacts) - len(added), rescan(session, now) if added else RescanResult())


def remove_entry(session: Session, entry_id: int, actor: str, now: datetime) -> WatchlistEntry:
    """Take one listing off the watchlist (audited). Ads already marked keep their band:
    an analyst may be reading them, and their verdict is what should change them."""
    entry = session.get(WatchlistEntry, entry_id)
    if entry is None:
        raise NotFoundError(
            f"watchlist entry {entry_id} does not exist (contacts confirmed by analysts have no id: "
            "change the verdict to take one off)"
        )
    session.add(
        WatchlistEvent(
            entry_id=entry.id,
            action="removed",
            kind=entry.kind,
            value=entry.value,
            source=entry.source,
            actor=actor,
            at=now,
        )
    )
    session.execute(delete(WatchlistEntry).where(WatchlistEntry.id == entry_id))
    return entry


@dataclass(frozen=True)
class Listing:
    """One line of the watchlist as people see it: an entry (or a confirmed contact, id None)."""

    id: int | None
    kind: str
    value: str
    source: str
    note: str
    added_by: str
    added_at: datetime | None
    hits: int  # ads carrying it
    last_seen: datetime | None  # the newest of those ads' last sighting


def _ad_counts(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, datetime | None]]:
    """(ads, newest last_seen) per (kind, value), phones matched across phone and whatsapp."""
    values = sorted({v for _, v in pairs})
    out: dict[tuple[str, str], tuple[int, datetime | None]] = {}
    by_value: dict[str, list[tuple[str, int, datetime | None]]] = defaultdict(list)
    for start in range(0, len(values), CHUNK):
        for kind, value, n, last in session.execute(
            select(AdContact.kind, AdContact.value, func.count(AdContact.ad_id.distinct()), func.max(Ad.last_seen_at))
            .join(Ad, Ad.id == AdContact.ad_id)
            .where(AdContact.value.in_(values[start : start + CHUNK]))
            .group_by(AdContact.kind, AdContact.value)
        ):
            by_value[value].append((kind, int(n), last))
    for kind, value in pairs:
        rows = [(n, last) for k, n, last in by_value.get(value, []) if _compatible(kind, k)]
        lasts = [last for _, last in rows if last is not None]
        out[(kind, value)] = (sum(n for n, _ in rows), max(lasts) if lasts else None)
    return out


def watchlist(session: Session, confirmed: bool = True) -> list[Listing]:
    """The entries (newest first), then the contacts analysts confirmed, with their hits."""
    from store.confirmed import confirmed_contacts  # the export's rules, one place

    entries = list(session.scalars(select(WatchlistEntry).order_by(WatchlistEntry.id.desc())))
    found = confirmed_contacts(session) if confirmed else []
    counts = _ad_counts(session, {(e.kind, e.value) for e in entries} | {(c.kind, c.value) for c in found})
    rows = [
        Listing(e.id, e.kind, e.value, e.source, e.note, e.added_by, e.added_at, *counts[(e.kind, e.value)])
        for e in entries
    ]
    rows += [
        Listing(
            None,
            c.kind,
            c.value,
            "analysts",
            f"confirmed in {c.scam_ads} scam ad(s)",
            "",
            c.first_confirmed,
            *counts[(c.kind, c.value)],
        )
        for c in found
    ]
    return rows


def get_entry(session: Session, entry_id: int) -> WatchlistEntry:
    """One entry, or NotFoundError."""
    entry = session.get(WatchlistEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"watchlist entry {entry_id} does not exist")
    return entry


def ads_with(session: Session, kind: str, value: str, limit: int = 200) -> list[int]:
    """Ids of the ads carrying a contact (phones across phone and whatsapp), newest first."""
    kinds = PHONE_KINDS if kind in PHONE_KINDS else (kind,)
    return list(
        session.scalars(
            select(AdContact.ad_id)
            .distinct()
            .where(AdContact.value == value, AdContact.kind.in_(kinds))
            .order_by(AdContact.ad_id.desc())
            .limit(limit)
        )
    )


def watchlist_events(session: Session, limit: int = 200) -> list[WatchlistEvent]:
    """The latest changes to the watchlist, newest first."""
    return list(session.scalars(select(WatchlistEvent).order_by(WatchlistEvent.id.desc()).limit(limit)))
