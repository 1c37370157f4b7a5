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
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.bands import band_rank
from core.contacts import PHONE_KINDS
from store.campaigns import join_contact_campaign
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
# A domain row of an ad is derived from its emails and links, not a contact the recruiter
# gave: one scam verdict on an ad with hr@company.example must not make every ad of that
# company critical. Analysts' verdicts put the contacts themselves on the watchlist; a
# domain is watched when a partner or a lead lists it (the Share page still exports
# confirmed domains, with their cleared counts, for receivers to judge).
WATCHED_CONFIRMED_KINDS = ("phone", "whatsapp", "telegram", "kakao", "line", "email", "url")


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


@dataclass
class _Watch:
    """The whole watchlist in memory, by value: listed (kind, source) pairs and confirmed counts."""

    listed: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    scam: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, value) -> scam ads carrying it

    def values(self) -> list[str]:
        return sorted(set(self.listed) | {v for _, v in self.scam})

    def hit(self, kind: str, value: str, own_scam: bool = False) -> Hit | None:
        sources = tuple(sorted({src for k, src in self.listed.get(value, ()) if _compatible(k, kind)}))
        scam = self.scam.get((kind, value), 0) - (1 if own_scam and (kind, value) in self.scam else 0)
        return Hit(kind, value, scam, sources) if sources or scam > 0 else None


def _watch(session: Session) -> _Watch:
    """Listed entries, and the contacts of ads decided scam (the export's domain rules)."""
    watch = _Watch()
    for kind, value, source in session.execute(
        select(WatchlistEntry.kind, WatchlistEntry.value, WatchlistEntry.source)
    ):
        watch.listed[value].append((kind, source))
    confirmed = session.execute(
        select(AdContact.kind, AdContact.value, func.count(AdContact.ad_id.distinct()))
        .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
        .where(ReviewItem.status == "scam")
        .group_by(AdContact.kind, AdContact.value)
    ).all()
    for kind, value, n in confirmed:
        if kind in WATCHED_CONFIRMED_KINDS:
            watch.scam[(kind, value)] = int(n)
    return watch


def _hits(watch: _Watch, contacts: Iterable[tuple[int, str, str]], scam_ads: set[int]) -> dict[int, list[Hit]]:
    found: dict[int, dict[tuple[str, str], Hit]] = defaultdict(dict)
    for ad_id, kind, value in contacts:
        hit = watch.hit(kind, value, own_scam=ad_id in scam_ads)
        if hit is not None:
            found[ad_id][(kind, value)] = hit
    return {ad_id: [hits[k] for k in sorted(hits)] for ad_id, hits in found.items()}


def _statuses(session: Session, ad_ids: list[int]) -> dict[int, tuple[int, str]]:
    out: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ad_ids), CHUNK):
        for item_id, ad_id, status in session.execute(
            select(ReviewItem.id, ReviewItem.ad_id, ReviewItem.status).where(
                ReviewItem.ad_id.in_(ad_ids[start : start + CHUNK])
            )
        ):
            out[ad_id] = (item_id, status)
    return out


def hits_for_ads(session: Session, ad_ids: Iterable[int]) -> dict[int, list[Hit]]:
    """Each ad's contacts that are on the watchlist (listed, or confirmed by another ad's verdict)."""
    ids = sorted(set(ad_ids))
    watch = _watch(session)
    contacts: list[tuple[int, str, str]] = []
    for start in range(0, len(ids), CHUNK):
        contacts += session.execute(
            select(AdContact.ad_id, AdContact.kind, AdContact.value).where(
                AdContact.ad_id.in_(ids[start : start + CHUNK])
            )
        ).all()
    scam = {a for a, (_, status) in _statuses(session, ids).items() if status == "scam"}
    return _hits(watch, contacts, scam)


def _carriers(session: Session, watch: _Watch, ad_ids: set[int] | None) -> list[tuple[int, str, str]]:
    """(ad, kind, value) of every stored contact whose value is on the watchlist."""
    values = watch.values()
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(values), CHUNK):
        query = select(AdContact.ad_id, AdContact.kind, AdContact.value).where(
            AdContact.value.in_(values[start : start + CHUNK])
        )
        rows += [r for r in session.execute(query).all() if ad_ids is None or r[0] in ad_ids]
    return rows


def marked(reasons: Iterable[object] | None) -> bool:
    """True when a score's reasons already carry the watchlist's."""
    return any(isinstance(r, dict) and r.get("signal") == SIGNAL for r in reasons or [])


