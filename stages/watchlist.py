"""The watchlist from a terminal: import a partner's list, list it, remove an entry.

An import reads and checks the whole file first (store.watchlistfile); one bad row
refuses it and nothing is stored. The entries are then added in one transaction, each
audited, and the contact index is rescanned (store.watchlist.rescan): ads already stored
that carry a new entry are marked critical and queued, without rescoring anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config import Config
from stages.common import database, utcnow
from store.watchlist import ImportResult, Listing, add_entries, remove_entry, watchlist
from store.watchlistfile import read_watchlist_file


@dataclass(frozen=True)
class Imported:
    """An import's file, how many contacts it held, and what storing them did."""

    file: Path
    contacts: int
    result: ImportResult


def _actor(analyst: str | None) -> str:
    from stages.review import analyst_name

    return analyst_name(analyst)


def import_watchlist(
    config: Config, file: Path, source: str | None = None, analyst: str | None = None, encoding: str | None = None
) -> Imported:
    """`watchlist import FILE`: all or nothing, then a rescan of the contact index."""
    contacts = read_watchlist_file(file, source, encoding)
    actor = _actor(analyst)
    with database(config) as factory, factory.begin() as session:
        result = add_entries(session, contacts, actor, utcnow(), note=f"imported from {file.name}")
    return Imported(file, len(contacts), result)


def list_watchlist(config: Config) -> list[Listing]:
    """Every entry and every contact analysts confirmed, with its hits."""
    with database(config, create=False) as factory, factory() as session:
        return watchlist(session)


def remove_watchlist(config: Config, entry_id: int, analyst: str | None = None) -> str:
    """`watchlist remove ID`: one listing off the list (audited)."""
    with database(config, create=False) as factory, factory.begin() as session:
        entry = remove_entry(session, entry_id, _actor(analyst), utcnow())
        return f"removed watchlist entry {entry_id}: {entry.kind} {entry.value} (listed by {entry.source})"


def format_import(imported: Imported) -> str:
    """What an import did, in a few lines."""
    r = imported.result
    lines = [
        f"{imported.file.name}: {imported.contacts} contact(s), {len(r.added)} added, {r.already} already listed",
        f"rescan: {len(r.rescan.marked)} stored ad(s) now critical, {r.rescan.queued} newly queued, "
        f"{r.rescan.linked} linked to the contact's campaign"
        + (f", {r.rescan.unscored} not scored yet (marked when scored)" if r.rescan.unscored else ""),
    ]
    return "\n".join(lines)


def format_watchlist(rows: list[Listing]) -> str:
    """One line per entry: id, kind, value, source, hits, last seen (confirmed contacts: id '-')."""
    if not rows:
        return "the watchlist is empty (import a partner's list, or decide ads scam)"
    from stages.review import clean, fit

    lines = [f"{'id':>6}  {'kind':<9} {'value':<36} {'source':<20} {'hits':>5}  last seen"]
    for r in rows:
        seen = r.last_seen.strftime("%Y-%m-%d") if r.last_seen else "-"
        ident = str(r.id) if r.id is not None else "-"
        lines.append(f"{ident:>6}  {r.kind:<9} {fit(r.value, 36)} {fit(clean(r.source), 20)} {r.hits:>5}  {seen}")
    listed = sum(r.id is not None for r in rows)
    lines.append(f"{listed} listed entr{'y' if listed == 1 else 'ies'}, {len(rows) - listed} confirmed by analysts")
    return "\n".join(lines)