_SCORES = Score.__table__
_MARK = (
    _SCORES.update()
    .where(_SCORES.c.id == bindparam("score_id"))
    .values(band="critical", flagged=True, reasons=bindparam("new_reasons"))
)
_EVENTS = ReviewEvent.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@lru_cache(maxsize=4)
def _insert_item(dialect: str) -> Any:
    """INSERT of a pending item returning its id (nothing, on PostgreSQL and SQLite, when the
    ad has one already), built once: building a statement costs more than running it."""
    values = {
        "ad_id": bindparam("ad_id"),
        "status": "pending",
        "priority": bindparam("priority"),
        "created_at": bindparam("now"),
        "updated_at": bindparam("now"),
    }
    insert = _INSERTS.get(dialect)
    if insert is None:
        return ReviewItem.__table__.insert().values(**values).returning(ReviewItem.id)
    stmt = insert(ReviewItem.__table__).values(**values).on_conflict_do_nothing(index_elements=["ad_id"])
    return stmt.returning(ReviewItem.id)


def _new_item(session: Session, ad_id: int, priority: float, now: datetime) -> int | None:
    """A pending item's id, or None when a concurrent scorer queued the ad a moment ago."""
    stmt = _insert_item(session.get_bind().dialect.name)
    return session.execute(stmt, {"ad_id": ad_id, "priority": priority, "now": now}).scalar_one_or_none()


def rescan(session: Session, now: datetime, ad_ids: Iterable[int] | None = None) -> RescanResult:
    """Mark every undecided, scored ad that carries a watchlisted contact (``ad_ids``: only those).

    Idempotent: an ad whose newest score already carries the watchlist reason is left
    as it is. Ads not scored yet are marked when they are (the score stage runs this).
    Writes with Core statements, a few per batch, so the caller's session holds no
    pending objects while campaigns are linked.
    """
    result = RescanResult()
    session.flush()
    watch = _watch(session)
    contacts = _carriers(session, watch, set(ad_ids) if ad_ids is not None else None)
    by_ad = _hits(watch, contacts, set())
    candidates = sorted(by_ad)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        items = _statuses(session, chunk)
        latest: dict[int, tuple[int, float, list, str, str, bool]] = {}
        for score_id, ad_id, value, reasons, version, band, flagged in session.execute(
            select(Score.id, Score.ad_id, Score.score, Score.reasons, Score.model_version, Score.band, Score.flagged)
            .where(Score.ad_id.in_(chunk))
            .order_by(Score.scored_at, Score.id)
        ):
            latest[ad_id] = (score_id, value, reasons or [], version, band, bool(flagged))  # the newest wins
        updates, events, linking = [], [], []
        for ad_id in chunk:
            item = items.get(ad_id)
            if item is not None and item[1] in DECISIONS:
                continue
            if ad_id not in latest:
                result.unscored += 1
                continue
            score_id, value, reasons, version, band, flagged = latest[ad_id]
            if marked(reasons):
                continue
            found = by_ad[ad_id]
            kept = [r for r in reasons if isinstance(r, dict)]
            # The band the model gave, kept in the mark: if the listed contact goes (migration
            # 0010 removes contacts that were never contacts), the score gets it back.
            before = {"band_before": band, "flagged_before": flagged}
            updates.append({"score_id": score_id, "new_reasons": [{**h.reason(), **before} for h in found] + kept})
            note = "critical: " + "; ".join(h.text() for h in found)
            if item is None:
                item_id = _new_item(session, ad_id, value, now)
                if item_id is None:  # queued by a concurrent scorer meanwhile
                    item_id, status = _statuses(session, [ad_id])[ad_id]
                    old = status
                else:
                    old, status = None, "pending"
                    result.queued += 1
            else:
                item_id, old, status = item[0], item[1], item[1]
            events.append(
                {
                    "item_id": item_id,
                    "actor": SYSTEM_ACTOR,
                    "at": now,
                    "old_status": old,
                    "new_status": status,
                    "note": note[:2000],
                    "model_version": version,
                }
            )
            linking.append((ad_id, [(h.kind, h.value) for h in found]))
            result.marked.append(ad_id)
        if updates:
            session.execute(_MARK, updates)
            session.execute(_EVENTS.insert(), events)
            # The queue's one order reads the item's band rank (store.order), which follows
            # the newest score: a marked ad ranks with the critical ones, whatever its score.
            ads = [ad_id for ad_id, _ in linking]
            session.execute(update(ReviewItem).where(ReviewItem.ad_id.in_(ads)).values(band_rank=band_rank("critical")))
        with session.no_autoflush:
            for ad_id, pairs in linking:
                if join_contact_campaign(session, ad_id, pairs, now) is not None:
                    result.linked += 1
    if result.marked:
        session.expire_all()  # Score and ReviewItem rows changed underneath any loaded object
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
    found = [c for c in confirmed_contacts(session) if c.kind in WATCHED_CONFIRMED_KINDS] if confirmed else []
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
